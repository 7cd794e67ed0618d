<?php
/**
 * Webhook event ids already applied: delivery is at least once, so each is applied once.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

/**
 * A table of the event ids applied. An id is recorded once its event has been applied, not
 * before: a delivery cut short by a fatal error or a timeout (which no try/catch sees) leaves
 * no record, and the service's retry applies the event. Two deliveries of one event at once
 * are kept apart by a named lock of the database server, which it frees when the connection
 * of a request that died closes.
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
	 * Takes the lock of an event id without waiting; false when another delivery of the
	 * event holds it (it is being applied right now).
	 *
	 * @param string $event_id The event's id.
	 */
	public static function lock( string $event_id ): bool {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$got = $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', self::lock_name( $event_id ) ) );
		if ( null === $got ) {
			throw new \RuntimeException( 'cannot lock webhook event: ' . $wpdb->last_error );
		}
		return '1' === (string) $got;
	}

	/**
	 * Gives back the lock of an event id.
	 *
	 * @param string $event_id The event's id.
	 */
	public static function unlock( string $event_id ): void {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', self::lock_name( $event_id ) ) );
	}

	/**
	 * Whether an event id was applied already (a repeated delivery).
	 *
	 * @param string $event_id The event's id.
	 */
	public static function seen( string $event_id ): bool {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$found = $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM $table WHERE event_id = %s", $event_id ) );
		if ( null === $found ) {
			throw new \RuntimeException( 'cannot read webhook events: ' . $wpdb->last_error );
		}
		return (int) $found > 0;
	}

	/**
	 * Records an event id once its event has been applied (received_at: when it was).
	 *
	 * @param string $event_id The event's id.
	 */
	public static function record( string $event_id ): void {
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
	}

	/**
	 * The name of an event id's lock. Lock names are server-wide and 64 characters at most:
	 * a hash of this site's table and the id.
	 *
	 * @param string $event_id The event's id.
	 */
	private static function lock_name( string $event_id ): string {
		return 'cmsvc_event_' . md5( DB_NAME . '|' . self::table() . '|' . $event_id );
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
