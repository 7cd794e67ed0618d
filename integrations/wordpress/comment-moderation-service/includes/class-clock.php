<?php
/**
 * The service's clock: the only one that orders a comment's status changes.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

/**
 * Times on the service's clock, as Statuses::stamp() writes them.
 *
 * The rule: META_STATUS_AT only ever holds a time of the service's clock, and newer-wins
 * compares it only with the service's times (the created_at of its webhook events). This
 * site's own decisions are stamped with the Date header of the service's answer to them,
 * rounded up to the end of its second (the service took the decision before answering),
 * and then with the exact created_at of their event when its webhook comes. A decision the
 * service did not take (it waits for a retry) is stamped with the service's time estimated
 * to about half a second: events older than that do not undo it, newer ones replace it.
 * WordPress' own clock may be minutes ahead or behind: it is never compared with the
 * service's, and serves only to measure the time since the service's last answer.
 */
final class Clock {

	// The service's clock minus WordPress' (seconds) at the last answer, for now().
	public const OPTION = 'cmsvc_clock_offset';

	/**
	 * The stamp of an answer's Date header, rounded up to the end of its second: later than
	 * anything the service did before it answered; null without a valid Date. Keeps the
	 * offset between the two clocks for now().
	 *
	 * @param string $date The Date header (an IMF-fixdate, RFC 9110), or ''.
	 */
	public static function answered( string $date ): ?string {
		if ( ! preg_match( '/^[A-Z][a-z]{2}, (\d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}) GMT$/', trim( $date ), $m ) ) {
			return null;
		}
		// Without the weekday: PHP would move the date to the weekday named.
		$at = \DateTimeImmutable::createFromFormat( '!d M Y H:i:s', $m[1], new \DateTimeZone( 'UTC' ) );
		if ( false === $at ) {
			return null;
		}
		// The Date has whole seconds: the middle of its second, and the option written only
		// when the offset moved by more than a second (the clock was set, not rounding).
		$offset = $at->getTimestamp() + 0.5 - microtime( true );
		$known  = get_option( self::OPTION );
		if ( ! is_numeric( $known ) || abs( (float) $known - $offset ) >= 1 ) {
			update_option( self::OPTION, sprintf( '%.3f', $offset ), true );
		}
		return $at->format( 'Y-m-d\TH:i:s' ) . '.999999';
	}

	/**
	 * The service's time now, as WordPress' clock plus the offset seen at the service's last
	 * answer (to about half a second); null when the service never answered.
	 */
	public static function now(): ?string {
		$offset = get_option( self::OPTION );
		if ( ! is_numeric( $offset ) ) {
			return null;
		}
		$at      = microtime( true ) + (float) $offset;
		$seconds = (int) floor( $at );
		return gmdate( 'Y-m-d\TH:i:s', $seconds ) . sprintf( '.%06d', (int) ( ( $at - $seconds ) * 1000000 ) );
	}
}
