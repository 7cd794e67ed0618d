<?php
/**
 * wp-admin's decisions sent to the service (like Akismet's submit-spam / submit-ham).
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_Comment;

defined( 'ABSPATH' ) || exit;

/**
 * Reports spam, not spam, approve and trash made in WordPress; stays quiet while the plugin
 * itself applies the service's decisions.
 */
final class Feedback {

	/**
	 * How many changes from the service are being applied right now (no feedback for those).
	 *
	 * @var int
	 */
	private int $quiet = 0;

	/**
	 * Hooks into every comment status change.
	 */
	public function register(): void {
		add_action( 'transition_comment_status', array( $this, 'changed' ), 10, 3 );
		add_action( 'delete_comment', array( $this, 'deleting' ), 10, 2 );
	}

	/**
	 * Runs a change that came from the service without reporting it back.
	 *
	 * @param callable $change The change.
	 * @return mixed What the change returned.
	 */
	public function quietly( callable $change ) {
		++$this->quiet;
		try {
			return $change();
		} finally {
			--$this->quiet;
		}
	}

	/**
	 * Sends the matching decision for a comment the service knows.
	 *
	 * @param string     $new_status approved, unapproved, spam or trash.
	 * @param string     $old_status The previous status.
	 * @param WP_Comment $comment    The comment.
	 */
	public function changed( $new_status, $old_status, $comment ): void {
		if ( $this->quiet > 0 || ! Settings::ready() || ! $comment instanceof WP_Comment ) {
			return;
		}
		$action     = Statuses::action_for( (string) $new_status, (string) $old_status );
		$comment_id = (int) $comment->comment_ID;
		$service_id = (string) get_comment_meta( $comment_id, META_ID, true );
		if ( null === $action || '' === $service_id ) {
			return;
		}
		$actor  = self::actor();
		$client = new Client();
		$answer = $client->decide( $service_id, $action, $actor );
		if ( is_wp_error( $answer ) ) {
			update_comment_meta( $comment_id, META_ERROR, $action . ': ' . $answer->get_error_message() );
			Trace::add( $comment_id, 'wp-admin', array( 'action' => $action, 'actor' => $actor, 'error' => $answer->get_error_message() ) );
			error_log( 'comment-moderation-service: decision ' . $action . ' not sent: ' . $answer->get_error_message() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
			$job = array(
				'kind'   => 'decision',
				'action' => $action,
				'actor'  => $actor,
			);
			Retry::after( $comment_id, $job, $answer, '/v1/comments/{id}/decision' );
			// A moderator's older decision arriving meanwhile must not undo this one; older and
			// newer by the service's clock (see Clock), WordPress' may be off.
			Statuses::attempted( $comment_id, Clock::now() );
			return;
		}
		Retry::done( $comment_id ); // A decision still waiting is older than this one.
		$status = (string) ( $answer['status'] ?? '' );
		Statuses::remember_own( $comment_id, $status, $client->answered_at() ?? Clock::now() );
		Trace::add( $comment_id, 'wp-admin', array( 'action' => $action, 'actor' => $actor, 'status' => $status ) );
		$this->follow( $comment_id, $status );
	}

	/**
	 * After a decision the service took, moves WordPress to the service's status when they
	 * disagree: "Not spam" restores a comment to pending in WordPress, the service publishes
	 * it, and WordPress then publishes it too.
	 *
	 * @param int    $comment_id WordPress' comment id.
	 * @param string $status     The service's status after the decision.
	 */
	public function follow( int $comment_id, string $status ): void {
		$now = (string) wp_get_comment_status( $comment_id );
		if ( null !== Statuses::to_wordpress( $status ) && ! Statuses::in_step( $now, $status ) ) {
			$this->quietly( static fn() => Statuses::apply( $comment_id, $status ) );
		}
	}

	/**
	 * A comment deleted for good in WordPress ("Delete permanently"): unless the service has
	 * it as spam or rejected already, it is rejected there, so it leaves the service's public
	 * listing too. The service keeps it for its moderators' history; Tools → Erase Personal
	 * Data erases an author's comments in the service.
	 *
	 * @param int|string      $comment_id WordPress' comment id.
	 * @param WP_Comment|null $comment    The comment.
	 */
	public function deleting( $comment_id, $comment = null ): void {
		$comment_id = (int) $comment_id;
		$service_id = (string) get_comment_meta( $comment_id, META_ID, true );
		$status     = (string) get_comment_meta( $comment_id, META_STATUS, true );
		if ( $this->quiet > 0 || ! Settings::ready() || '' === $service_id || in_array( $status, array( 'spam', 'rejected' ), true ) ) {
			return;
		}
		$actor  = self::actor();
		$answer = ( new Client() )->decide( $service_id, 'reject', $actor );
		if ( is_wp_error( $answer ) ) {
			// The comment and its meta are going: the decision waits in an option instead.
			Retry::orphan( $service_id, 'reject', $actor );
		}
	}

	/**
	 * Who decided: wp-admin:<login> for a logged-in user.
	 */
	private static function actor(): string {
		$user = wp_get_current_user();
		return $user->exists() ? 'wp-admin:' . $user->user_login : 'wordpress';
	}
}
