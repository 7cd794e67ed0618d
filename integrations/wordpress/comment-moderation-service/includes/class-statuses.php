<?php
/**
 * The service's statuses and WordPress' comment statuses, both ways.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

/**
 * published → approved (1), pending → held (0), spam → spam, rejected → trash.
 */
final class Statuses {

	private const TO_WORDPRESS = array(
		'published' => 1,
		'pending'   => 0,
		'spam'      => 'spam',
		'rejected'  => 'trash',
	);

	/**
	 * The comment_approved value for a service status; null for an unknown status.
	 *
	 * @param string $status published, pending, spam or rejected.
	 * @return int|string|null
	 */
	public static function to_wordpress( string $status ) {
		return self::TO_WORDPRESS[ $status ] ?? null;
	}

	/**
	 * WordPress' name of the status matching a service status (approved, unapproved, spam, trash).
	 *
	 * @param string $status published, pending, spam or rejected.
	 */
	public static function wordpress_name( string $status ): string {
		$names = array(
			'published' => 'approved',
			'pending'   => 'unapproved',
			'spam'      => 'spam',
			'rejected'  => 'trash',
		);
		return $names[ $status ] ?? '';
	}

	/**
	 * The service's action for a change made in WordPress; null when there is none to report
	 * (the service has no "hold" action).
	 *
	 * @param string $new_status WordPress' new status (approved, unapproved, spam, trash).
	 * @param string $old_status WordPress' previous status.
	 */
	public static function action_for( string $new_status, string $old_status ): ?string {
		if ( 'spam' === $new_status ) {
			return 'spam';
		}
		if ( 'spam' === $old_status && in_array( $new_status, array( 'approved', 'unapproved' ), true ) ) {
			return 'not_spam'; // Like Akismet's submit-ham: WordPress may still hold it.
		}
		if ( 'approved' === $new_status ) {
			return 'approve';
		}
		if ( 'trash' === $new_status ) {
			return 'reject';
		}
		return null;
	}

	/**
	 * A time as the fixed-width UTC string kept in META_STATUS_AT (compares as text).
	 *
	 * @param string $time An ISO 8601 time, or 'now'.
	 */
	public static function stamp( string $time = 'now' ): ?string {
		try {
			$at = new \DateTimeImmutable( $time, new \DateTimeZone( 'UTC' ) );
		} catch ( \Exception $e ) {
			return null;
		}
		return $at->setTimezone( new \DateTimeZone( 'UTC' ) )->format( 'Y-m-d\TH:i:s.u' );
	}

	/**
	 * Records the service's status of a comment, and when it was set.
	 *
	 * @param int    $comment_id WordPress' comment id.
	 * @param string $status     The service's status.
	 * @param string $at         Its time, as stamp() makes it.
	 */
	public static function remember( int $comment_id, string $status, string $at ): void {
		update_comment_meta( $comment_id, META_STATUS, $status );
		update_comment_meta( $comment_id, META_STATUS_AT, $at );
	}

	/**
	 * Moves a WordPress comment to the status matching a service status; whether it moved.
	 *
	 * @param int    $comment_id WordPress' comment id.
	 * @param string $status     The service's status.
	 */
	public static function apply( int $comment_id, string $status ): bool {
		$target = self::to_wordpress( $status );
		$now    = wp_get_comment_status( $comment_id ); // approved, unapproved, spam, trash.
		$want   = array(
			1       => 'approved',
			0       => 'unapproved',
			'spam'  => 'spam',
			'trash' => 'trash',
		);
		if ( null === $target || false === $now || $want[ $target ] === $now ) {
			return false;
		}
		if ( 'spam' === $target ) {
			return (bool) wp_spam_comment( $comment_id );
		}
		if ( 'trash' === $target && EMPTY_TRASH_DAYS ) {
			return (bool) wp_trash_comment( $comment_id ); // Keeps the status to restore.
		}
		$name = array(
			1       => 'approve',
			0       => 'hold',
			'trash' => 'trash',
		);
		return true === wp_set_comment_status( $comment_id, $name[ $target ] );
	}
}
