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
	 * Cleans what the form sent; an empty key or secret keeps the saved one.
	 *
	 * @param mixed $input The submitted values.
	 * @return array<string, mixed>
	 */
	public function sanitize( $input ): array {
		$saved = self::get();
		$input = is_array( $input ) ? wp_unslash( $input ) : array();
		$url   = esc_url_raw( trim( (string) ( $input['service_url'] ?? '' ) ), array( 'http', 'https' ) );
		if ( '' === $url && '' !== trim( (string) ( $input['service_url'] ?? '' ) ) ) {
			add_settings_error( OPTION, 'cmsvc_url', __( 'The service URL must be an http(s) URL.', 'comment-moderation-service' ) );
			$url = $saved['service_url'];
		}
		$key    = trim( (string) ( $input['site_key'] ?? '' ) );
		$secret = trim( (string) ( $input['webhook_secret'] ?? '' ) );
		return array(
			'service_url'    => untrailingslashit( $url ),
			'site_key'       => '' === $key ? $saved['site_key'] : $key,
			'webhook_secret' => '' === $secret ? $saved['webhook_secret'] : $secret,
			'fail_mode'      => 'hold' === ( $input['fail_mode'] ?? '' ) ? 'hold' : 'open',
			'timeout'        => max( 1, min( self::MAX_TIMEOUT, (int) ( $input['timeout'] ?? 3 ) ) ),
		);
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
						'<p class="description">%s <code>moderation sites webhook SLUG --url %s</code></p>',
						esc_html__( 'Printed by', 'comment-moderation-service' ),
						esc_html( self::webhook_url() )
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
		echo '<p>' . esc_html__( 'Webhook URL to configure in the service:', 'comment-moderation-service' ) . ' <code>' . esc_html( self::webhook_url() ) . '</code></p>';
		echo '<form method="post" action="options.php">';
		settings_fields( self::PAGE );
		do_settings_sections( self::PAGE );
		submit_button();
		echo '</form></div>';
	}
}
