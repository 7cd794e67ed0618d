<?php
/**
 * Whether the service answers: failed calls counted since the last good answer, shown in
 * wp-admin's notices (see Screens) and on the settings page.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * One small option: how many calls failed in a row, since when, the last error, and whether
 * it is one the settings cause (a refused key, a wrong URL) rather than one that passes.
 */
final class Health {

	public const OPTION = 'cmsvc_health';

	// Paths that always exist on the service: a 404 there means the URL is not the service's.
	private const FIXED_PATHS = array( '/v1/comments', '/v1/site' );

	/**
	 * Records the outcome of one call to the service.
	 *
	 * @param array<string, mixed>|WP_Error $answer What the call returned.
	 * @param string                        $path   The path called.
	 */
	public static function record( $answer, string $path ): void {
		$failed = is_wp_error( $answer ) && self::is_failure( $answer, $path );
		$now    = get_option( self::OPTION );
		if ( ! $failed ) {
			if ( false !== $now ) {
				delete_option( self::OPTION ); // The service answers again.
			}
			return;
		}
		$now = is_array( $now ) ? $now : array();
		update_option(
			self::OPTION,
			array(
				'failures'   => (int) ( $now['failures'] ?? 0 ) + 1,
				'since'      => (int) ( $now['since'] ?? time() ),
				'last_at'    => time(),
				'last_error' => $answer->get_error_message(),
				'settings'   => self::settings_error( $answer, $path ),
			),
			true
		);
	}

	/**
	 * The failures since the last good answer, or null when the service answers.
	 *
	 * @return array{failures: int, since: int, last_at: int, last_error: string, settings: bool}|null
	 */
	public static function failing(): ?array {
		$now = get_option( self::OPTION );
		if ( ! is_array( $now ) || empty( $now['failures'] ) ) {
			return null;
		}
		return array(
			'failures'   => (int) $now['failures'],
			'since'      => (int) ( $now['since'] ?? 0 ),
			'last_at'    => (int) ( $now['last_at'] ?? 0 ),
			'last_error' => (string) ( $now['last_error'] ?? '' ),
			'settings'   => ! empty( $now['settings'] ),
		);
	}

	/**
	 * Forgets the failures (the settings were changed and checked).
	 */
	public static function reset(): void {
		delete_option( self::OPTION );
	}

	/**
	 * Whether an error says the service is not answering as it should: no answer, a server
	 * error, a refused key, a rate limit, or an answer that is not the service's. A problem
	 * with one comment or decision (400, 409, 422, a comment the service does not know) is
	 * an answer of a working service.
	 *
	 * @param WP_Error $error What the client returned.
	 * @param string   $path  The path called.
	 */
	public static function is_failure( WP_Error $error, string $path ): bool {
		$code = self::http_code( $error );
		if ( null === $code ) {
			return true; // No answer at all.
		}
		return $code >= 500 || 429 === $code || self::settings_error( $error, $path );
	}

	/**
	 * Whether an error is one that only changing the settings can cure: the key refused (401,
	 * 403), a URL that is not the service's (404 on a path the service always has, or an
	 * answer that is not JSON).
	 *
	 * @param WP_Error $error What the client returned.
	 * @param string   $path  The path called.
	 */
	public static function settings_error( WP_Error $error, string $path ): bool {
		$code = self::http_code( $error );
		if ( null === $code ) {
			return false;
		}
		return 401 === $code || 403 === $code || ( $code >= 200 && $code < 300 )
			|| ( 404 === $code && in_array( $path, self::FIXED_PATHS, true ) );
	}

	/**
	 * The HTTP status of an error of the client, or null for no answer.
	 *
	 * @param WP_Error $error What the client returned.
	 */
	public static function http_code( WP_Error $error ): ?int {
		if ( Client::LEASE_HELD === $error->get_error_code() ) {
			return 409;
		}
		return preg_match( '/^cmsvc_http_(\d+)$/', (string) $error->get_error_code(), $m ) ? (int) $m[1] : null;
	}
}
