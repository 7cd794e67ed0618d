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
			error_log( 'comment-moderation-service: decision ' . $action . ' not sent: ' . $answer->get_error_message() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
			if ( Retry::transient( $answer ) ) {
				Retry::later( $comment_id, array( 'kind' => 'decision', 'action' => $action, 'actor' => $actor ) );
			}
			// A moderator's older decision arriving meanwhile must not undo this one; older and
			// newer by the service's clock (see Clock), WordPress' may be off.
			Statuses::attempted( $comment_id, Clock::now() );
			return;
		}
		Retry::done( $comment_id ); // A decision still waiting is older than this one.
		Statuses::remember_own( $comment_id, (string) ( $answer['status'] ?? '' ), $client->answered_at() ?? Clock::now() );
	}

	/**
	 * Who decided: wp-admin:<login> for a logged-in user.
	 */
	private static function actor(): string {
		$user = wp_get_current_user();
		return $user->exists() ? 'wp-admin:' . $user->user_login : 'wordpress';
	}
}
