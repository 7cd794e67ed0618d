<?php
/**
 * Webhook event ids already received: delivery is at least once, so each is applied once.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

/**
 * A table of event ids; the primary key settles concurrent deliveries of one event.
 */
final class Events {

	// The service retries for 24 h; ids are kept twice as long.
	private const KEEP_SECONDS = 2 * DAY_IN_SECONDS;

	/**
	 * The table's name.
	 */
	private static function table(): string {
		global $wpdb;
		return $wpdb->prefix . 'cmsvc_webhook_events';
	}

	/**
	 * Creates the table when this version has not yet (activation, or an update without one).
	 */
	public static function upgrade(): void {
		if ( get_option( 'cmsvc_db_version' ) !== VERSION ) {
			self::install();
		}
	}

	/**
	 * Creates the table (activation hook; dbDelta is idempotent).
	 */
	public static function install(): void {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$table   = self::table();
		$charset = $wpdb->get_charset_collate();
		dbDelta(
			"CREATE TABLE $table (
  event_id varchar(64) NOT NULL,
  received_at datetime NOT NULL,
  PRIMARY KEY  (event_id),
  KEY received_at (received_at)
) $charset;"
		);
		update_option( 'cmsvc_db_version', VERSION );
	}

	/**
	 * Records an event id; false when it was already there (a repeated delivery).
	 *
	 * @param string $event_id The event's id.
	 */
	public static function claim( string $event_id ): bool {
		global $wpdb;
		$table = self::table();
		if ( wp_rand( 1, 100 ) === 1 ) {
			self::prune();
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$added = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO $table (event_id, received_at) VALUES (%s, %s)", $event_id, gmdate( 'Y-m-d H:i:s' ) ) );
		if ( false === $added ) {
			throw new \RuntimeException( 'cannot record webhook event: ' . $wpdb->last_error );
		}
		return 1 === $added;
	}

	/**
	 * Forgets an event id whose processing failed, so that the retry is applied.
	 *
	 * @param string $event_id The event's id.
	 */
	public static function forget( string $event_id ): void {
		global $wpdb;
		$wpdb->delete( self::table(), array( 'event_id' => $event_id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
	}

	/**
	 * Drops ids older than the service could still resend.
	 */
	private static function prune(): void {
		global $wpdb;
		$table = self::table();
		$limit = gmdate( 'Y-m-d H:i:s', time() - self::KEEP_SECONDS );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( $wpdb->prepare( "DELETE FROM $table WHERE received_at < %s", $limit ) );
	}
}
