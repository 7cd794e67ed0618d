<?php
/**
 * Removes the plugin's option, table and comment meta when it is deleted in wp-admin.
 *
 * @package CommentModerationService
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

global $wpdb;
delete_option( 'cmsvc_settings' );
delete_option( 'cmsvc_db_version' );
delete_option( 'cmsvc_clock_offset' );
foreach ( array( 'cmsvc_health', 'cmsvc_capabilities', 'cmsvc_site', 'cmsvc_configured_at', 'cmsvc_last_webhook', 'cmsvc_orphans' ) as $cmsvc_option ) {
	delete_option( $cmsvc_option );
}
wp_unschedule_hook( 'cmsvc_retry_orphans' );
wp_unschedule_hook( 'cmsvc_retry' );
$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}cmsvc_webhook_events" ); // phpcs:ignore WordPress.DB
foreach ( array( '_cmsvc_id', '_cmsvc_status', '_cmsvc_status_at', '_cmsvc_own_after', '_cmsvc_error', '_cmsvc_retry', '_cmsvc_scores', '_cmsvc_reasons', '_cmsvc_history', '_cmsvc_public', '_cmsvc_public_at' ) as $cmsvc_key ) {
	delete_metadata( 'comment', 0, $cmsvc_key, '', true );
}
