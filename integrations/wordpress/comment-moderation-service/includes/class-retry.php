<?php
/**
 * Later attempts (WP-Cron) for what could not reach the service: a new comment, a decision.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * One pending job per comment, in comment meta; retried with a growing delay, then given up.
 */
final class Retry {

	public const HOOK         = 'cmsvc_retry';
	private const MAX_ATTEMPT = 8; // 1, 2, 4, ... 128 minutes: about 4 hours in all.

	/**
	 * Applies the service's decisions without reporting them back.
	 *
	 * @var Feedback
	 */
	private Feedback $feedback;

	/**
	 * Keeps the feedback loop to mute it.
	 *
	 * @param Feedback $feedback The plugin's feedback hooks.
	 */
	public function __construct( Feedback $feedback ) {
		$this->feedback = $feedback;
	}

	/**
	 * Hooks the cron event.
	 */
	public function register(): void {
		add_action( self::HOOK, array( $this, 'run' ) );
	}

	/**
	 * Whether an error may pass with time (no answer, 408, 429, 5xx, a decision refused while a
	 * moderator holds a live lease on the comment); any other 4xx will not.
	 *
	 * @param WP_Error $error What the client returned.
	 */
	public static function transient( WP_Error $error ): bool {
		if ( Client::LEASE_HELD === $error->get_error_code() ) {
			return true; // The moderator decides, releases the claim, or the lease runs out.
		}
		if ( ! preg_match( '/^cmsvc_http_(\d+)$/', (string) $error->get_error_code(), $m ) ) {
			return true;
		}
		$code = (int) $m[1];
		return $code >= 500 || 408 === $code || 429 === $code;
	}

	/**
	 * Keeps a job for a comment (replacing an older one) and schedules its next attempt.
	 *
	 * @param int                  $comment_id WordPress' comment id.
	 * @param array<string, mixed> $job        kind intake (held_as) or decision (action, actor).
	 */
	public static function later( int $comment_id, array $job ): void {
		$previous = get_comment_meta( $comment_id, META_RETRY, true );
		$same     = is_array( $previous ) && ( $previous['kind'] ?? '' ) === $job['kind'];
		$attempt  = $same ? (int) ( $previous['attempt'] ?? 0 ) + 1 : 1;
		if ( $attempt > self::MAX_ATTEMPT ) {
			delete_comment_meta( $comment_id, META_RETRY ); // Given up; META_ERROR says why.
			return;
		}
		update_comment_meta( $comment_id, META_RETRY, array_merge( $job, array( 'attempt' => $attempt ) ) );
		if ( false === wp_next_scheduled( self::HOOK, array( $comment_id ) ) ) {
			wp_schedule_single_event( time() + MINUTE_IN_SECONDS * ( 2 ** ( $attempt - 1 ) ), self::HOOK, array( $comment_id ) );
		}
	}

	/**
	 * Forgets a comment's job (done, or made pointless by a newer success).
	 *
	 * @param int $comment_id WordPress' comment id.
	 */
	public static function done( int $comment_id ): void {
		delete_comment_meta( $comment_id, META_RETRY );
		delete_comment_meta( $comment_id, META_ERROR );
		wp_clear_scheduled_hook( self::HOOK, array( $comment_id ) );
	}

	/**
	 * One attempt at a comment's job (the cron event).
	 *
	 * @param int $comment_id WordPress' comment id.
	 */
	public function run( $comment_id ): void {
		$comment_id = (int) $comment_id;
		$job        = get_comment_meta( $comment_id, META_RETRY, true );
		$comment    = get_comment( $comment_id );
		if ( ! is_array( $job ) || ! $comment || ! Settings::ready() ) {
			return;
		}
		$outcome = 'decision' === ( $job['kind'] ?? '' )
			? $this->decision( $comment_id, (string) $job['action'], (string) $job['actor'] )
			: $this->intake( $comment_id, (array) $comment->to_array(), (string) ( $job['held_as'] ?? '' ) );
		if ( true === $outcome ) {
			self::done( $comment_id );
			return;
		}
		update_comment_meta( $comment_id, META_ERROR, $outcome->get_error_message() );
		if ( self::transient( $outcome ) ) {
			self::later( $comment_id, $job );
		} else {
			delete_comment_meta( $comment_id, META_RETRY );
		}
	}

	/**
	 * Sends a decision taken in wp-admin while the service was unreachable.
	 *
	 * @param int    $comment_id WordPress' comment id.
	 * @param string $action     approve, reject, spam or not_spam.
	 * @param string $actor      Who decided.
	 * @return true|WP_Error
	 */
	private function decision( int $comment_id, string $action, string $actor ) {
		$service_id = (string) get_comment_meta( $comment_id, META_ID, true );
		$client     = new Client();
		$answer     = $client->decide( $service_id, $action, $actor );
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		Statuses::remember_own( $comment_id, (string) ( $answer['status'] ?? '' ), $client->answered_at() ?? Clock::now() );
		return true;
	}

	/**
	 * Sends a comment stored while the service was unreachable. While nobody has touched it
	 * since (it still has the status the fail mode gave it), the service's verdict applies;
	 * otherwise the service is told what wp-admin decided.
	 *
	 * @param int                  $comment_id WordPress' comment id.
	 * @param array<string, mixed> $data       The stored comment.
	 * @param string               $held_as    Its status when stored (approved, unapproved).
	 * @return true|WP_Error
	 */
	private function intake( int $comment_id, array $data, string $held_as ) {
		$answer = ( new Client() )->post_comment( Intake::payload( $data, Intake::idempotency_key( $data ), false ) );
		$status = is_wp_error( $answer ) ? '' : (string) ( $answer['status'] ?? '' );
		if ( is_wp_error( $answer ) || null === Statuses::to_wordpress( $status ) ) {
			return is_wp_error( $answer ) ? $answer : new WP_Error( 'cmsvc_http_200', 'unexpected answer' );
		}
		update_comment_meta( $comment_id, META_ID, (string) $answer['id'] );
		update_comment_meta( $comment_id, META_STATUS, $status );
		$now = (string) wp_get_comment_status( $comment_id );
		if ( $now === $held_as ) {
			$this->feedback->quietly( static fn() => Statuses::apply( $comment_id, $status ) );
			return true;
		}
		$action = Statuses::action_for( $now, Statuses::wordpress_name( $status ) );
		// A decision that fails (a lease, the service gone again) fails this job: its next
		// attempt posts the comment again (same idempotency key, same answer) and decides again.
		return null === $action ? true : $this->decision( $comment_id, $action, 'wordpress' );
	}
}
