<?php
/**
 * The check of the settings when they are saved: is the key one of the service's, the
 * secret the one it signs with, the URL the service's?
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Asks GET /v1/site with the new settings and says what it found in notices of the settings
 * page (add_settings_error). What the service refuses is not saved: the previous value stays.
 */
final class Check {

	// What GET /v1/site said at the last check (Settings::site()).
	public const SITE = 'cmsvc_site';
	// When the webhook settings (URL or secret) last changed: "no webhook received since".
	public const CONFIGURED_AT = 'cmsvc_configured_at';
	// The text of the service's webhook_secret_check (moderation/api/site_info.py).
	private const SECRET_CHECK_TEXT = 'moderation webhook secret check v1';

	/**
	 * The settings saved until now.
	 *
	 * @var array<string, mixed>
	 */
	private array $saved;

	/**
	 * The settings as the form sent them, cleaned.
	 *
	 * @var array<string, mixed>
	 */
	private array $next;

	/**
	 * Whether the owner typed a webhook secret (rather than keeping the saved one).
	 *
	 * @var bool
	 */
	private bool $secret_typed;

	/**
	 * Keeps the settings to compare.
	 *
	 * @param array<string, mixed> $saved        The settings saved until now.
	 * @param array<string, mixed> $next         The new settings, cleaned.
	 * @param bool                 $secret_typed Whether a webhook secret was typed.
	 */
	public function __construct( array $saved, array $next, bool $secret_typed ) {
		$this->saved        = $saved;
		$this->next         = $next;
		$this->secret_typed = $secret_typed;
	}

	/**
	 * Checks the new settings with the service; the settings to save.
	 *
	 * @return array<string, mixed>
	 */
	public function run(): array {
		$client = new Client( $this->next );
		$site   = $client->site();
		if ( is_wp_error( $site ) ) {
			return $this->not_checked( $site, $client );
		}
		$slug  = (string) ( $site['site'] ?? '' );
		$saved = $this->next;
		$this->secret( $site, $slug, $saved );
		$this->webhooks( $site, $slug );
		notice(
			'cmsvc_checked',
			sprintf(
				/* translators: %s: the site's name in the service. */
				__( 'Settings checked: the service accepts the site key, which opens its site "%s".', 'comment-moderation-service' ),
				(string) ( $site['name'] ?? $slug )
			),
			'success'
		);
		$before = get_option( self::SITE );
		update_option(
			self::SITE,
			array(
				'site'               => $slug,
				'name'               => (string) ( $site['name'] ?? $slug ),
				'webhook_url'        => is_string( $site['webhook_url'] ?? null ) ? $site['webhook_url'] : null,
				'webhook_configured' => ! empty( $site['webhook_configured'] ),
				'checked_at'         => time(),
			),
			false
		);
		$moved = ! is_array( $before ) || ( $before['webhook_url'] ?? null ) !== ( $site['webhook_url'] ?? null );
		if ( $moved || $saved['webhook_secret'] !== $this->saved['webhook_secret'] || ! get_option( self::CONFIGURED_AT ) ) {
			update_option( self::CONFIGURED_AT, time(), false );
			delete_option( Webhook::LAST_RECEIVED ); // Webhooks are awaited anew.
		}
		Health::reset();
		Capabilities::refresh( $client );
		$this->resume();
		return $saved;
	}

	/**
	 * The secret checked against the service's check value: a typed one it does not sign
	 * with is not saved.
	 *
	 * @param array<string, mixed> $site  What GET /v1/site answered.
	 * @param string               $slug  The site's slug in the service.
	 * @param array<string, mixed> $saved The settings to save (changed here).
	 */
	private function secret( array $site, string $slug, array &$saved ): void {
		$secret = (string) $saved['webhook_secret'];
		if ( '' === $secret ) {
			notice( 'cmsvc_secret', __( 'No webhook secret: moderators\' decisions in the service will not reach WordPress until you enter it.', 'comment-moderation-service' ), 'warning' );
			return;
		}
		$check = (string) ( $site['webhook_secret_check'] ?? '' );
		if ( '' === $check || hash_equals( $check, hash_hmac( 'sha256', self::SECRET_CHECK_TEXT, $secret ) ) ) {
			return;
		}
		$command = 'moderation sites webhook ' . $slug;
		if ( $this->secret_typed ) {
			$saved['webhook_secret'] = $this->saved['webhook_secret'];
			/* translators: 1: the site's slug, 2: the command that prints the secret. */
			$text = __( 'The webhook secret was not saved: the service signs the webhooks of "%1$s" with another one (a typo, or a secret replaced since). The previous secret is kept. %2$s prints the right one.', 'comment-moderation-service' );
			notice( 'cmsvc_secret', sprintf( $text, $slug, $command ), 'error' );
			return;
		}
		/* translators: 1: the site's slug, 2: the command that prints the secret. */
		$text = __( 'The saved webhook secret is not the one the service signs the webhooks of "%1$s" with: WordPress refuses them. %2$s prints the right one.', 'comment-moderation-service' );
		notice( 'cmsvc_secret', sprintf( $text, $slug, $command ), 'warning' );
	}

	/**
	 * Warns when the service sends the site's webhooks nowhere, or somewhere else.
	 *
	 * @param array<string, mixed> $site What GET /v1/site answered.
	 * @param string               $slug The site's slug in the service.
	 */
	private function webhooks( array $site, string $slug ): void {
		$mine = Settings::webhook_url();
		$url  = is_string( $site['webhook_url'] ?? null ) ? $site['webhook_url'] : '';
		if ( '' === $url ) {
			/* translators: %s: the command. */
			$text = __( 'The service sends this site no webhooks yet: moderators\' decisions will not reach WordPress. On the service\'s host run %s', 'comment-moderation-service' );
			notice( 'cmsvc_webhook', sprintf( $text, 'moderation sites webhook ' . $slug . ' --url ' . $mine ), 'warning' );
		} elseif ( $url !== $mine ) {
			/* translators: 1: the URL the service uses, 2: this site's webhook URL. */
			$text = __( 'The service sends this site\'s webhooks to %1$s, not to this WordPress (%2$s).', 'comment-moderation-service' );
			notice( 'cmsvc_webhook', sprintf( $text, $url, $mine ), 'warning' );
		}
	}

	/**
	 * When GET /v1/site did not answer 200: a refused key or a URL that is not the service's
	 * are not saved; a service that cannot be reached leaves the settings saved unchecked.
	 *
	 * @param WP_Error $error  What the client returned.
	 * @param Client   $client The client of the new settings.
	 * @return array<string, mixed>
	 */
	private function not_checked( WP_Error $error, Client $client ): array {
		$code  = Health::http_code( $error );
		$saved = $this->next;
		if ( 401 === $code || 403 === $code ) {
			$saved['site_key'] = $this->saved['site_key'];
			/* translators: %s: the service's answer, such as "HTTP 401 ...". */
			$text = __( 'The site key was not saved: the service refused it (%s). Check it for a typo; a key replaced with "moderation sites rotate-key" stops working. The previous key is kept.', 'comment-moderation-service' );
			notice( 'cmsvc_key', sprintf( $text, $error->get_error_message() ), 'error' );
			return $saved;
		}
		if ( null === $code || $code >= 500 || 429 === $code ) {
			/* translators: %s: the error. */
			$text = __( 'The settings are saved but could not be checked: the service did not answer (%s). Comments follow the fail mode until it does.', 'comment-moderation-service' );
			notice( 'cmsvc_unreachable', sprintf( $text, $error->get_error_message() ), 'warning' );
			return $saved;
		}
		$doc = 404 === $code ? $client->openapi() : $error;
		if ( ! is_wp_error( $doc ) && isset( $doc['paths']['/v1/comments'] ) ) {
			notice( 'cmsvc_unchecked', __( 'The settings are saved but could not be checked: this version of the service cannot check a site key (it has no /v1/site).', 'comment-moderation-service' ), 'warning' );
			Capabilities::refresh( $client );
			return $saved;
		}
		$saved['service_url'] = $this->saved['service_url'];
		/* translators: %s: the answer, such as "HTTP 404". */
		$text = __( 'The service URL was not saved: it does not answer as the comment moderation service (%s). The previous URL is kept.', 'comment-moderation-service' );
		notice( 'cmsvc_url', sprintf( $text, $error->get_error_message() ), 'error' );
		return $saved;
	}

	/**
	 * Sends again (WP-Cron, at once) what waited for the settings to be fixed.
	 */
	private function resume(): void {
		$due = Retry::resume();
		if ( $due > 0 ) {
			/* translators: %d: how many comments. */
			$text = _n( '%d comment that waited for these settings is sent to the service again now.', '%d comments that waited for these settings are sent to the service again now.', $due, 'comment-moderation-service' );
			notice( 'cmsvc_resumed', sprintf( $text, $due ), 'info' );
		}
	}
}

/**
 * A notice of the settings page.
 *
 * @param string $code    Its code (its HTML id).
 * @param string $message The text.
 * @param string $type    error, warning, success or info.
 */
function notice( string $code, string $message, string $type ): void {
	add_settings_error( OPTION, $code, $message, $type );
}
