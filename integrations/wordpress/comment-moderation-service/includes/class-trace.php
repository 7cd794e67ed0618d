<?php
/**
 * What the service said about a comment, kept in comment meta for wp-admin (scores, reasons,
 * history) and for readers (the public copy).
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

/**
 * Scores and reasons of the latest verdict, a short history, and the public copy.
 */
final class Trace {

	// Entries of history kept per comment (the service keeps the whole history).
	private const KEEP = 30;

	/**
	 * Keeps the scores and reasons of a verdict (an answer of POST /v1/comments, or a webhook
	 * event's comment) and adds it to the history.
	 *
	 * @param int                  $comment_id WordPress' comment id.
	 * @param array<string, mixed> $verdict    status, scores, reasons (and action, actor).
	 * @param string               $source     intake, retry or webhook.
	 * @param string|null          $at         The service's time of it (ISO 8601), if known.
	 */
	public static function verdict( int $comment_id, array $verdict, string $source, ?string $at = null ): void {
		if ( is_array( $verdict['scores'] ?? null ) ) {
			$scores = array();
			foreach ( $verdict['scores'] as $label => $score ) {
				if ( is_string( $label ) && is_numeric( $score ) ) {
					$scores[ $label ] = round( (float) $score, 4 );
				}
			}
			update_comment_meta( $comment_id, META_SCORES, $scores );
		}
		if ( is_array( $verdict['reasons'] ?? null ) ) {
			update_comment_meta( $comment_id, META_REASONS, wp_slash( array_values( array_filter( $verdict['reasons'], 'is_string' ) ) ) );
		}
		self::add(
			$comment_id,
			$source,
			array(
				'status' => (string) ( $verdict['status'] ?? '' ),
				'action' => (string) ( $verdict['action'] ?? '' ),
				'actor'  => (string) ( $verdict['actor'] ?? '' ),
			),
			$at
		);
	}

	/**
	 * Adds an entry to a comment's history (the oldest dropped past KEEP).
	 *
	 * @param int                  $comment_id WordPress' comment id.
	 * @param string               $source     intake, retry, webhook, wp-admin or error.
	 * @param array<string, mixed> $fields     status, action, actor, error.
	 * @param string|null          $at         The service's time (ISO 8601); else now.
	 */
	public static function add( int $comment_id, string $source, array $fields, ?string $at = null ): void {
		$history   = self::history( $comment_id );
		$when      = null !== $at ? strtotime( $at ) : false;
		$history[] = array_merge(
			array_filter( array_map( 'strval', $fields ), static fn( $v ) => '' !== $v ),
			array(
				'source' => $source,
				'at'     => false === $when ? time() : $when,
			)
		);
		update_comment_meta( $comment_id, META_HISTORY, wp_slash( array_slice( $history, -self::KEEP ) ) );
	}

	/**
	 * A comment's history, oldest first.
	 *
	 * @param int $comment_id WordPress' comment id.
	 * @return array<int, array<string, mixed>>
	 */
	public static function history( int $comment_id ): array {
		$history = get_comment_meta( $comment_id, META_HISTORY, true );
		return is_array( $history ) ? array_values( array_filter( $history, 'is_array' ) ) : array();
	}

	/**
	 * The scores of the latest verdict (label => 0..1).
	 *
	 * @param int $comment_id WordPress' comment id.
	 * @return array<string, float>
	 */
	public static function scores( int $comment_id ): array {
		$scores = get_comment_meta( $comment_id, META_SCORES, true );
		return is_array( $scores ) ? $scores : array();
	}

	/**
	 * The reasons of the latest verdict (such as spam:hold, links, term:watched).
	 *
	 * @param int $comment_id WordPress' comment id.
	 * @return string[]
	 */
	public static function reasons( int $comment_id ): array {
		$reasons = get_comment_meta( $comment_id, META_REASONS, true );
		return is_array( $reasons ) ? $reasons : array();
	}

	/**
	 * Asks the service for the comment's public copy (public_body: emails and phone numbers
	 * masked, or what a moderator redacted) and keeps it for readers. Only when the text may
	 * hold contact details, unless forced: other texts read the same in both copies.
	 *
	 * @param int    $comment_id WordPress' comment id.
	 * @param Client $client     The client to ask with.
	 * @param bool   $force      Ask whatever the text holds.
	 */
	public static function fetch_public_copy( int $comment_id, Client $client, bool $force ): void {
		$service_id = (string) get_comment_meta( $comment_id, META_ID, true );
		$comment    = get_comment( $comment_id );
		if ( '' === $service_id || ! $comment ) {
			return;
		}
		if ( ! $force && ! Display::may_hold_contacts( (string) $comment->comment_content ) ) {
			return;
		}
		$found = $client->comment( $service_id );
		if ( is_wp_error( $found ) || ! is_string( $found['public_body'] ?? null ) ) {
			return; // Readers get the plugin's own masking meanwhile (Display::mask).
		}
		// update_comment_meta() unslashes what it stores: slashed, a backslash stays.
		update_comment_meta( $comment_id, META_PUBLIC, wp_slash( $found['public_body'] ) );
	}
}
