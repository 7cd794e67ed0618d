<?php
/**
 * What the service accepts, read from its OpenAPI document (/openapi.json).
 *
 * The service refuses fields it does not know (422), and some of its features are newer than
 * others: the article's title and address with each comment, readers' reports, a "hold"
 * decision. The plugin uses each only once the service's own description lists it, so the
 * same plugin works with an older service and a newer one.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

/**
 * The parts of /openapi.json the plugin needs, kept in an option; read again when the
 * settings are saved and, on an admin page, once it is older than REFRESH seconds.
 */
final class Capabilities {

	public const OPTION      = 'cmsvc_capabilities';
	private const REFRESH    = 12 * HOUR_IN_SECONDS;
	private const REPORT     = '/v1/comments/{id}/report';
	private const SCHEMA_REF = '#/components/schemas/';

	/**
	 * Hooks the refresh of stale capabilities into wp-admin.
	 */
	public function register(): void {
		add_action( 'admin_init', array( $this, 'refresh_when_stale' ) );
	}

	/**
	 * Reads the description again when it is old (on an administrator's admin page only:
	 * never while a reader waits, admin-post.php runs admin_init for readers' reports too).
	 */
	public function refresh_when_stale(): void {
		if ( ! current_user_can( 'manage_options' ) || wp_doing_ajax() ) {
			return;
		}
		$known = get_option( self::OPTION );
		if ( Settings::ready() && ( ! is_array( $known ) || (int) ( $known['at'] ?? 0 ) < time() - self::REFRESH ) ) {
			self::refresh( new Client() );
		}
	}

	/**
	 * Reads /openapi.json and keeps what the plugin needs; whether the service answered.
	 *
	 * @param Client $client A client with the settings to use.
	 */
	public static function refresh( Client $client ): bool {
		$doc = $client->openapi();
		if ( is_wp_error( $doc ) ) {
			// Keep what was known; try again at the next refresh.
			$known       = get_option( self::OPTION );
			$known       = is_array( $known ) ? $known : array();
			$known['at'] = time();
			update_option( self::OPTION, $known, true );
			return false;
		}
		update_option( self::OPTION, array_merge( self::parse( $doc ), array( 'at' => time() ) ), true );
		return true;
	}

	/**
	 * The capabilities an OpenAPI document describes.
	 *
	 * @param array<string, mixed> $doc The document.
	 * @return array{comment_fields: string[], decision_actions: string[], report: bool, report_fields: string[], report_reasons: string[], site_info: bool}
	 */
	public static function parse( array $doc ): array {
		$paths   = is_array( $doc['paths'] ?? null ) ? $doc['paths'] : array();
		$report  = $paths[ self::REPORT ]['post'] ?? null;
		$schema  = is_array( $report ) ? self::body_schema( $doc, $report ) : array();
		$reasons = $schema['properties']['reason']['enum'] ?? array();
		return array(
			'comment_fields'   => array_keys( (array) ( self::schema( $doc, 'CommentIn' )['properties'] ?? array() ) ),
			'decision_actions' => array_values( array_filter( (array) ( self::schema( $doc, 'DecisionIn' )['properties']['action']['enum'] ?? array() ), 'is_string' ) ),
			'report'           => is_array( $report ),
			'report_fields'    => array_keys( (array) ( $schema['properties'] ?? array() ) ),
			'report_reasons'   => array_values( array_filter( (array) $reasons, 'is_string' ) ),
			'site_info'        => isset( $paths['/v1/site']['get'] ),
		);
	}

	/**
	 * Whether POST /v1/comments takes an optional field (thread_title, thread_url).
	 *
	 * @param string $name The field.
	 */
	public static function comment_field( string $name ): bool {
		return in_array( $name, self::get( 'comment_fields' ), true );
	}

	/**
	 * Whether POST /v1/comments/{id}/decision takes an action (hold).
	 *
	 * @param string $action The action.
	 */
	public static function decision( string $action ): bool {
		return in_array( $action, self::get( 'decision_actions' ), true );
	}

	/**
	 * Whether the service takes readers' reports (POST /v1/comments/{id}/report).
	 */
	public static function reports(): bool {
		return true === apply_filters( 'cmsvc_reports_enabled', (bool) self::get( 'report' ) );
	}

	/**
	 * The reasons a report may give (the service's enum), or none when it takes free text.
	 *
	 * @return string[]
	 */
	public static function report_reasons(): array {
		return self::get( 'report_reasons' );
	}

	/**
	 * Whether a report's body takes a field (reason, reporter_ip, ...).
	 *
	 * @param string $name The field.
	 */
	public static function report_field( string $name ): bool {
		return in_array( $name, self::get( 'report_fields' ), true );
	}

	/**
	 * One capability as kept (an empty list or false when unknown).
	 *
	 * @param string $name Its key in parse()'s answer.
	 * @return mixed
	 */
	private static function get( string $name ) {
		$known = get_option( self::OPTION );
		$value = is_array( $known ) ? ( $known[ $name ] ?? null ) : null;
		if ( 'report' === $name || 'site_info' === $name ) {
			return true === $value;
		}
		return is_array( $value ) ? $value : array();
	}

	/**
	 * A component schema by name.
	 *
	 * @param array<string, mixed> $doc  The document.
	 * @param string               $name The schema's name.
	 * @return array<string, mixed>
	 */
	private static function schema( array $doc, string $name ): array {
		$found = $doc['components']['schemas'][ $name ] ?? array();
		return is_array( $found ) ? $found : array();
	}

	/**
	 * The JSON schema of an operation's request body, its $ref followed.
	 *
	 * @param array<string, mixed> $doc       The document.
	 * @param array<string, mixed> $operation The operation.
	 * @return array<string, mixed>
	 */
	private static function body_schema( array $doc, array $operation ): array {
		$schema = $operation['requestBody']['content']['application/json']['schema'] ?? array();
		$ref    = is_array( $schema ) ? (string) ( $schema['$ref'] ?? '' ) : '';
		if ( str_starts_with( $ref, self::SCHEMA_REF ) ) {
			return self::schema( $doc, substr( $ref, strlen( self::SCHEMA_REF ) ) );
		}
		return is_array( $schema ) ? $schema : array();
	}
}
