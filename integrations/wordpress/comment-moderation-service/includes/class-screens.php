<?php
/**
 * The service in wp-admin: notices when it fails, a column of the Comments screen and a box
 * of the comment's edit screen with its status, scores, reasons and history.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_Comment;

defined( 'ABSPATH' ) || exit;

/**
 * Admin notices, the "Moderation service" column and meta box.
 */
final class Screens {

	private const COLUMN = 'cmsvc';

	/**
	 * Hooks into wp-admin.
	 */
	public function register(): void {
		add_action( 'admin_notices', array( $this, 'notices' ) );
		add_filter( 'manage_edit-comments_columns', array( $this, 'columns' ) );
		add_action( 'manage_comments_custom_column', array( $this, 'column' ), 10, 2 );
		add_action( 'add_meta_boxes_comment', array( $this, 'meta_box' ) );
	}

	/**
	 * A notice on every admin page while the service fails, or while it is not configured.
	 */
	public function notices(): void {
		if ( ! current_user_can( 'moderate_comments' ) ) {
			return;
		}
		$settings = '<a href="' . esc_url( admin_url( 'options-general.php?page=comment-moderation-service' ) ) . '">' . esc_html__( 'Settings > Comment moderation', 'comment-moderation-service' ) . '</a>';
		if ( ! Settings::ready() ) {
			if ( current_user_can( 'manage_options' ) ) {
				/* translators: %s: a link to the settings page. */
				printf( '<div class="notice notice-warning cmsvc-notice"><p>%s</p></div>', sprintf( esc_html__( 'Comment moderation service: not configured yet, comments are not checked. Enter the service URL and site key in %s.', 'comment-moderation-service' ), $settings ) ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
			}
			return;
		}
		$failing = Health::failing();
		if ( null === $failing ) {
			return;
		}
		$format = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
		$lines  = array(
			esc_html(
				sprintf(
					/* translators: 1: how many calls failed, 2: since when, 3: the last error. */
					_n(
						'Comment moderation service: %1$d call failed since %2$s. Last error: %3$s.',
						'Comment moderation service: %1$d calls failed since %2$s. Last error: %3$s.',
						$failing['failures'],
						'comment-moderation-service'
					),
					$failing['failures'],
					wp_date( $format, $failing['since'] ),
					$failing['last_error']
				)
			),
			esc_html(
				'hold' === Settings::get()['fail_mode']
					? __( 'New comments are held for review meanwhile.', 'comment-moderation-service' )
					: __( 'WordPress decides on new comments alone meanwhile.', 'comment-moderation-service' )
			),
		);
		$waiting = Retry::waiting();
		if ( $waiting['settings'] > 0 ) {
			/* translators: 1: how many comments, 2: a link to the settings page. */
			$lines[] = sprintf( esc_html( _n( '%1$d comment waits until the settings are fixed in %2$s; it is sent again once they are saved and accepted.', '%1$d comments wait until the settings are fixed in %2$s; they are sent again once they are saved and accepted.', $waiting['settings'], 'comment-moderation-service' ) ), $waiting['settings'], $settings );
		} elseif ( $failing['settings'] ) {
			/* translators: %s: a link to the settings page. */
			$lines[] = sprintf( esc_html__( 'The service refuses these settings: check the service URL and site key in %s.', 'comment-moderation-service' ), $settings );
		}
		if ( $waiting['waiting'] > $waiting['settings'] ) {
			$later = $waiting['waiting'] - $waiting['settings'];
			/* translators: %d: how many comments. */
			$lines[] = esc_html( sprintf( _n( '%d comment or decision will be sent again automatically.', '%d comments or decisions will be sent again automatically.', $later, 'comment-moderation-service' ), $later ) );
		}
		echo '<div class="notice notice-error cmsvc-notice"><p>' . implode( '<br>', $lines ) . '</p></div>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
	}

	/**
	 * Adds the column to the Comments screen.
	 *
	 * @param array<string, string> $columns The columns.
	 * @return array<string, string>
	 */
	public function columns( $columns ): array {
		$columns                 = is_array( $columns ) ? $columns : array();
		$columns[ self::COLUMN ] = __( 'Moderation service', 'comment-moderation-service' );
		return $columns;
	}

	/**
	 * Prints the column of one comment.
	 *
	 * @param string     $column     The column's name.
	 * @param int|string $comment_id The comment's id.
	 */
	public function column( $column, $comment_id ): void {
		if ( self::COLUMN !== $column ) {
			return;
		}
		echo '<div class="cmsvc-column">' . self::summary( (int) $comment_id ) . '</div>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in summary().
	}

	/**
	 * Adds the box to the comment's edit screen.
	 *
	 * @param WP_Comment $comment The comment.
	 */
	public function meta_box( $comment ): void {
		add_meta_box( 'cmsvc-box', __( 'Moderation service', 'comment-moderation-service' ), array( $this, 'box' ), 'comment', 'normal' );
	}

	/**
	 * Prints the box: summary, scores, reasons, history.
	 *
	 * @param WP_Comment $comment The comment.
	 */
	public function box( $comment ): void {
		$comment_id = (int) $comment->comment_ID;
		echo '<div class="cmsvc-box"><p>' . self::summary( $comment_id ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in summary().
		$scores = Trace::scores( $comment_id );
		if ( $scores ) {
			echo '<table class="widefat striped" style="max-width:30em"><thead><tr><th>' . esc_html__( 'Score', 'comment-moderation-service' ) . '</th><th>' . esc_html__( 'Value', 'comment-moderation-service' ) . '</th></tr></thead><tbody>';
			foreach ( $scores as $label => $score ) {
				printf( '<tr><td>%s</td><td>%s</td></tr>', esc_html( self::label( (string) $label ) ), esc_html( number_format_i18n( (float) $score, 2 ) ) );
			}
			echo '</tbody></table>';
		}
		$history = Trace::history( $comment_id );
		if ( $history ) {
			echo '<h4>' . esc_html__( 'History', 'comment-moderation-service' ) . '</h4><ol class="cmsvc-history">';
			$format = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
			foreach ( array_reverse( $history ) as $entry ) {
				printf( '<li><time>%s</time> %s</li>', esc_html( wp_date( $format, (int) ( $entry['at'] ?? 0 ) ) ), esc_html( self::entry( $entry ) ) );
			}
			echo '</ol>';
		}
		echo '</div>';
	}

	/**
	 * One line on a comment: the service's status with its scores and reasons ("Held by the
	 * service: spam 0.93, links"), what waits, and a link to the comment in the service's
	 * pages. HTML, escaped.
	 *
	 * @param int $comment_id WordPress' comment id.
	 */
	public static function summary( int $comment_id ): string {
		$service_id = (string) get_comment_meta( $comment_id, META_ID, true );
		$status     = (string) get_comment_meta( $comment_id, META_STATUS, true );
		$error      = (string) get_comment_meta( $comment_id, META_ERROR, true );
		$job        = get_comment_meta( $comment_id, META_RETRY, true );
		$parts      = array();
		if ( '' !== $service_id ) {
			$why = array();
			foreach ( Trace::scores( $comment_id ) as $label => $score ) {
				if ( (float) $score >= 0.1 ) {
					$why[] = self::label( (string) $label ) . ' ' . number_format_i18n( (float) $score, 2 );
				}
			}
			foreach ( Trace::reasons( $comment_id ) as $reason ) {
				$name = strtok( $reason, ':' );
				if ( ! in_array( $name, array( 'spam', 'abuse', 'hate' ), true ) ) {
					$why[] = self::reason( (string) $name );
				}
			}
			$line    = self::status( $status );
			$parts[] = '<strong>' . esc_html( $line ) . '</strong>' . ( $why ? esc_html( ': ' . implode( ', ', $why ) ) : '' );
		} elseif ( '' === $error ) {
			$parts[] = esc_html__( 'Not sent to the service (posted before the plugin, by staff, or a pingback).', 'comment-moderation-service' );
		}
		if ( '' !== $error ) {
			/* translators: %s: the error. */
			$parts[] = esc_html( sprintf( __( 'Last error: %s', 'comment-moderation-service' ), $error ) );
		}
		if ( is_array( $job ) ) {
			$parts[] = esc_html(
				empty( $job['settings'] )
					/* translators: %d: the attempt's number. */
					? sprintf( __( 'Will be sent again (attempt %d).', 'comment-moderation-service' ), (int) ( $job['attempt'] ?? 1 ) + 1 )
					: __( 'Waits until the settings are fixed.', 'comment-moderation-service' )
			);
		}
		$url = Settings::get()['service_url'];
		if ( '' !== $service_id && '' !== $url ) {
			$parts[] = sprintf( '<a href="%s" target="_blank" rel="noopener">%s</a>', esc_url( $url . '/ui/comments/' . rawurlencode( $service_id ) ), esc_html__( 'Open in the service', 'comment-moderation-service' ) );
		}
		return implode( '<br>', $parts );
	}

	/**
	 * A line of history, as words.
	 *
	 * @param array<string, mixed> $entry The entry (Trace::add()).
	 */
	private static function entry( array $entry ): string {
		$sources = array(
			'intake'   => __( 'Posted: the service decided', 'comment-moderation-service' ),
			'retry'    => __( 'Sent again: the service decided', 'comment-moderation-service' ),
			'webhook'  => __( 'Decision in the service', 'comment-moderation-service' ),
			'wp-admin' => __( 'Decision in wp-admin', 'comment-moderation-service' ),
			'report'   => __( 'Reported by a reader', 'comment-moderation-service' ),
			'error'    => __( 'Not sent to the service', 'comment-moderation-service' ),
		);
		$words = array( $sources[ $entry['source'] ?? '' ] ?? (string) ( $entry['source'] ?? '' ) );
		if ( ! empty( $entry['action'] ) ) {
			$words[] = self::action( (string) $entry['action'] );
		}
		if ( ! empty( $entry['status'] ) ) {
			$words[] = '→ ' . self::status( (string) $entry['status'] );
		}
		if ( ! empty( $entry['actor'] ) ) {
			/* translators: %s: who decided. */
			$words[] = sprintf( __( '(by %s)', 'comment-moderation-service' ), (string) $entry['actor'] );
		}
		if ( ! empty( $entry['error'] ) ) {
			/* translators: %s: the error. */
			$words[] = sprintf( __( 'failed: %s', 'comment-moderation-service' ), (string) $entry['error'] );
		}
		return implode( ' ', $words );
	}

	/**
	 * A service status in words.
	 *
	 * @param string $status published, pending, spam or rejected.
	 */
	public static function status( string $status ): string {
		$names = array(
			'published' => __( 'Published by the service', 'comment-moderation-service' ),
			'pending'   => __( 'Held by the service', 'comment-moderation-service' ),
			'spam'      => __( 'Marked spam by the service', 'comment-moderation-service' ),
			'rejected'  => __( 'Rejected by the service', 'comment-moderation-service' ),
		);
		return $names[ $status ] ?? $status;
	}

	/**
	 * A decision in words.
	 *
	 * @param string $action approve, reject, spam, not_spam, hold, report.
	 */
	private static function action( string $action ): string {
		$names = array(
			'approve'  => __( 'approve', 'comment-moderation-service' ),
			'reject'   => __( 'reject', 'comment-moderation-service' ),
			'spam'     => __( 'spam', 'comment-moderation-service' ),
			'not_spam' => __( 'not spam', 'comment-moderation-service' ),
			'hold'     => __( 'hold', 'comment-moderation-service' ),
			'report'   => __( 'report', 'comment-moderation-service' ),
		);
		return $names[ $action ] ?? $action;
	}

	/**
	 * A score's label in words.
	 *
	 * @param string $label spam, abuse or hate.
	 */
	private static function label( string $label ): string {
		$names = array(
			'spam'  => __( 'spam', 'comment-moderation-service' ),
			'abuse' => __( 'abuse', 'comment-moderation-service' ),
			'hate'  => __( 'hate', 'comment-moderation-service' ),
		);
		return $names[ $label ] ?? $label;
	}

	/**
	 * A reason of the service's policy in words (its code without the verdict).
	 *
	 * @param string $name Such as links, watched_term, honeypot.
	 */
	private static function reason( string $name ): string {
		$names = array(
			'blocked_term'   => __( 'blocked term', 'comment-moderation-service' ),
			'watched_term'   => __( 'watched term', 'comment-moderation-service' ),
			'links'          => __( 'links', 'comment-moderation-service' ),
			'honeypot'       => __( 'hidden field filled in', 'comment-moderation-service' ),
			'too_fast'       => __( 'sent too fast', 'comment-moderation-service' ),
			'email_domain'   => __( 'blocked email domain', 'comment-moderation-service' ),
			'duplicate'      => __( 'repeated text', 'comment-moderation-service' ),
			'new_author'     => __( 'new author', 'comment-moderation-service' ),
			'trusted_author' => __( 'trusted author', 'comment-moderation-service' ),
			'flood'          => __( 'too many comments', 'comment-moderation-service' ),
			'reported'       => __( 'reported by readers', 'comment-moderation-service' ),
		);
		return $names[ $name ] ?? $name;
	}
}
