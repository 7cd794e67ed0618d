<?php
/**
 * Command-line helper of the end-to-end test (what wp-cli would do), run as
 *   php wp-tool.php WP_DIR COMMAND [JSON]
 * It prints one JSON document on standard output.
 *
 * Commands:
 *   createdb {"host","user","password","name"}   create the (empty) database
 *   dropdb   {"host","user","password","name"}   drop it
 *   install  {"url","admin","password"}          install WordPress (the plugin comes by upload)
 *   plugin-active {"plugin"}                       whether a plugin is active
 *   option   {"name","value"?}                     an option's value, set first when given
 *   cron-due                                       the cron events due now (hook names)
 *   run-cron {"hook"}                              run a hook's scheduled events now
 *   idempotency-key {"comment_id"}                 the plugin's idempotency key of a comment
 *   edit-comment {"comment_id","content"}          change a comment's text, as its edit screen does
 *   settings-get                                   the plugin's settings
 *   comments                                       every comment with the plugin's meta
 *   webhook-url                                    the URL the settings page tells to use
 *   erase    {"email"}                             run the plugin's personal data eraser
 *   retry    {"comment_id"}                        run a comment's scheduled retry now
 *   fault    {"fault"}                             crash, slow or '' (the mu-plugin e2e-faults.php)
 *
 * @package CommentModerationService
 */

if ( PHP_SAPI !== 'cli' ) {
	exit( 1 );
}

[ , $wp_dir, $command ] = $argv + array( '', '', '' );
$args                   = json_decode( $argv[3] ?? '{}', true ) ?? array();

/**
 * Prints the result and stops.
 *
 * @param mixed $result Anything JSON can hold.
 */
function done( $result ): void {
	echo json_encode( $result, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES ), "\n";
	exit( 0 );
}

if ( 'createdb' === $command || 'dropdb' === $command ) {
	mysqli_report( MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT );
	[ $host, $port ] = array_pad( explode( ':', $args['host'] ), 2, '3306' );
	$name            = '`' . str_replace( '`', '', $args['name'] ) . '`';
	try {
		$db = new mysqli( $host, $args['user'], $args['password'], '', (int) $port );
		$db->query( 'createdb' === $command
			? "CREATE DATABASE $name CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
			: "DROP DATABASE IF EXISTS $name" );
	} catch ( mysqli_sql_exception $e ) {
		fwrite( STDERR, "MariaDB: {$e->getMessage()}\n" );
		exit( 1 );
	}
	done( array( 'ok' => true ) );
}

$_SERVER['HTTP_HOST']   = parse_url( $args['url'] ?? 'http://127.0.0.1', PHP_URL_HOST );
$_SERVER['REQUEST_URI'] = '/';
if ( 'install' === $command ) {
	define( 'WP_INSTALLING', true );
}
require $wp_dir . '/wp-load.php';

switch ( $command ) {
	case 'install':
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		wp_install( 'Tin tức E2E', $args['admin'], 'admin@example.com', false, '', wp_slash( $args['password'] ) );
		update_option( 'siteurl', $args['url'] );
		update_option( 'home', $args['url'] );
		// No mail on this machine; no avatars from outside; WordPress alone would hold
		// a first-time author, the plugin replaces that with the service's decision.
		foreach ( array( 'comments_notify', 'moderation_notify', 'show_avatars' ) as $off ) {
			update_option( $off, 0 );
		}
		done( array( 'installed' => is_blog_installed() ) );
		break;
	case 'plugin-active':
		require_once ABSPATH . 'wp-admin/includes/plugin.php';
		done( is_plugin_active( $args['plugin'] ) );
		break;
	case 'option':
		if ( array_key_exists( 'value', $args ) ) {
			update_option( $args['name'], $args['value'] );
		}
		done( get_option( $args['name'] ) );
		break;
	case 'run-cron':
		// A cron event run now, whenever it is due (what WP-Cron does at its time).
		$ran = 0;
		foreach ( (array) _get_cron_array() as $at => $hooks ) {
			foreach ( $hooks[ $args['hook'] ] ?? array() as $event ) {
				wp_unschedule_event( $at, $args['hook'], $event['args'] );
				do_action_ref_array( $args['hook'], $event['args'] );
				++$ran;
			}
		}
		done( $ran );
		break;
	case 'edit-comment':
		// As the comment's edit screen saves it (wp_update_comment fires edit_comment).
		done( wp_update_comment( wp_slash( array( 'comment_ID' => (int) $args['comment_id'], 'comment_content' => $args['content'] ) ) ) );
		break;
	case 'idempotency-key':
		done( \CommentModerationService\Intake::idempotency_key( get_comment( (int) $args['comment_id'] )->to_array() ) );
		break;
	case 'cron-due':
		$due = array();
		foreach ( (array) _get_cron_array() as $at => $hooks ) {
			if ( $at <= time() ) {
				$due = array_merge( $due, array_keys( $hooks ) );
			}
		}
		done( $due );
		break;
	case 'settings-get':
		done( get_option( 'cmsvc_settings' ) );
		break;
	case 'comments':
		global $wpdb;
		$rows = $wpdb->get_results( "SELECT comment_ID, comment_post_ID, comment_author, comment_content, comment_approved FROM $wpdb->comments ORDER BY comment_ID", ARRAY_A );
		foreach ( $rows as &$row ) {
			foreach ( array( '_cmsvc_id', '_cmsvc_status', '_cmsvc_status_at', '_cmsvc_error', '_cmsvc_retry', '_cmsvc_public', '_cmsvc_public_at', '_cmsvc_history' ) as $key ) {
				$row[ $key ] = get_comment_meta( (int) $row['comment_ID'], $key, true );
			}
		}
		done( $rows );
		break;
	case 'webhook-url':
		done( rest_url( 'comment-moderation/v1/webhook' ) ); // The plugin may not be there yet.
		break;
	case 'erase':
		$erasers = apply_filters( 'wp_privacy_personal_data_erasers', array() );
		done( call_user_func( $erasers['comment-moderation-service']['callback'], $args['email'], 1 ) );
		break;
	case 'retry':
		$id        = (int) $args['comment_id'];
		$scheduled = false !== wp_next_scheduled( 'cmsvc_retry', array( $id ) );
		$job       = get_comment_meta( $id, '_cmsvc_retry', true );
		do_action( 'cmsvc_retry', $id );
		done( array( 'scheduled' => $scheduled, 'job' => $job ) );
		break;
	case 'fault':
		update_option( 'cmsvc_e2e_fault', (string) $args['fault'] );
		done( array( 'fault' => get_option( 'cmsvc_e2e_fault' ) ) );
		break;
	default:
		fwrite( STDERR, "unknown command $command\n" );
		exit( 2 );
}
