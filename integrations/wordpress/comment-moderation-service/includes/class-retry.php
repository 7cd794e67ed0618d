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
	public const ORPHANS_HOOK = 'cmsvc_retry_orphans';
	// Decisions on comments deleted in WordPress that the service has not taken yet.
	public const ORPHANS = 'cmsvc_orphans';
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
		add_action( self::ORPHANS_HOOK, array( $this, 'run_orphans' ) );
	}

	/**
	 * Keeps a decision on a comment being deleted in WordPress (its meta goes with it) and
	 * schedules its attempt.
	 *
	 * @param string $service_id The service's comment id.
	 * @param string $action     The decision.
	 * @param string $actor      Who decided.
	 */
	public static function orphan( string $service_id, string $action, string $actor ): void {
		$orphans                = get_option( self::ORPHANS );
		$orphans                = is_array( $orphans ) ? $orphans : array();
		$orphans[ $service_id ] = array(
			'action'  => $action,
			'actor'   => $actor,
			'attempt' => 0,
		);
		update_option( self::ORPHANS, $orphans, false );
		if ( false === wp_next_scheduled( self::ORPHANS_HOOK ) ) {
			wp_schedule_single_event( time() + MINUTE_IN_SECONDS, self::ORPHANS_HOOK );
		}
	}

	/**
	 * Sends the decisions on deleted comments (the cron event); those that may still pass
	 * are tried again later, up to MAX_ATTEMPT times.
	 */
	public function run_orphans(): void {
		$orphans = get_option( self::ORPHANS );
		if ( ! is_array( $orphans ) || ! Settings::ready() ) {
			return;
		}
		$client = new Client();
		$next   = 0;
		foreach ( $orphans as $service_id => $job ) {
			$answer = $client->decide( (string) $service_id, (string) $job['action'], (string) $job['actor'] );
			$plan   = is_wp_error( $answer ) ? self::plan( $answer, '/v1/comments/{id}/decision' ) : '';
			$tries  = (int) $job['attempt'] + 1;
			if ( '' === $plan || $tries > self::MAX_ATTEMPT ) {
				unset( $orphans[ $service_id ] );
				continue;
			}
			$orphans[ $service_id ]['attempt'] = 'settings' === $plan ? 0 : $tries;
			$next                              = max( $next, 'settings' === $plan ? 0 : $tries );
		}
		update_option( self::ORPHANS, $orphans, false );
		if ( $orphans && $next > 0 ) {
			wp_schedule_single_event( time() + MINUTE_IN_SECONDS * ( 2 ** ( $next - 1 ) ), self::ORPHANS_HOOK );
		}
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
	 * What to do after an error: 'later' (it may pass with time: retried on a growing
	 * delay), 'settings' (only new settings can cure it: retried once they are saved and
	 * checked), or '' (it will not pass: given up, META_ERROR says why).
	 *
	 * @param WP_Error $error What the client returned.
	 * @param string   $path  The path called (Health tells a wrong URL by it).
	 */
	public static function plan( WP_Error $error, string $path ): string {
		if ( Health::settings_error( $error, $path ) ) {
			return 'settings';
		}
		return self::transient( $error ) ? 'later' : '';
	}

	/**
	 * Keeps the job of an error as plan() says (or forgets it when it will not pass).
	 *
	 * @param int                  $comment_id WordPress' comment id.
	 * @param array<string, mixed> $job        kind intake (held_as, key) or decision (action, actor).
	 * @param WP_Error             $error      What the client returned.
	 * @param string               $path       The path called.
	 */
	public static function after( int $comment_id, array $job, WP_Error $error, string $path ): void {
		$plan = self::plan( $error, $path );
		if ( 'later' === $plan ) {
			self::later( $comment_id, $job );
		} elseif ( 'settings' === $plan ) {
			self::after_settings( $comment_id, $job );
		} else {
			delete_comment_meta( $comment_id, META_RETRY );
		}
	}

	/**
	 * Keeps a job that waits for the settings to be fixed: no attempt is scheduled until they
	 * are saved and the service accepts them (resume()).
	 *
	 * @param int                  $comment_id WordPress' comment id.
	 * @param array<string, mixed> $job        As for later().
	 */
	public static function after_settings( int $comment_id, array $job ): void {
		update_comment_meta( $comment_id, META_RETRY, array_merge( $job, array( 'attempt' => 0, 'settings' => true ) ) );
		wp_clear_scheduled_hook( self::HOOK, array( $comment_id ) );
	}

	/**
	 * Schedules at once (WP-Cron) every job that waited for the settings: they were just
	 * saved and the service accepted the key. How many were scheduled.
	 */
	public static function resume(): int {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$ids = $wpdb->get_col( $wpdb->prepare( "SELECT comment_id FROM $wpdb->commentmeta WHERE meta_key = %s", META_RETRY ) );
		$due = 0;
		foreach ( array_map( 'intval', (array) $ids ) as $comment_id ) {
			$job = get_comment_meta( $comment_id, META_RETRY, true );
			if ( ! is_array( $job ) || empty( $job['settings'] ) ) {
				continue;
			}
			unset( $job['settings'] );
			update_comment_meta( $comment_id, META_RETRY, $job );
			if ( false === wp_next_scheduled( self::HOOK, array( $comment_id ) ) ) {
				wp_schedule_single_event( time(), self::HOOK, array( $comment_id ) );
			}
			++$due;
		}
		if ( get_option( self::ORPHANS ) && false === wp_next_scheduled( self::ORPHANS_HOOK ) ) {
			wp_schedule_single_event( time(), self::ORPHANS_HOOK );
		}
		return $due;
	}

	/**
	 * How many comments have something waiting to be sent, and how many of them wait for
	 * the settings to be fixed.
	 *
	 * @return array{waiting: int, settings: int}
	 */
	public static function waiting(): array {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$values = $wpdb->get_col( $wpdb->prepare( "SELECT meta_value FROM $wpdb->commentmeta WHERE meta_key = %s", META_RETRY ) );
		$count  = array(
			'waiting'  => 0,
			'settings' => 0,
		);
		foreach ( (array) $values as $value ) {
			$job = maybe_unserialize( $value );
			if ( is_array( $job ) ) {
				++$count['waiting'];
				$count['settings'] += empty( $job['settings'] ) ? 0 : 1;
			}
		}
		return $count;
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
		unset( $job['settings'] );
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
			: $this->intake( $comment_id, (array) $comment->to_array(), $job );
		if ( true === $outcome ) {
			self::done( $comment_id );
			return;
		}
		update_comment_meta( $comment_id, META_ERROR, $outcome->get_error_message() );
		$path = 'decision' === ( $job['kind'] ?? '' ) ? '/v1/comments/{id}/decision' : '/v1/comments';
		self::after( $comment_id, $job, $outcome, $path );
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
		$status = (string) ( $answer['status'] ?? '' );
		Statuses::remember_own( $comment_id, $status, $client->answered_at() ?? Clock::now() );
		Trace::add( $comment_id, 'wp-admin', array( 'action' => $action, 'actor' => $actor, 'status' => $status ) );
		$this->feedback->follow( $comment_id, $status ); // As when it was sent at once.
		return true;
	}

	/**
	 * Sends a comment stored while the service was unreachable. While nobody has touched it
	 * since (it still has the status the fail mode gave it), the service's verdict applies;
	 * otherwise the service is told what wp-admin decided.
	 *
	 * @param int                  $comment_id WordPress' comment id.
	 * @param array<string, mixed> $data       The stored comment.
	 * @param array<string, mixed> $job        Its job: held_as, its status when stored
	 *                                         (approved, unapproved); key, its idempotency key.
	 * @return true|WP_Error
	 */
	private function intake( int $comment_id, array $data, array $job ) {
		$held_as = (string) ( $job['held_as'] ?? '' );
		$key     = is_string( $job['key'] ?? null ) ? $job['key'] : Intake::idempotency_key( $data );
		$client  = new Client();
		$answer  = $client->post_comment( Intake::payload( $data, $key, false ) );
		$status  = is_wp_error( $answer ) ? '' : (string) ( $answer['status'] ?? '' );
		if ( is_wp_error( $answer ) || null === Statuses::to_wordpress( $status ) ) {
			return is_wp_error( $answer ) ? $answer : new WP_Error( 'cmsvc_http_200', 'unexpected answer' );
		}
		update_comment_meta( $comment_id, META_ID, (string) $answer['id'] );
		update_comment_meta( $comment_id, META_STATUS, $status );
		Trace::verdict( $comment_id, $answer, 'retry' );
		Trace::fetch_public_copy( $comment_id, $client, false );
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
