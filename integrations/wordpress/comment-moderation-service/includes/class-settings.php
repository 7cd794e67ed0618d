<?php
/**
 * The settings page (Settings → Comment moderation) and access to the saved settings.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

/**
 * Service URL, site key, webhook secret, fail mode and timeout, kept in one option.
 */
final class Settings {

	public const DEFAULTS = array(
		'service_url'    => '',
		'site_key'       => '',
		'webhook_secret' => '',
		'fail_mode'      => 'open', // 'open': WordPress decides alone; 'hold': hold for review.
		'timeout'        => 3,      // seconds; a comment waits at most this long for the service.
	);
	public const MAX_TIMEOUT = 10;
	private const PAGE       = 'comment-moderation-service';

	/**
	 * The saved settings, with defaults for anything missing.
	 *
	 * @return array{service_url: string, site_key: string, webhook_secret: string, fail_mode: string, timeout: int}
	 */
	public static function get(): array {
		$saved = get_option( OPTION, array() );
		return array_merge( self::DEFAULTS, is_array( $saved ) ? $saved : array() );
	}

	/**
	 * Whether comments can be sent to the service (a URL and a site key are set).
	 */
	public static function ready(): bool {
		$settings = self::get();
		return '' !== $settings['service_url'] && '' !== $settings['site_key'];
	}

	/**
	 * The URL to give the service as the site's webhook_url.
	 */
	public static function webhook_url(): string {
		return rest_url( REST_NAMESPACE . REST_ROUTE );
	}

	/**
	 * The site the service said the key opens (GET /v1/site), when the settings were last
	 * checked: site, name, webhook_url, webhook_configured, checked_at; null before.
	 *
	 * @return array<string, mixed>|null
	 */
	public static function site(): ?array {
		$site = get_option( Check::SITE );
		return is_array( $site ) ? $site : null;
	}

	/**
	 * The service's command that points the site's webhooks at this WordPress and prints the
	 * secret to enter here.
	 */
	public static function webhook_command(): string {
		$site = self::site();
		$slug = is_array( $site ) && is_string( $site['site'] ?? null ) ? $site['site'] : 'SLUG';
		return 'moderation sites webhook ' . $slug . ' --url ' . self::webhook_url();
	}

	/**
	 * The settings page's summary: the site of the key, the webhook URL and the command that
	 * sets it, when the last webhook came.
	 */
	private function status(): void {
		$site   = self::site();
		$lines  = array();
		$format = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
		if ( null !== $site ) {
			$lines[] = esc_html(
				sprintf(
					/* translators: 1: the site's name in the service, 2: when the settings were checked. */
					__( 'The site key opens the service\'s site "%1$s" (checked %2$s).', 'comment-moderation-service' ),
					(string) ( $site['name'] ?? $site['site'] ?? '' ),
					wp_date( $format, (int) ( $site['checked_at'] ?? 0 ) )
				)
			);
		}
		$lines[] = esc_html__( 'Webhook URL to configure in the service:', 'comment-moderation-service' ) . ' <code>' . esc_html( self::webhook_url() ) . '</code>';
		$lines[] = esc_html__( 'On the service\'s host, this command sets it and prints the webhook secret:', 'comment-moderation-service' ) . ' <code>' . esc_html( self::webhook_command() ) . '</code>';
		$last  = (int) get_option( Webhook::LAST_RECEIVED, 0 );
		$since = (int) get_option( Check::CONFIGURED_AT, 0 );
		if ( $last > 0 ) {
			/* translators: %s: date and time. */
			$lines[] = esc_html( sprintf( __( 'Last webhook received: %s.', 'comment-moderation-service' ), wp_date( $format, $last ) ) );
		} elseif ( $since > 0 ) {
			/* translators: %s: date and time. */
			$lines[] = '<strong>' . esc_html( sprintf( __( 'No webhook received since %s.', 'comment-moderation-service' ), wp_date( $format, $since ) ) ) . '</strong> ' . esc_html__( 'Moderators\' decisions in the service reach WordPress only through webhooks: check the URL above in the service, and that the service may call it (MODERATION_WEBHOOK_ALLOWED_NETWORKS when WordPress is on a private network or the same host).', 'comment-moderation-service' );
		}
		echo '<div class="cmsvc-status"><p>' . implode( '</p><p>', $lines ) . '</p></div>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
	}

	/**
	 * Hooks the page into wp-admin.
	 */
	public function register(): void {
		add_action( 'admin_menu', array( $this, 'menu' ) );
		add_action( 'admin_init', array( $this, 'fields' ) );
	}

	/**
	 * Adds Settings → Comment moderation.
	 */
	public function menu(): void {
		add_options_page(
			__( 'Comment moderation service', 'comment-moderation-service' ),
			__( 'Comment moderation', 'comment-moderation-service' ),
			'manage_options',
			self::PAGE,
			array( $this, 'page' )
		);
	}

	/**
	 * Registers the option and its fields.
	 */
	public function fields(): void {
		register_setting(
			self::PAGE,
			OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( $this, 'sanitize' ),
				'default'           => self::DEFAULTS,
			)
		);
		add_settings_section( 'cmsvc_main', '', '__return_null', self::PAGE );
		$fields = array(
			'service_url'    => __( 'Service URL', 'comment-moderation-service' ),
			'site_key'       => __( 'Site key', 'comment-moderation-service' ),
			'webhook_secret' => __( 'Webhook secret', 'comment-moderation-service' ),
			'fail_mode'      => __( 'When the service is unreachable', 'comment-moderation-service' ),
			'timeout'        => __( 'Timeout (seconds)', 'comment-moderation-service' ),
		);
		foreach ( $fields as $name => $label ) {
			add_settings_field( 'cmsvc_' . $name, $label, array( $this, 'field' ), self::PAGE, 'cmsvc_main', array( 'name' => $name ) );
		}
	}

	/**
	 * Cleans what the form sent; an empty key or secret keeps the saved one. The service is
	 * asked (GET /v1/site) whether the key and the secret are this site's: a key or a secret
	 * it refuses, or a URL that is not the service's, is not saved (the previous one is
	 * kept) and a notice says why. A service that cannot be reached leaves them unchecked:
	 * saved, with a warning.
	 *
	 * @param mixed $input The submitted values.
	 * @return array<string, mixed>
	 */
	public function sanitize( $input ): array {
		static $done = array(); // WordPress calls this twice when the option is first added.
		$memo = md5( (string) wp_json_encode( $input ) );
		if ( isset( $done[ $memo ] ) ) {
			return $done[ $memo ];
		}
		$saved = self::get();
		$input = is_array( $input ) ? wp_unslash( $input ) : array();
		$url   = esc_url_raw( trim( (string) ( $input['service_url'] ?? '' ) ), array( 'http', 'https' ) );
		if ( '' === $url && '' !== trim( (string) ( $input['service_url'] ?? '' ) ) ) {
			add_settings_error( OPTION, 'cmsvc_url', __( 'The service URL must be an http(s) URL.', 'comment-moderation-service' ) );
			$url = $saved['service_url'];
		}
		$key     = trim( (string) ( $input['site_key'] ?? '' ) );
		$secret  = trim( (string) ( $input['webhook_secret'] ?? '' ) );
		$cleaned = array(
			'service_url'    => untrailingslashit( $url ),
			'site_key'       => '' === $key ? $saved['site_key'] : $key,
			'webhook_secret' => '' === $secret ? $saved['webhook_secret'] : $secret,
			'fail_mode'      => 'hold' === ( $input['fail_mode'] ?? '' ) ? 'hold' : 'open',
			'timeout'        => max( 1, min( self::MAX_TIMEOUT, (int) ( $input['timeout'] ?? 3 ) ) ),
		);
		if ( '' !== $cleaned['service_url'] && '' !== $cleaned['site_key'] ) {
			$cleaned = ( new Check( $saved, $cleaned, '' !== $secret ) )->run();
		}
		// add_option() sanitizes again what update_option() sanitized: the same answer.
		$done[ $memo ]                                      = $cleaned;
		$done[ md5( (string) wp_json_encode( $cleaned ) ) ] = $cleaned;
		return $cleaned;
	}

	/**
	 * Prints one field.
	 *
	 * @param array{name: string} $args Which field.
	 */
	public function field( array $args ): void {
		$settings = self::get();
		$name     = $args['name'];
		$id       = 'cmsvc_' . $name;
		$attr     = OPTION . '[' . $name . ']';
		switch ( $name ) {
			case 'service_url':
				printf( '<input type="url" class="regular-text" id="%s" name="%s" value="%s" placeholder="https://moderation.example.com">', esc_attr( $id ), esc_attr( $attr ), esc_attr( $settings['service_url'] ) );
				break;
			case 'site_key':
			case 'webhook_secret':
				$set = '' !== $settings[ $name ];
				printf( '<input type="password" class="regular-text" autocomplete="off" id="%s" name="%s" value="" placeholder="%s">', esc_attr( $id ), esc_attr( $attr ), esc_attr( $set ? __( '(saved; leave empty to keep it)', 'comment-moderation-service' ) : '' ) );
				if ( 'webhook_secret' === $name ) {
					printf(
						'<p class="description">%s <code>%s</code></p>',
						esc_html__( 'Printed by', 'comment-moderation-service' ),
						esc_html( self::webhook_command() )
					);
				}
				break;
			case 'fail_mode':
				$choices = array(
					'open' => __( 'Fail open: WordPress decides as it would without this plugin', 'comment-moderation-service' ),
					'hold' => __( 'Hold: keep the comment for review', 'comment-moderation-service' ),
				);
				foreach ( $choices as $value => $label ) {
					printf( '<label><input type="radio" name="%s" value="%s"%s> %s</label><br>', esc_attr( $attr ), esc_attr( $value ), checked( $settings['fail_mode'], $value, false ), esc_html( $label ) );
				}
				break;
			case 'timeout':
				printf( '<input type="number" min="1" max="%d" id="%s" name="%s" value="%d">', (int) self::MAX_TIMEOUT, esc_attr( $id ), esc_attr( $attr ), (int) $settings['timeout'] );
				break;
		}
	}

	/**
	 * Prints the page.
	 */
	public function page(): void {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		echo '<div class="wrap"><h1>' . esc_html( get_admin_page_title() ) . '</h1>';
		$this->status();
		echo '<form method="post" action="options.php">';
		settings_fields( self::PAGE );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form></div>';
	}
}
