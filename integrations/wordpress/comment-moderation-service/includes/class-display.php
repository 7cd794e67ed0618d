<?php
/**
 * What readers see of a comment: the service's public copy (emails and phone numbers
 * masked), and a link to report it. Staff who moderate comments see the original.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

use WP_Comment;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * Filters of the comment's text for readers (pages, feeds, excerpts, the REST API) and the
 * readers' report form, relayed to the service.
 */
final class Display {

	private const REPORT_ACTION = 'cmsvc_report';
	// Reports one reader (by address) may send per hour through this site.
	private const REPORTS_PER_HOUR = 20;

	/**
	 * Hooks into WordPress' output of comments.
	 */
	public function register(): void {
		// Early: the public copy replaces the text before WordPress formats it (links, paragraphs).
		add_filter( 'get_comment_text', array( $this, 'text' ), 1, 2 );
		add_filter( 'get_comment_excerpt', array( $this, 'excerpt' ), 1, 3 );
		add_filter( 'rest_prepare_comment', array( $this, 'rest' ), 10, 2 );
		add_filter( 'comment_text', array( $this, 'report_form' ), 99, 2 );
		add_action( 'edit_comment', array( $this, 'edited' ) );
		add_action( 'admin_post_' . self::REPORT_ACTION, array( $this, 'report' ) );
		add_action( 'admin_post_nopriv_' . self::REPORT_ACTION, array( $this, 'report' ) );
	}

	/**
	 * A comment edited in WordPress (its text changed by staff): the service's public copy
	 * is of the old text, so it is dropped; readers get the new text (masked by the plugin
	 * when it may hold contact details). Webhooks written before the edit do not bring the
	 * old copy back (stamped with the service's time now, see Clock).
	 *
	 * @param int|string $comment_id The comment's id.
	 */
	public function edited( $comment_id ): void {
		delete_comment_meta( (int) $comment_id, META_PUBLIC );
		$now = Clock::now();
		if ( null !== $now ) {
			update_comment_meta( (int) $comment_id, META_PUBLIC_AT, $now );
		}
	}

	/**
	 * Whether the current visitor reads (as opposed to moderates) comments.
	 */
	public static function is_reader(): bool {
		return ! current_user_can( 'moderate_comments' );
	}

	/**
	 * The text readers see of a comment: the service's public copy; else, when the text may
	 * hold contact details (the service was not reachable), the plugin's own masking; else
	 * null (the text as it is).
	 *
	 * @param WP_Comment $comment The comment.
	 */
	public static function public_text( WP_Comment $comment ): ?string {
		$public = get_comment_meta( (int) $comment->comment_ID, META_PUBLIC, true );
		if ( is_string( $public ) && '' !== $public ) {
			return $public;
		}
		$text = (string) $comment->comment_content;
		return self::may_hold_contacts( $text ) ? self::mask( $text ) : null;
	}

	/**
	 * Whether a text may hold an email address or a phone number (an "@", or seven digits):
	 * what the service masks needs one or the other.
	 *
	 * @param string $text The text.
	 */
	public static function may_hold_contacts( string $text ): bool {
		return str_contains( $text, '@' ) || (int) preg_match_all( '/\p{Nd}/u', $text ) >= 7;
	}

	/**
	 * The plugin's own masking, for a comment the service has not given its public copy of:
	 * in every word holding "@", all but the first one or two characters before it; in every number
	 * of nine digits or more (seven after a "+"), all digits but the first three. It masks
	 * more than the service would rather than less, and runs in time linear in the text.
	 *
	 * @param string $text The text.
	 */
	public static function mask( string $text ): string {
		$text = (string) preg_replace_callback(
			'/(?<![^\s<>()\[\]"\'])[^\s<>()\[\]"\'@]*+@[^\s<>()\[\]"\']*+/u',
			static function ( array $m ): string {
				$at    = (int) strpos( $m[0], '@' );
				$local = substr( $m[0], 0, $at );
				if ( '' === $local ) {
					return $m[0]; // "@name": no address.
				}
				return mb_substr( $local, 0, mb_strlen( $local ) <= 3 ? 1 : 2 ) . '***' . substr( $m[0], $at );
			},
			$text
		);
		return (string) preg_replace_callback(
			'/(?<![\p{Nd}+])\+?\p{Nd}(?:[ .\-]?+\p{Nd})*+/u',
			static function ( array $m ): string {
				$digits = (int) preg_match_all( '/\p{Nd}/u', $m[0] );
				if ( $digits < ( str_starts_with( $m[0], '+' ) ? 7 : 9 ) ) {
					return $m[0];
				}
				$seen = 0;
				return (string) preg_replace_callback(
					'/\p{Nd}/u',
					static function ( array $d ) use ( &$seen ): string {
						return ++$seen <= 3 ? $d[0] : '*';
					},
					$m[0]
				);
			},
			$text
		);
	}

	/**
	 * The get_comment_text filter: readers get the public copy.
	 *
	 * @param string          $text    The comment's text.
	 * @param WP_Comment|null $comment The comment.
	 */
	public function text( $text, $comment = null ) {
		if ( ! $comment instanceof WP_Comment || ! self::is_reader() ) {
			return $text;
		}
		return self::public_text( $comment ) ?? $text;
	}

	/**
	 * The get_comment_excerpt filter (the Latest Comments block): made from the public copy,
	 * as WordPress makes it (20 words).
	 *
	 * @param string          $excerpt    The excerpt.
	 * @param int|string      $comment_id The comment's id.
	 * @param WP_Comment|null $comment    The comment.
	 */
	public function excerpt( $excerpt, $comment_id = 0, $comment = null ) {
		$comment = $comment instanceof WP_Comment ? $comment : get_comment( (int) $comment_id );
		if ( ! $comment instanceof WP_Comment || ! self::is_reader() ) {
			return $excerpt;
		}
		$public = self::public_text( $comment );
		if ( null === $public ) {
			return $excerpt;
		}
		return wp_trim_words( wp_strip_all_tags( str_replace( array( "\n", "\r" ), ' ', $public ) ), 20, '&hellip;' );
	}

	/**
	 * The REST API's comments (/wp/v2/comments): readers get the public copy rendered.
	 *
	 * @param WP_REST_Response $response The response.
	 * @param WP_Comment       $comment  The comment.
	 */
	public function rest( $response, $comment ) {
		if ( ! $response instanceof WP_REST_Response || ! $comment instanceof WP_Comment || ! self::is_reader() ) {
			return $response;
		}
		$public = self::public_text( $comment );
		$data   = $response->get_data();
		if ( null !== $public && is_array( $data ) && isset( $data['content'] ) ) {
			$data['content']['rendered'] = apply_filters( 'comment_text', $public, $comment, array() );
			unset( $data['content']['raw'] );
			$response->set_data( $data );
		}
		return $response;
	}

	/**
	 * Adds the report form under a published comment of the service, for readers, when the
	 * service takes reports; and the outcome of a report just sent.
	 *
	 * @param string          $text    The formatted text.
	 * @param WP_Comment|null $comment The comment.
	 */
	public function report_form( $text, $comment = null ) {
		if ( ! $comment instanceof WP_Comment || is_admin() || is_feed() || wp_is_json_request() || ( defined( 'REST_REQUEST' ) && REST_REQUEST ) ) {
			return $text;
		}
		$comment_id = (int) $comment->comment_ID;
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$reported = isset( $_GET['cmsvc_reported'] ) && (int) $_GET['cmsvc_reported'] === $comment_id;
		if ( $reported ) {
			// phpcs:ignore WordPress.Security.NonceVerification.Recommended
			$ok    = isset( $_GET['cmsvc_result'] ) && 'ok' === $_GET['cmsvc_result'];
			$text .= sprintf(
				'<p class="cmsvc-report-result" role="status">%s</p>',
				esc_html( $ok ? __( 'Thank you: the moderators will review this comment.', 'comment-moderation-service' ) : __( 'Your report could not be sent. Please try again later.', 'comment-moderation-service' ) )
			);
		}
		if ( $reported || ! self::is_reader() || ! Capabilities::reports() || '1' !== (string) $comment->comment_approved
			|| '' === (string) get_comment_meta( $comment_id, META_ID, true ) ) {
			return $text;
		}
		$reasons = Capabilities::report_reasons();
		$choice  = '';
		if ( $reasons ) {
			$options = '';
			foreach ( $reasons as $reason ) {
				$options .= sprintf( '<option value="%s">%s</option>', esc_attr( $reason ), esc_html( self::reason_label( $reason ) ) );
			}
			$choice = sprintf( '<label>%s <select name="reason">%s</select></label> ', esc_html__( 'Reason', 'comment-moderation-service' ), $options );
		}
		return $text . sprintf(
			'<details class="cmsvc-report"><summary>%s</summary><form method="post" action="%s"><input type="hidden" name="action" value="%s"><input type="hidden" name="comment_id" value="%d">%s%s<button type="submit">%s</button></form></details>',
			esc_html__( 'Report this comment', 'comment-moderation-service' ),
			esc_url( admin_url( 'admin-post.php' ) ),
			esc_attr( self::REPORT_ACTION ),
			$comment_id,
			sprintf( '<input type="hidden" name="_wpnonce" value="%s">', esc_attr( wp_create_nonce( self::REPORT_ACTION . '_' . $comment_id ) ) ),
			$choice,
			esc_html__( 'Send the report', 'comment-moderation-service' )
		);
	}

	/**
	 * A reader's report (admin-post.php), relayed to the service; back to the comment.
	 */
	public function report(): void {
		$comment_id = isset( $_POST['comment_id'] ) ? absint( $_POST['comment_id'] ) : 0;
		$comment    = get_comment( $comment_id );
		$nonce      = isset( $_POST['_wpnonce'] ) ? sanitize_text_field( wp_unslash( $_POST['_wpnonce'] ) ) : '';
		if ( ! $comment instanceof WP_Comment || '1' !== (string) $comment->comment_approved || ! wp_verify_nonce( $nonce, self::REPORT_ACTION . '_' . $comment_id ) ) {
			wp_die( esc_html__( 'This comment cannot be reported.', 'comment-moderation-service' ), '', array( 'response' => 400 ) );
		}
		$service_id = (string) get_comment_meta( $comment_id, META_ID, true );
		$ok         = false;
		if ( Capabilities::reports() && '' !== $service_id && self::report_allowed() ) {
			$reason  = isset( $_POST['reason'] ) ? sanitize_text_field( wp_unslash( $_POST['reason'] ) ) : '';
			$reasons = Capabilities::report_reasons();
			$body    = array();
			if ( Capabilities::report_field( 'reason' ) ) {
				$body['reason'] = in_array( $reason, $reasons, true ) ? $reason : ( $reasons[0] ?? 'reader' );
			}
			if ( Capabilities::report_field( 'reporter_ip' ) && isset( $_SERVER['REMOTE_ADDR'] ) ) {
				$body['reporter_ip'] = sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) );
			}
			$answer = ( new Client() )->report( $service_id, $body );
			$ok     = ! is_wp_error( $answer );
			Trace::add( $comment_id, 'report', $ok ? array( 'action' => 'report' ) : array( 'error' => $answer->get_error_message() ) );
		}
		$back = add_query_arg(
			array(
				'cmsvc_reported' => $comment_id,
				'cmsvc_result'   => $ok ? 'ok' : 'error',
			),
			get_permalink( (int) $comment->comment_post_ID )
		);
		wp_safe_redirect( $back . '#comment-' . $comment_id );
		exit;
	}

	/**
	 * Counts a report of the current reader (by a keyed hash of their address, for an hour);
	 * false past REPORTS_PER_HOUR.
	 */
	private static function report_allowed(): bool {
		$address = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
		$key     = 'cmsvc_reports_' . substr( hash_hmac( 'sha256', $address, wp_salt( 'nonce' ) ), 0, 20 );
		$count   = (int) get_transient( $key );
		if ( $count >= self::REPORTS_PER_HOUR ) {
			return false;
		}
		set_transient( $key, $count + 1, HOUR_IN_SECONDS );
		return true;
	}

	/**
	 * A report reason as readers read it.
	 *
	 * @param string $reason The service's reason.
	 */
	private static function reason_label( string $reason ): string {
		$labels = array(
			'spam'          => __( 'Spam or advertising', 'comment-moderation-service' ),
			'abuse'         => __( 'Insults or harassment', 'comment-moderation-service' ),
			'hate'          => __( 'Hate speech', 'comment-moderation-service' ),
			'personal_data' => __( 'Someone\'s personal information', 'comment-moderation-service' ),
			'misinformation' => __( 'False information', 'comment-moderation-service' ),
			'other'         => __( 'Something else', 'comment-moderation-service' ),
		);
		return $labels[ $reason ] ?? $reason;
	}
}
