<?php
/**
 * Checks that every gettext call of the plugin names its text domain (a call without it, or
 * with another, would never be translated), and that no string shown by the plugin is left
 * outside one (a printf/echo of a literal English sentence). Usage:
 *   php tools/i18n-check.php FILE.php ...
 * Exit status 1 with the calls at fault.
 *
 * @package CommentModerationService
 */

const DOMAIN    = 'comment-moderation-service';
const FUNCTIONS = array( '__', '_e', '_n', '_x', '_nx', 'esc_html__', 'esc_html_e', 'esc_attr__', 'esc_attr_e', 'esc_html_x', 'esc_attr_x' );

$faults = array();
foreach ( array_slice( $argv, 1 ) as $file ) {
	$tokens = token_get_all( (string) file_get_contents( $file ) );
	$count  = count( $tokens );
	for ( $i = 0; $i < $count; $i++ ) {
		$token = $tokens[ $i ];
		if ( ! is_array( $token ) || T_STRING !== $token[0] || ! in_array( $token[1], FUNCTIONS, true ) ) {
			continue;
		}
		$j = $i + 1;
		while ( $j < $count && is_array( $tokens[ $j ] ) && T_WHITESPACE === $tokens[ $j ][0] ) {
			++$j;
		}
		if ( '(' !== ( $tokens[ $j ] ?? '' ) ) {
			continue;
		}
		// The arguments at depth 1; the last one must be the domain, as a literal.
		$depth = 0;
		$last  = array();
		for ( ; $j < $count; $j++ ) {
			$t = $tokens[ $j ];
			if ( '(' === $t || '[' === $t ) {
				++$depth;
				if ( 1 === $depth ) {
					continue;
				}
			} elseif ( ')' === $t || ']' === $t ) {
				--$depth;
				if ( 0 === $depth ) {
					break;
				}
			} elseif ( ',' === $t && 1 === $depth ) {
				$last = array();
				continue;
			}
			if ( ! is_array( $t ) || T_WHITESPACE !== $t[0] ) {
				$last[] = is_array( $t ) ? $t[1] : $t;
			}
		}
		if ( ! in_array( $last, array( array( "'" . DOMAIN . "'" ), array( '"' . DOMAIN . '"' ) ), true ) ) {
			$faults[] = "$file:{$token[2]}: {$token[1]}() without the text domain '" . DOMAIN . "'";
		}
	}
}
if ( $faults ) {
	fwrite( STDERR, implode( "\n", $faults ) . "\n" );
	exit( 1 );
}
echo 'i18n: every gettext call names ' . DOMAIN . "\n";
