<?php
/**
 * HTTP calls to the moderation service, with the site key.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Posts comments and decisions; every call has the short timeout of the settings.
 */
final class Client {

	/**
	 * The error code of a decision refused because another moderator holds a live lease on the
	 * comment: that 409 passes with time (the lease is released by the moderator's decision or
	 * runs out), unlike a 409 elsewhere.
	 */
	public const LEASE_HELD = 'cmsvc_lease_held';

	/**
	 * Settings as Settings::get() returns them.
	 *
	 * @var array<string, mixed>
	 */
	private array $settings;

	/**
	 * The service's clock at its last answer (its Date header), as Clock::answered() makes it.
	 *
	 * @var string|null
	 */
	private ?string $answered_at = null;

	/**
	 * Reads the settings once (or uses those given: the settings page checks new ones).
	 *
	 * @param array<string, mixed>|null $settings Settings as Settings::get() returns them.
	 */
	public function __construct( ?array $settings = null ) {
		$this->settings = $settings ?? Settings::get();
	}

	/**
	 * POST /v1/comments: the service's answer (id, status, scores, reasons).
	 *
	 * @param array<string, mixed> $comment The fields of the service's CommentIn.
	 * @return array<string, mixed>|WP_Error
	 */
	public function post_comment( array $comment ) {
		return $this->post( '/v1/comments', $comment );
	}

	/**
	 * POST /v1/comments/{id}/decision with the site key; the answer (id, status, changed), or
	 * a WP_Error, LEASE_HELD when a moderator holds a live lease on the comment.
	 *
	 * @param string $id     The service's comment id.
	 * @param string $action approve, reject, spam or not_spam.
	 * @param string $actor  Who decided (at most 100 characters).
	 * @return array<string, mixed>|WP_Error
	 */
	public function decide( string $id, string $action, string $actor ) {
		$path   = '/v1/comments/' . rawurlencode( $id ) . '/decision';
		$answer = $this->post( $path, array( 'action' => $action, 'actor' => mb_substr( $actor, 0, 100 ) ) );
		if ( is_wp_error( $answer ) && 'cmsvc_http_409' === $answer->get_error_code() ) {
			// This endpoint answers 409 only for a live lease (API.md). The service's problems all
			// have the type about:blank, so the endpoint, not the type, tells this 409 from others
			// (such as a name already taken), which stay cmsvc_http_409 and are not retried.
			return new WP_Error( self::LEASE_HELD, $answer->get_error_message(), $answer->get_error_data() );
		}
		return $answer;
	}

	/**
	 * POST /v1/authors/erase: every comment of an author deleted in the service ({"erased": n}).
	 *
	 * @param string $email The author's email address.
	 * @return array<string, mixed>|WP_Error
	 */
	public function erase( string $email ) {
		return $this->post( '/v1/authors/erase', array( 'email' => $email ) );
	}

	/**
	 * The service's time of its answer to the last call: its Date header, rounded up to the
	 * end of that second (later than what the service did before answering); null without.
	 */
	public function answered_at(): ?string {
		return $this->answered_at;
	}

	/**
	 * GET /v1/site: which site the key opens, where its webhooks go and a check value of the
	 * webhook secret ({"site", "name", "webhook_configured", "webhook_url",
	 * "webhook_secret_check"}).
	 *
	 * @return array<string, mixed>|WP_Error
	 */
	public function site() {
		// Not counted in Health: a key tried on the settings page is not the one in use.
		return $this->request( 'GET', '/v1/site', null, false );
	}

	/**
	 * GET /v1/comments/{id}: the comment as its site sees it (with public_body, the copy for
	 * readers: emails and phone numbers masked).
	 *
	 * @param string $id The service's comment id.
	 * @return array<string, mixed>|WP_Error
	 */
	public function comment( string $id ) {
		return $this->request( 'GET', '/v1/comments/' . rawurlencode( $id ) );
	}

	/**
	 * POST /v1/comments/{id}/report: a reader's report relayed (only when the service has it:
	 * see Capabilities::reports()).
	 *
	 * @param string               $id     The service's comment id.
	 * @param array<string, mixed> $report The fields of the service's report body.
	 * @return array<string, mixed>|WP_Error
	 */
	public function report( string $id, array $report ) {
		return $this->post( '/v1/comments/' . rawurlencode( $id ) . '/report', $report );
	}

	/**
	 * GET /openapi.json: the service's description of its API (what it accepts).
	 *
	 * @return array<string, mixed>|WP_Error
	 */
	public function openapi() {
		return $this->request( 'GET', '/openapi.json', null, false );
	}

	/**
	 * One JSON POST; a WP_Error for no answer or an answer other than 2xx.
	 *
	 * @param string               $path Path under the service URL.
	 * @param array<string, mixed> $body The JSON body.
	 * @return array<string, mixed>|WP_Error
	 */
	private function post( string $path, array $body ) {
		return $this->request( 'POST', $path, $body );
	}

	/**
	 * One call; a WP_Error for no answer or an answer other than 2xx (its code cmsvc_http_N,
	 * the service's problem as its data). Every answer is recorded in Health.
	 *
	 * @param string                    $method GET or POST.
	 * @param string                    $path   Path under the service URL.
	 * @param array<string, mixed>|null $body   The JSON body of a POST.
	 * @param bool                      $track  Whether the outcome counts in Health.
	 * @return array<string, mixed>|WP_Error
	 */
	private function request( string $method, string $path, ?array $body = null, bool $track = true ) {
		$this->answered_at = null;
		$headers           = array(
			'Authorization' => 'Bearer ' . $this->settings['site_key'],
			'Accept'        => 'application/json',
		);
		$args              = array(
			'method'      => $method,
			'timeout'     => (float) $this->settings['timeout'],
			'redirection' => 0,
			'headers'     => $headers,
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json; charset=utf-8';
			$args['body']                    = wp_json_encode( $body );
		}
		$response = wp_remote_request( $this->settings['service_url'] . $path, $args );
		$answer   = $this->decode( $response );
		if ( $track ) {
			Health::record( $answer, $path );
		}
		return $answer;
	}

	/**
	 * The decoded answer, or the WP_Error of a failed call.
	 *
	 * @param array<string, mixed>|WP_Error $response What wp_remote_request returned.
	 * @return array<string, mixed>|WP_Error
	 */
	private function decode( $response ) {
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$date              = wp_remote_retrieve_header( $response, 'date' );
		$this->answered_at = Clock::answered( is_array( $date ) ? (string) reset( $date ) : (string) $date );
		$code              = (int) wp_remote_retrieve_response_code( $response );
		$decoded           = json_decode( wp_remote_retrieve_body( $response ), true );
		if ( $code < 200 || $code >= 300 || ! is_array( $decoded ) ) {
			$detail = is_array( $decoded ) ? (string) ( $decoded['detail'] ?? $decoded['title'] ?? '' ) : '';
			$fields = array();
			foreach ( is_array( $decoded['errors'] ?? null ) ? $decoded['errors'] : array() as $error ) {
				if ( is_array( $error ) && isset( $error['field'] ) ) {
					$fields[] = $error['field'] . ': ' . ( $error['message'] ?? '' );
				}
			}
			$detail .= $fields ? ' (' . implode( '; ', $fields ) . ')' : '';
			return new WP_Error( 'cmsvc_http_' . $code, trim( "HTTP $code $detail" ), $decoded );
		}
		return $decoded;
	}
}
