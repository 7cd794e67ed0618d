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
	 * The service's action for a change made in WordPress; null when there is none to send.
	 * The table of readme.txt ("Which wp-admin action does what"):
	 *
	 * - Spam: spam. Not spam (from Spam to approved or pending): not_spam.
	 * - Approve (from pending, or restored from the Trash as approved): approve.
	 * - Trash: reject.
	 * - Unapprove (from approved to pending): hold when the service has that action, else
	 *   reject (out of the service's public listing; WordPress keeps it pending).
	 * - Restore from the Trash as pending: hold when the service has it, else nothing (the
	 *   service has it rejected already: hidden in both).
	 * - Delete permanently: see Feedback::deleting().
	 *
	 * @param string $new_status WordPress' new status (approved, unapproved, spam, trash).
	 * @param string $old_status WordPress' previous status.
	 */
	public static function action_for( string $new_status, string $old_status ): ?string {
		if ( 'spam' === $new_status ) {
			return 'spam';
		}
		if ( 'spam' === $old_status && in_array( $new_status, array( 'approved', 'unapproved' ), true ) ) {
			return 'not_spam'; // The service publishes it, and WordPress follows (Feedback).
		}
		if ( 'approved' === $new_status ) {
			return 'approve';
		}
		if ( 'trash' === $new_status ) {
			return 'reject';
		}
		if ( 'unapproved' === $new_status ) {
			if ( Capabilities::decision( 'hold' ) ) {
				return 'hold';
			}
			return 'approved' === $old_status ? 'reject' : null;
		}
		return null;
	}

	/**
	 * Whether WordPress' status and the service's agree: the same status, or a comment
	 * pending in WordPress and rejected in the service (hidden from readers in both: the
	 * service has no action back to pending unless it offers "hold").
	 *
	 * @param string $wordpress approved, unapproved, spam or trash.
	 * @param string $service   published, pending, spam or rejected.
	 */
	public static function in_step( string $wordpress, string $service ): bool {
		return self::wordpress_name( $service ) === $wordpress
			|| ( 'unapproved' === $wordpress && 'rejected' === $service );
	}

	/**
	 * A time of the service (an event's created_at) as the fixed-width UTC string kept in
	 * META_STATUS_AT (compares as text); null for anything else, never WordPress' "now".
	 *
	 * @param string $time An ISO 8601 time.
	 */
	public static function stamp( string $time ): ?string {
		if ( ! preg_match( '/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/', $time ) ) {
			return null;
		}
		try {
			$at = new \DateTimeImmutable( $time, new \DateTimeZone( 'UTC' ) );
		} catch ( \Exception $e ) {
			return null;
		}
		return $at->setTimezone( new \DateTimeZone( 'UTC' ) )->format( 'Y-m-d\TH:i:s.u' );
	}

	/**
	 * Records the service's status of a comment, and when the service set it (see Clock).
	 *
	 * @param int    $comment_id WordPress' comment id.
	 * @param string $status     The service's status.
	 * @param string $at         Its time on the service's clock, as stamp() makes it.
	 */
	public static function remember( int $comment_id, string $status, string $at ): void {
		update_comment_meta( $comment_id, META_STATUS, $status );
		update_comment_meta( $comment_id, META_STATUS_AT, $at );
		delete_comment_meta( $comment_id, META_OWN_AFTER );
	}

	/**
	 * Records a decision of this site that the service took: stamped with the service's time
	 * of its answer (rounded up to the end of a second), and META_OWN_AFTER keeps the stamp
	 * before it, so that the decision's own event can give the exact time (see echoes()).
	 *
	 * @param int         $comment_id WordPress' comment id.
	 * @param string      $status     The service's status after the decision.
	 * @param string|null $at         Client::answered_at() (else Clock::now()) of the answer.
	 */
	public static function remember_own( int $comment_id, string $status, ?string $at ): void {
		$before = (string) get_comment_meta( $comment_id, META_STATUS_AT, true );
		update_comment_meta( $comment_id, META_STATUS, $status );
		if ( null !== $at && $at > $before ) {
			update_comment_meta( $comment_id, META_STATUS_AT, $at );
		}
		update_comment_meta( $comment_id, META_OWN_AFTER, $before );
	}

	/**
	 * Stamps a decision of this site that the service has not taken yet (it waits for a
	 * retry) with the service's time of the attempt, so that an older event of the service
	 * does not undo it while a newer one still does.
	 *
	 * @param int         $comment_id WordPress' comment id.
	 * @param string|null $at         Clock::now() at the attempt.
	 */
	public static function attempted( int $comment_id, ?string $at ): void {
		delete_comment_meta( $comment_id, META_OWN_AFTER ); // No event of it will come.
		if ( null !== $at && $at > (string) get_comment_meta( $comment_id, META_STATUS_AT, true ) ) {
			update_comment_meta( $comment_id, META_STATUS_AT, $at );
		}
	}

	/**
	 * Whether an event of this site is the one of its last decision: the status that decision
	 * gave, at a time after the stamp before it. Its created_at is then that decision's exact
	 * time, which replaces the stamp of the answer's second.
	 *
	 * @param int    $comment_id WordPress' comment id.
	 * @param string $status     The event's status.
	 * @param string $at         The event's created_at, as stamp() makes it.
	 */
	public static function echoes( int $comment_id, string $status, string $at ): bool {
		if ( ! metadata_exists( 'comment', $comment_id, META_OWN_AFTER ) ) {
			return false;
		}
		return (string) get_comment_meta( $comment_id, META_STATUS, true ) === $status
			&& $at > (string) get_comment_meta( $comment_id, META_OWN_AFTER, true );
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
