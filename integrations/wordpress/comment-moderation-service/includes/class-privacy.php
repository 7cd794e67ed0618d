<?php
/**
 * WordPress' privacy tools: erasing a commenter's data erases it in the service too.
 *
 * @package CommentModerationService
 */

namespace CommentModerationService;

defined( 'ABSPATH' ) || exit;

/**
 * A personal data eraser (Tools → Erase Personal Data) and a suggested privacy policy text.
 */
final class Privacy {

	/**
	 * Hooks into the privacy tools.
	 */
	public function register(): void {
		add_filter( 'wp_privacy_personal_data_erasers', array( $this, 'erasers' ) );
		add_action( 'admin_init', array( $this, 'policy_text' ) );
	}

	/**
	 * Adds this plugin's eraser.
	 *
	 * @param array<string, mixed> $erasers The registered erasers.
	 * @return array<string, mixed>
	 */
	public function erasers( $erasers ): array {
		$erasers                                = is_array( $erasers ) ? $erasers : array();
		$erasers['comment-moderation-service'] = array(
			'eraser_friendly_name' => __( 'Comment moderation service', 'comment-moderation-service' ),
			'callback'             => array( $this, 'erase' ),
		);
		return $erasers;
	}

	/**
	 * Deletes the author's comments and their history in the service (POST /v1/authors/erase).
	 *
	 * @param string $email The author's email address.
	 * @return array{items_removed: bool, items_retained: bool, messages: string[], done: bool}
	 */
	public function erase( $email ): array {
		$result = array(
			'items_removed'  => false,
			'items_retained' => false,
			'messages'       => array(),
			'done'           => true,
		);
		if ( ! Settings::ready() || ! is_email( (string) $email ) ) {
			return $result;
		}
		$answer = ( new Client() )->erase( (string) $email );
		if ( is_wp_error( $answer ) ) {
			$result['items_retained'] = true;
			$result['messages'][]     = sprintf(
				/* translators: %s: the error. */
				__( 'The comment moderation service could not erase this author\'s comments: %s', 'comment-moderation-service' ),
				$answer->get_error_message()
			);
			return $result;
		}
		$result['items_removed'] = (int) ( $answer['erased'] ?? 0 ) > 0;
		return $result;
	}

	/**
	 * Suggests a paragraph for the site's privacy policy.
	 */
	public function policy_text(): void {
		if ( ! function_exists( 'wp_add_privacy_policy_content' ) ) {
			return;
		}
		wp_add_privacy_policy_content(
			__( 'Comment moderation service', 'comment-moderation-service' ),
			wp_kses_post(
				__( 'Comments are checked for spam and abuse by a comment moderation service. It receives the comment, the name, email address, website, IP address and browser user agent given with it; it keeps the email address only as a keyed hash with its domain and a masked form, and the IP address truncated. Erasing a commenter\'s personal data here erases their comments in the service too.', 'comment-moderation-service' )
			)
		);
	}
}
