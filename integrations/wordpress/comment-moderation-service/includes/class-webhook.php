<?php
/**
 * The REST route receiving the service's webhooks.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_REST_Request;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * POST /wp-json/comment-moderation/v1/webhook: signature first, then de-duplication, then the
 * comment's public copy and its new status (each only when newer than the last one applied),
 * then the event's id recorded as applied.
 */
final class Webhook {

	// When the last signed delivery came (Unix time), shown on the settings page.
	public const LAST_RECEIVED = 'cmsvc_last_webhook';

	/**
	 * Applies changes without reporting them back to the service.
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
	 * Registers the route.
	 */
	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'route' ) );
	}

	/**
	 * The route is public: the signature is its authentication.
	 */
	public function route(): void {
		register_rest_route(
			REST_NAMESPACE,
			REST_ROUTE,
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'receive' ),
				'permission_callback' => '__return_true',
			)
		);
	}

	/**
	 * Verifies, de-duplicates and applies one event; any 2xx acknowledges it.
	 *
	 * @param WP_REST_Request $request The delivery.
	 */
	public function receive( WP_REST_Request $request ): WP_REST_Response {
		$secret = (string) Settings::get()['webhook_secret'];
		if ( '' === $secret ) {
			return self::answer( 503, 'webhook secret not configured' ); // Retried later.
		}
		$body     = $request->get_body(); // Raw bytes, as signed.
		$given    = (string) $request->get_header( 'X-Moderation-Signature' );
		$expected = 'sha256=' . hash_hmac( 'sha256', $body, $secret );
		if ( ! hash_equals( $expected, $given ) ) {
			return self::answer( 401, 'bad signature' );
		}
		$event = json_decode( $body, true );
		$id    = is_array( $event ) ? (string) ( $event['event_id'] ?? '' ) : '';
		$sent  = (string) $request->get_header( 'X-Moderation-Event-Id' );
		if ( '' === $id || strlen( $id ) > 64 || ( '' !== $sent && $sent !== $id ) ) {
			return self::answer( 400, 'no event id, or header and body disagree' );
		}
		// A signed delivery: the settings page says when the last one came.
		update_option( self::LAST_RECEIVED, time(), false );
		try {
			return $this->once( $id, $event );
		} catch ( \Throwable $e ) {
			error_log( 'comment-moderation-service: webhook ' . $id . ' failed: ' . $e->getMessage() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
			return self::answer( 500, 'not applied' ); // Not recorded: the service's retry applies it.
		}
	}

	/**
	 * Applies an event unless it was applied already, then records its id. Recorded only once
	 * applied, so that a delivery cut short (a fatal error, a timeout) is applied by the
	 * service's retry, never answered "duplicate"; applying again what was partly applied is
	 * harmless (newer-wins on META_STATUS_AT). The event's lock keeps two deliveries of it
	 * from applying it at once: the one that does not get it answers 409 and is retried.
	 *
	 * @param string               $id    The event's id.
	 * @param array<string, mixed> $event The verified event.
	 */
	private function once( string $id, array $event ): WP_REST_Response {
		if ( ! Events::lock( $id ) ) {
			return self::answer( 409, 'being applied' );
		}
		try {
			if ( Events::seen( $id ) ) {
				return self::answer( 200, 'duplicate' );
			}
			$result = $this->apply( $event );
			Events::record( $id );
			return self::answer( 200, $result );
		} finally {
			Events::unlock( $id );
		}
	}

	/**
	 * Applies an event: the public copy it carries (any event), then the status of a
	 * comment.status_changed; what was done, as a word.
	 *
	 * @param array<string, mixed> $event The verified event.
	 */
	private function apply( array $event ): string {
		$comment = is_array( $event['comment'] ?? null ) ? $event['comment'] : array();
		$kind    = (string) ( $event['event'] ?? '' );
		if ( ! in_array( $kind, array( 'comment.created', 'comment.status_changed', 'comment.edited' ), true ) ) {
			return 'ignored';
		}
		$comment_id = self::wordpress_id( (string) ( $comment['id'] ?? '' ) );
		$at         = Statuses::stamp( (string) ( $event['created_at'] ?? '' ) );
		if ( null === $comment_id || null === $at ) {
			// comment.created may come before the answer to the POST was applied: nothing lost,
			// that answer brings the comment's status (and the plugin asks for its copy).
			return 'comment.created' === $kind ? 'ignored' : 'unknown';
		}
		$copied = self::public_copy( $comment_id, $comment, $at );
		if ( 'comment.status_changed' !== $kind ) {
			return $copied ? 'edited' : ( 'comment.edited' === $kind ? 'stale' : 'ignored' );
		}
		$status = (string) ( $comment['status'] ?? '' );
		if ( null === Statuses::to_wordpress( $status ) ) {
			return 'unknown';
		}
		// Newer-wins compares the service's times only (see Clock): created_at with stamps of
		// earlier events or of the service's answers, never with WordPress' clock.
		$own = str_starts_with( (string) ( $comment['actor'] ?? '' ), 'site:' );
		if ( $own && Statuses::echoes( $comment_id, $status, $at ) ) {
			Statuses::remember( $comment_id, $status, $at ); // The exact time of this site's decision.
			Trace::verdict( $comment_id, $comment, 'webhook', (string) $event['created_at'] );
			return 'own';
		}
		if ( $at <= (string) get_comment_meta( $comment_id, META_STATUS_AT, true ) ) {
			return 'stale'; // A newer change was applied already.
		}
		if ( $own ) {
			Statuses::remember( $comment_id, $status, $at ); // This site's own decision.
			Trace::verdict( $comment_id, $comment, 'webhook', (string) $event['created_at'] );
			return 'own';
		}
		$this->feedback->quietly( static fn() => Statuses::apply( $comment_id, $status ) );
		Statuses::remember( $comment_id, $status, $at );
		Trace::verdict( $comment_id, $comment, 'webhook', (string) $event['created_at'] );
		if ( '' !== get_comment_meta( $comment_id, META_RETRY, true ) ) { // An array when there is one.
			Retry::done( $comment_id ); // A wp-admin decision still waiting is older than this.
		}
		if ( 'published' === $status && ! is_string( $comment['public_body'] ?? null ) ) {
			// A service that does not send the public copy: asked for it, as it may have been
			// edited by a moderator before publishing.
			Trace::fetch_public_copy( $comment_id, new Client(), true );
		}
		return 'applied';
	}

	/**
	 * Keeps the event's public copy (what readers see, see Display; a moderator's edit of it
	 * included: "edit and publish") when newer than the one kept. The comment's own text
	 * stays the original, for staff. Whether it was kept.
	 *
	 * @param int                  $comment_id WordPress' comment id.
	 * @param array<string, mixed> $comment    The event's comment.
	 * @param string               $at         The event's time, as Statuses::stamp() makes it.
	 */
	private static function public_copy( int $comment_id, array $comment, string $at ): bool {
		$public = $comment['public_body'] ?? null;
		if ( ! is_string( $public ) || '' === $public ) {
			return false; // A service that does not send it.
		}
		if ( $at <= (string) get_comment_meta( $comment_id, META_PUBLIC_AT, true ) ) {
			return false; // A newer copy (or a WordPress edit of the text) was applied already.
		}
		// update_comment_meta() unslashes what it stores: slashed, a backslash stays.
		update_comment_meta( $comment_id, META_PUBLIC, wp_slash( $public ) );
		update_comment_meta( $comment_id, META_PUBLIC_AT, $at );
		return true;
	}

	/**
	 * WordPress' comment holding a service id.
	 *
	 * @param string $service_id The service's comment id.
	 */
	private static function wordpress_id( string $service_id ): ?int {
		global $wpdb;
		if ( '' === $service_id ) {
			return null;
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$found = $wpdb->get_var( $wpdb->prepare( "SELECT comment_id FROM $wpdb->commentmeta WHERE meta_key = %s AND meta_value = %s LIMIT 1", META_ID, $service_id ) );
		return null === $found ? null : (int) $found;
	}

	/**
	 * A small JSON answer.
	 *
	 * @param int    $status HTTP status.
	 * @param string $result What happened.
	 */
	private static function answer( int $status, string $result ): WP_REST_Response {
		return new WP_REST_Response( array( 'result' => $result ), $status );
	}
}
