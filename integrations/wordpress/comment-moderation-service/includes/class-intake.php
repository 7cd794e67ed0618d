<?php
/**
 * New comments: ask the service before WordPress stores them, keep its id afterwards.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_Comment;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The pre_comment_approved filter, the comment form's hidden fields, and the comment meta.
 */
final class Intake {

	// Hidden form fields: a honeypot humans never fill, and when the form was shown (signed).
	private const HONEYPOT   = 'cmsvc_hp';
	private const FORM_SHOWN = 'cmsvc_ts';

	/**
	 * Answers of this request, by idempotency key, until the comment has an id.
	 *
	 * @var array<string, array{id: ?string, status: ?string, answer?: array<string, mixed>, error: ?WP_Error}>
	 */
	private array $pending = array();

	/**
	 * Hooks into comment posting.
	 */
	public function register(): void {
		add_filter( 'pre_comment_approved', array( $this, 'moderate' ), 20, 2 );
		add_action( 'wp_insert_comment', array( $this, 'inserted' ), 10, 2 );
		add_action( 'comment_form', array( $this, 'form_fields' ) );
	}

	/**
	 * Asks the service and maps its answer; WordPress' own errors, spam and trash stand.
	 *
	 * @param int|string|WP_Error  $approved WordPress' verdict so far.
	 * @param array<string, mixed> $data     The comment (slashed, as wp_new_comment has it).
	 * @return int|string|WP_Error
	 */
	public function moderate( $approved, $data ) {
		if ( $approved instanceof WP_Error || 'spam' === $approved || 'trash' === $approved ) {
			return $approved;
		}
		$data = wp_unslash( (array) $data );
		if ( ! Settings::ready() || ! self::is_reader_comment( $data ) ) {
			return $approved;
		}
		$key    = self::idempotency_key( $data );
		$answer = ( new Client() )->post_comment( self::payload( $data, $key ) );
		$mapped = is_wp_error( $answer ) ? null : Statuses::to_wordpress( (string) ( $answer['status'] ?? '' ) );
		if ( null === $mapped ) {
			$error = is_wp_error( $answer ) ? $answer : new WP_Error( 'cmsvc_http_200', 'unexpected answer' );
			error_log( 'comment-moderation-service: service not asked (' . $error->get_error_message() . '), fail mode ' . Settings::get()['fail_mode'] ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
			$this->pending[ $key ] = array( 'id' => null, 'status' => null, 'error' => $error );
			return 'hold' === Settings::get()['fail_mode'] ? 0 : $approved;
		}
		$this->pending[ $key ] = array(
			'id'     => (string) $answer['id'],
			'status' => (string) $answer['status'],
			'answer' => $answer,
			'error'  => null,
		);
		return $mapped;
	}

	/**
	 * Stores the service's id and status once WordPress has stored the comment.
	 *
	 * @param int        $comment_id The new comment's id.
	 * @param WP_Comment $comment    The new comment.
	 */
	public function inserted( $comment_id, $comment ): void {
		$key = self::idempotency_key( (array) $comment->to_array() );
		if ( ! isset( $this->pending[ $key ] ) ) {
			return;
		}
		$answer = $this->pending[ $key ];
		unset( $this->pending[ $key ] );
		if ( null !== $answer['error'] ) {
			update_comment_meta( (int) $comment_id, META_ERROR, $answer['error']->get_error_message() );
			Trace::add( (int) $comment_id, 'error', array( 'error' => $answer['error']->get_error_message() ) );
			$held_as = (string) wp_get_comment_status( $comment );
			$job     = array(
				'kind'    => 'intake',
				'held_as' => $held_as,
				'key'     => $key,
			);
			Retry::after( (int) $comment_id, $job, $answer['error'], '/v1/comments' );
			return;
		}
		update_comment_meta( (int) $comment_id, META_ID, $answer['id'] );
		// No META_STATUS_AT: any later moderator decision applies, whatever the clocks say.
		update_comment_meta( (int) $comment_id, META_STATUS, $answer['status'] );
		Trace::verdict( (int) $comment_id, (array) $answer['answer'], 'intake' );
		Trace::fetch_public_copy( (int) $comment_id, new Client(), false );
	}

	/**
	 * Prints the hidden honeypot and the signed time the form was shown.
	 */
	public function form_fields(): void {
		$shown = (string) time();
		printf(
			'<p class="cmsvc-hp" aria-hidden="true" style="position:absolute;left:-9999px;height:0;overflow:hidden"><label>%s <input type="text" name="%s" value="" tabindex="-1" autocomplete="off"></label></p>',
			esc_html__( 'Leave this field empty', 'comment-moderation-service' ),
			esc_attr( self::HONEYPOT )
		);
		printf( '<input type="hidden" name="%s" value="%s">', esc_attr( self::FORM_SHOWN ), esc_attr( $shown . '.' . self::sign( $shown ) ) );
	}

	/**
	 * The service's CommentIn for a WordPress comment.
	 *
	 * @param array<string, mixed> $data The unslashed comment data.
	 * @param string               $key  Its idempotency key.
	 * @param bool                 $form Whether this request is the form's (hidden fields).
	 * @return array<string, mixed>
	 */
	public static function payload( array $data, string $key, bool $form = true ): array {
		$post_id = (int) ( $data['comment_post_ID'] ?? 0 );
		$name    = trim( (string) ( $data['comment_author'] ?? '' ) );
		$fields  = array(
			'thread'          => 'post-' . $post_id,
			'name'            => '' === $name ? __( 'Anonymous', 'comment-moderation-service' ) : $name,
			'email'           => (string) ( $data['comment_author_email'] ?? '' ),
			'body'            => (string) ( $data['comment_content'] ?? '' ),
			'parent_id'       => self::service_id( (int) ( $data['comment_parent'] ?? 0 ) ),
			'author_ip'       => (string) ( $data['comment_author_IP'] ?? '' ),
			'user_agent'      => (string) ( $data['comment_agent'] ?? '' ),
			'author_url'      => (string) ( $data['comment_author_url'] ?? '' ),
			'permalink'       => (string) get_permalink( $post_id ),
			'honeypot'        => $form ? self::posted( self::HONEYPOT ) : null,
			'form_shown_at'   => $form ? self::form_shown_at() : null,
			'idempotency_key' => $key,
		);
		// The article's title and address, for the service's moderators: sent only when the
		// service says it takes them (it refuses fields it does not know).
		$context = array(
			'thread_title' => $post_id ? wp_strip_all_tags( html_entity_decode( get_the_title( $post_id ), ENT_QUOTES, 'UTF-8' ) ) : '',
			'thread_url'   => (string) get_permalink( $post_id ),
		);
		foreach ( $context as $name => $value ) {
			if ( Capabilities::comment_field( $name ) ) {
				$fields[ $name ] = mb_substr( $value, 0, 'thread_title' === $name ? 500 : 2000 );
			}
		}
		// The service refuses empty optional fields: leave them out.
		return array_filter( $fields, static fn( $value ) => null !== $value && '' !== $value );
	}

	/**
	 * Only readers' comments: not pingbacks or trackbacks, not those of users who moderate.
	 *
	 * @param array<string, mixed> $data The unslashed comment data.
	 */
	private static function is_reader_comment( array $data ): bool {
		$type = (string) ( $data['comment_type'] ?? 'comment' );
		if ( '' !== $type && 'comment' !== $type ) {
			return false;
		}
		$user_id = (int) ( $data['user_id'] ?? 0 );
		return ! ( $user_id && user_can( $user_id, 'moderate_comments' ) );
	}

	/**
	 * The same comment posted again gets the same key, so the service stores it once. An
	 * HMAC keyed with this site's secret salt (wp-config.php), never a plain hash: the key is
	 * stored by the service, and a plain hash of the author's email and IP address could be
	 * reversed by guessing them. A retry uses the key kept in its job (Retry), so a salt
	 * changed meanwhile does not make the same comment a new one.
	 *
	 * @param array<string, mixed> $data The unslashed comment data, or a stored comment.
	 */
	public static function idempotency_key( array $data ): string {
		$parts = array(
			'cmsvc-idempotency-v2',
			home_url(),
			(string) ( $data['comment_post_ID'] ?? '' ),
			(string) ( $data['comment_parent'] ?? '0' ),
			(string) ( $data['comment_author'] ?? '' ),
			(string) ( $data['comment_author_email'] ?? '' ),
			(string) ( $data['comment_content'] ?? '' ),
			(string) ( $data['comment_author_IP'] ?? '' ),
		);
		return 'wp-' . hash_hmac( 'sha256', implode( "\n", $parts ), wp_salt( 'auth' ) );
	}

	/**
	 * The service's id of a WordPress comment, if it went through the service.
	 *
	 * @param int $comment_id WordPress' comment id (0: none).
	 */
	private static function service_id( int $comment_id ): ?string {
		$id = $comment_id ? (string) get_comment_meta( $comment_id, META_ID, true ) : '';
		return '' === $id ? null : $id;
	}

	/**
	 * A field of the submitted comment form, if any (the form is public: no nonce).
	 *
	 * @param string $name The field's name.
	 */
	private static function posted( string $name ): ?string {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing
		return isset( $_POST[ $name ] ) && is_string( $_POST[ $name ] ) ? sanitize_text_field( wp_unslash( $_POST[ $name ] ) ) : null;
	}

	/**
	 * When the form was shown, from the hidden field, if its signature holds.
	 */
	private static function form_shown_at(): ?string {
		$parts = explode( '.', (string) self::posted( self::FORM_SHOWN ), 2 );
		if ( 2 !== count( $parts ) || ! ctype_digit( $parts[0] ) || ! hash_equals( self::sign( $parts[0] ), $parts[1] ) ) {
			return null;
		}
		return gmdate( 'Y-m-d\TH:i:s\Z', (int) $parts[0] );
	}

	/**
	 * A short signature of the form's time with the site's salt.
	 *
	 * @param string $shown Unix time as text.
	 */
	private static function sign( string $shown ): string {
		return substr( hash_hmac( 'sha256', 'cmsvc-form|' . $shown, wp_salt( 'nonce' ) ), 0, 20 );
	}
}
