<?php
/**
 * Plugin Name:       Comment Moderation Service
 * Description:       Moderates new comments with the comment moderation service: applies its verdict (approved, held, spam, trash), follows its moderators' decisions through signed webhooks, reports every wp-admin status change back to it, and shows readers its copy of each comment with emails and phone numbers masked.
 * Version:           0.2.0
 * Requires at least: 6.1
 * Requires PHP:      8.0
 * License:           GPLv2 or later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       comment-moderation-service
 * Domain Path:       /languages
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

const VERSION = '0.2.0';
// The plugin's one option (an array, see Settings::DEFAULTS).
const OPTION = 'cmsvc_settings';
// Comment meta: the service's id of the comment, its status there, and the time (UTC,
// Y-m-d\TH:i:s.u) of the last status applied, so that an older webhook never undoes a newer one.
// That time is always one of the service's clock, never WordPress' (see Clock). While it is the
// rounded time of this site's own decision, META_OWN_AFTER keeps the one before.
const META_ID        = '_cmsvc_id';
const META_STATUS    = '_cmsvc_status';
const META_STATUS_AT = '_cmsvc_status_at';
const META_OWN_AFTER = '_cmsvc_own_after';
// Why the service could not be asked (unreachable, an error answer); the fail mode applied.
const META_ERROR = '_cmsvc_error';
// What is still to be sent (a comment or a decision), retried by WP-Cron: see Retry.
const META_RETRY = '_cmsvc_retry';
// What the service said (see Trace): scores and reasons of its latest verdict, a short
// history, and the public copy readers see (emails and phone numbers masked; see Display).
const META_SCORES  = '_cmsvc_scores';
const META_REASONS = '_cmsvc_reasons';
const META_HISTORY = '_cmsvc_history';
const META_PUBLIC  = '_cmsvc_public';
// When (the service's clock) the public copy kept in META_PUBLIC was the service's: a webhook
// brings a copy only when newer (an edit and a status change are separate events, in any order).
const META_PUBLIC_AT = '_cmsvc_public_at';
// The plugin's text domain; translations in languages/ (make -C integrations/wordpress mo).
const TEXT_DOMAIN = 'comment-moderation-service';
// REST route receiving the service's webhooks: /wp-json/comment-moderation/v1/webhook.
const REST_NAMESPACE = 'comment-moderation/v1';
const REST_ROUTE     = '/webhook';

require_once __DIR__ . '/includes/class-settings.php';
require_once __DIR__ . '/includes/class-clock.php';
require_once __DIR__ . '/includes/class-client.php';
require_once __DIR__ . '/includes/class-statuses.php';
require_once __DIR__ . '/includes/class-intake.php';
require_once __DIR__ . '/includes/class-feedback.php';
require_once __DIR__ . '/includes/class-events.php';
require_once __DIR__ . '/includes/class-webhook.php';
require_once __DIR__ . '/includes/class-privacy.php';
require_once __DIR__ . '/includes/class-retry.php';
require_once __DIR__ . '/includes/class-health.php';
require_once __DIR__ . '/includes/class-capabilities.php';
require_once __DIR__ . '/includes/class-check.php';
require_once __DIR__ . '/includes/class-trace.php';
require_once __DIR__ . '/includes/class-display.php';
require_once __DIR__ . '/includes/class-screens.php';

register_activation_hook( __FILE__, array( Events::class, 'install' ) );

/**
 * Wires the plugin's parts to WordPress' hooks once all plugins are loaded.
 */
function boot(): void {
	load_plugin_textdomain( TEXT_DOMAIN, false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
	Events::upgrade();
	$feedback = new Feedback();
	( new Settings() )->register();
	( new Intake() )->register();
	$feedback->register();
	( new Webhook( $feedback ) )->register();
	( new Privacy() )->register();
	( new Retry( $feedback ) )->register();
	( new Capabilities() )->register();
	( new Display() )->register();
	( new Screens() )->register();
}

add_action( 'plugins_loaded', __NAMESPACE__ . '\\boot' );
