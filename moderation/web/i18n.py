"""Interface text in English and Vietnamese; the language from ?lang=, cookie, Accept-Language."""

from __future__ import annotations

from typing import Literal, get_args

from aiohttp import web

Lang = Literal["en", "vi"]
LANG_COOKIE = "mod_lang"

TEXT: dict[str, tuple[str, str]] = {
    # key: (English, Vietnamese)
    "app": ("Moderation", "Kiểm duyệt"),
    "login": ("Log in", "Đăng nhập"),
    "logout": ("Log out", "Đăng xuất"),
    "site": ("Site", "Trang"),
    "username": ("Username", "Tên đăng nhập"),
    "password": ("Password", "Mật khẩu"),
    "token": ("…or personal token", "…hoặc mã truy cập cá nhân"),
    "login_failed": ("Wrong site, name or password.", "Sai trang, tên hoặc mật khẩu."),
    "login_throttled": (
        "Too many failed logins. Try again in {seconds} seconds.",
        "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây.",
    ),
    "login_expired": ("The form expired; try again.", "Biểu mẫu đã hết hạn; hãy thử lại."),
    "queue": ("Queue", "Hàng chờ"),
    "policy": ("Policy", "Chính sách"),
    "stats": ("Stats", "Thống kê"),
    "audit": ("Audit log", "Nhật ký"),
    "staff": ("Staff", "Nhân sự"),
    # staff, counts, live queue, notes (issue 19)
    "tab_published": ("Published", "Đã đăng"),
    "tab_rejected": ("Rejected", "Bị từ chối"),
    "tab_spam": ("Spam", "Thư rác"),
    "count_of": ("{n} comments", "{n} bình luận"),
    "fresh_comments": ("New comments: {n}", "{n} bình luận mới"),
    "fresh_reported": ("Newly reported: {n}", "{n} bình luận mới bị báo cáo"),
    "fresh_show": ("Show", "Hiện"),
    "any_reason": ("Any reason", "Tất cả lý do"),
    "any_thread": ("All articles: type a title", "Tất cả bài viết: gõ tên bài"),
    "note_placeholder": (
        "Note with the decision (optional)",
        "Ghi chú kèm quyết định (không bắt buộc)",
    ),
    "bulk_note_placeholder": (
        "Note for the selected comments (optional)",
        "Ghi chú cho các bình luận đã chọn (không bắt buộc)",
    ),
    "staff_invite": ("Add a staff member", "Thêm thành viên"),
    "staff_invite_button": ("Add", "Thêm"),
    "staff_method": ("How they log in the first time", "Cách đăng nhập lần đầu"),
    "staff_method_link": (
        "A one-time link to set their own password (valid 3 days)",
        "Liên kết dùng một lần để tự đặt mật khẩu (hiệu lực 3 ngày)",
    ),
    "staff_method_password": ("A first password I set", "Mật khẩu ban đầu do tôi đặt"),
    "staff_first_password": (
        "First password (at least 10 characters)",
        "Mật khẩu ban đầu (ít nhất 10 ký tự)",
    ),
    "staff_link_made": (
        "Send this link to {username} yourself. It works once, until {when}, and will not be"
        " shown again.",
        "Hãy tự gửi liên kết này cho {username}. Liên kết chỉ dùng được một lần, đến {when},"
        " và sẽ không hiện lại.",
    ),
    "staff_added_password": (
        "{username} can log in now with the password you set.",
        "{username} có thể đăng nhập ngay bằng mật khẩu bạn đã đặt.",
    ),
    "staff_actions": ("Actions", "Thao tác"),
    "staff_link_pending": (
        "not yet (one-time link not used)",
        "chưa (liên kết dùng một lần chưa được dùng)",
    ),
    "staff_you": ("(you)", "(bạn)"),
    "staff_revoke": ("Revoke access", "Thu hồi quyền"),
    "staff_restore": ("Restore access", "Khôi phục quyền"),
    "staff_reset": ("Reset password", "Đặt lại mật khẩu"),
    "staff_confirm_revoke": (
        "Revoke {username}'s access? They are logged out at once and their claimed comments"
        " go back to the queue.",
        "Thu hồi quyền của {username}? Người này bị đăng xuất ngay và các bình luận đang nhận"
        " xử lý được trả về hàng chờ.",
    ),
    "staff_confirm_reset": (
        "Reset {username}'s password? The current one stops working at once.",
        "Đặt lại mật khẩu của {username}? Mật khẩu hiện tại hết hiệu lực ngay.",
    ),
    "staff_revoked_done": ("{username}'s access is revoked.", "Đã thu hồi quyền của {username}."),
    "staff_restored_done": (
        "{username}'s access is restored.",
        "Đã khôi phục quyền của {username}.",
    ),
    "staff_name_taken": (
        "This username is already taken on this site.",
        "Tên đăng nhập này đã có trên trang.",
    ),
    "staff_gone": (
        "No such staff member now; reload the page.",
        "Không còn thành viên này; hãy tải lại trang.",
    ),
    "staff_copy": ("Copy", "Sao chép"),
    "staff_copied": ("Copied.", "Đã sao chép."),
    "welcome_title": ("Set your password", "Đặt mật khẩu"),
    "welcome_text": (
        "{username}, choose a password to log in to {site} (at least 10 characters).",
        "Chào {username}, hãy đặt mật khẩu để đăng nhập trang {site} (ít nhất 10 ký tự).",
    ),
    "welcome_expires": ("This link works until {when}.", "Liên kết có hiệu lực đến {when}."),
    "password_again": ("Password again", "Nhập lại mật khẩu"),
    "welcome_submit": ("Save and log in", "Lưu và đăng nhập"),
    "password_refused": (
        "A password needs at least 10 characters.",
        "Mật khẩu cần ít nhất 10 ký tự.",
    ),
    "password_mismatch": ("The two passwords differ.", "Hai mật khẩu không khớp nhau."),
    "link_dead": (
        "This link no longer works: it was used, it expired, or the account was revoked. Ask"
        " the site's owner for a new one.",
        "Liên kết này không còn dùng được: đã được dùng, đã hết hạn hoặc tài khoản đã bị thu"
        " hồi. Hãy đề nghị chủ trang gửi liên kết mới.",
    ),
    "staff_event_invited": (
        "{username} added as {role}, {method}",
        "thêm {username} làm {role}, {method}",
    ),
    "method_link": ("with a one-time link", "qua liên kết dùng một lần"),
    "method_password": ("with a first password", "với mật khẩu ban đầu"),
    "staff_event_revoked": ("{username}'s access revoked", "thu hồi quyền của {username}"),
    "staff_event_restored": ("{username}'s access restored", "khôi phục quyền của {username}"),
    "staff_event_reset": (
        "{username}'s password reset (a new one-time link)",
        "đặt lại mật khẩu của {username} (liên kết dùng một lần mới)",
    ),
    "staff_event_password_set": (
        "{username} set a password with a one-time link",
        "{username} đã tự đặt mật khẩu qua liên kết dùng một lần",
    ),
    "status": ("Status", "Trạng thái"),
    "sort": ("Sort", "Sắp xếp"),
    "oldest": ("Oldest first", "Cũ nhất trước"),
    "score": ("Highest score", "Điểm cao nhất"),
    "thread": ("Article", "Bài viết"),
    "reason": ("Reason", "Lý do"),
    "thread_filter": ("Only this article's comments", "Chỉ bình luận của bài viết này"),
    "in_reply_to": ("In reply to", "Trả lời"),
    "parent_gone": ("a comment since deleted", "một bình luận đã bị xoá"),
    "filter": ("Filter", "Lọc"),
    "claim": ("Claim 10", "Nhận 10"),
    "release": ("Release mine", "Trả lại"),
    "select_all": ("Select all", "Chọn tất cả"),
    "approve": ("Approve", "Duyệt"),
    "reject": ("Reject", "Từ chối"),
    "spam": ("Spam", "Thư rác"),
    "not_spam": ("Not spam", "Không phải rác"),
    "undo": ("Undo", "Hoàn tác"),
    "status_published": ("published", "đã đăng"),
    "status_pending": ("pending", "chờ duyệt"),
    "status_rejected": ("rejected", "bị từ chối"),
    "status_spam": ("spam", "thư rác"),
    "empty": ("Nothing here.", "Không có gì ở đây."),
    "claimed_by": ("{name} is on it", "{name} đang xử lý"),
    "history": ("History", "Lịch sử"),
    "author_history": ("Author's earlier comments", "Bình luận trước của tác giả"),
    "more": ("More", "Thêm"),
    "help": ("Keyboard shortcuts", "Phím tắt"),
    "help_text": (
        "j/k next/previous · a approve · r reject · s spam · n not spam · u undo · "
        "x select · ? this help",
        "j/k tiếp/trước · a duyệt · r từ chối · s rác · n không phải rác · u hoàn tác · "
        "x chọn · ? trợ giúp",
    ),
    "decided": ("Done: {action}. Press u to undo.", "Đã xử lý: {action}. Nhấn u để hoàn tác."),
    "undone": ("Undone; the comment is back in the queue.", "Đã hoàn tác; bình luận trở lại."),
    "comment": ("Comment", "Bình luận"),
    "in_thread": ("On the same article", "Cùng bài viết"),
    "when": ("When", "Lúc"),
    "who": ("Who", "Ai"),
    "action": ("Action", "Hành động"),
    "from_to": ("From → to", "Từ → sang"),
    "note": ("Note", "Ghi chú"),
    "thresholds": ("Thresholds", "Ngưỡng"),
    "hold": ("hold at", "giữ lại từ"),
    "reject_at": ("reject at", "từ chối từ"),
    "blocked_terms": ("Blocked terms (one a line)", "Từ bị chặn (mỗi dòng một từ)"),
    "watched_terms": ("Watched terms (one a line)", "Từ cần theo dõi (mỗi dòng một từ)"),
    "premoderate": ("Hold new authors", "Giữ lại tác giả mới"),
    "trust_approved": ("Trust approved authors", "Tin tưởng tác giả đã được duyệt"),
    "max_links": ("Hold at this many links", "Giữ lại khi có từng này liên kết"),
    "trusted_domains": (
        "Trusted domains: your own and partner sites, one a line (links to them, and to news"
        " sites and public bodies, are not counted)",
        "Tên miền tin cậy: của trang mình và trang đối tác, mỗi dòng một tên miền (liên kết tới"
        " các trang này, tới báo chí và cơ quan nhà nước, không bị tính)",
    ),
    "time_zone": ("Time zone", "Múi giờ"),
    "preview": ("Preview", "Xem trước"),
    "save": ("Save", "Lưu"),
    "saved": ("Saved as version {version}.", "Đã lưu phiên bản {version}."),
    "preview_first": ("Preview before saving.", "Hãy xem trước khi lưu."),
    "version": ("Version", "Phiên bản"),
    "comments_replayed": (
        "Recent comments checked against the change",
        "Số bình luận gần đây được đối chiếu với thay đổi",
    ),
    "would_change": ("Would change status", "Sẽ đổi trạng thái"),
    "before": ("Now", "Hiện tại"),
    "after": ("With the change", "Sau thay đổi"),
    "count": ("Count", "Số lượng"),
    "examples": ("Examples", "Ví dụ"),
    "volumes": ("Comments per day", "Bình luận mỗi ngày"),
    "queue_depth": ("Waiting in the queue", "Đang chờ duyệt"),
    "queue_age": ("Oldest waiting", "Chờ lâu nhất"),
    "decision_time": ("Median time to decision", "Thời gian xử lý trung vị"),
    "overturn": ("Overturn rates", "Tỷ lệ bị đảo ngược"),
    "overturn_total": ("Automatic decisions overturned", "Quyết định tự động bị đảo ngược"),
    "days": ("days", "ngày"),
    "role": ("Role", "Vai trò"),
    "created": ("Created", "Tạo lúc"),
    "last_login": ("Last login", "Đăng nhập gần nhất"),
    "has_password": ("Password set", "Có mật khẩu"),
    "revoked": ("Revoked", "Đã thu hồi"),
    "yes": ("yes", "có"),
    "no": ("no", "không"),
    "kind": ("Kind", "Loại"),
    "detail": ("Detail", "Chi tiết"),
    "next_page": ("Older", "Cũ hơn"),
    "owners_only": ("Only the site's owners may see this.", "Chỉ chủ trang được xem mục này."),
    "error": ("Something went wrong", "Có lỗi xảy ra"),
    "not_found": ("No such comment on this site.", "Không có bình luận này trên trang."),
    "language": ("Tiếng Việt", "English"),
    # score labels
    "label_spam": ("Spam", "Thư rác"),
    "label_abuse": ("Abuse", "Xúc phạm"),
    "label_hate": ("Hate", "Thù ghét"),
    # reason codes "<rule>:<verdict>": the rule, then the verdict
    "rule_spam": ("Spam score", "Điểm thư rác"),
    "rule_abuse": ("Abuse score", "Điểm xúc phạm"),
    "rule_hate": ("Hate score", "Điểm thù ghét"),
    "rule_blocked_term": ("Blocked term", "Từ bị chặn"),
    "rule_watched_term": ("Watched term", "Từ cần theo dõi"),
    "rule_links": ("Too many links", "Quá nhiều liên kết"),
    "rule_honeypot": ("Bot trap filled", "Dính bẫy chống bot"),
    "rule_too_fast": ("Sent too fast", "Gửi quá nhanh"),
    "rule_email_domain": ("Email domain refused", "Tên miền email bị chặn"),
    "rule_duplicate": ("Repeated text", "Nội dung lặp lại"),
    "rule_new_author": ("New author", "Tác giả mới"),
    "rule_trusted_author": ("Trusted author", "Tác giả tin cậy"),
    "rule_reported": ("Reported by readers", "Bị độc giả báo cáo"),
    "verdict_hold": ("held", "giữ lại chờ duyệt"),
    "verdict_reject": ("rejected", "từ chối"),
    "verdict_publish": ("published", "cho đăng"),
    # history: who and what
    "actor_system": ("automatic", "tự động"),
    "actor_readers": ("readers' reports", "độc giả báo cáo"),
    "tab_queue": ("To review", "Cần duyệt"),
    "tab_reported": ("Reported", "Bị báo cáo"),
    "reports_count": ("{n} reports", "{n} lượt báo cáo"),
    "report_hold_threshold": (
        "Hold a published comment for review after this many readers' reports (0: never)",
        "Tạm ẩn, chờ duyệt lại bình luận đã đăng khi độc giả báo cáo đủ số lần này"
        " (0: không áp dụng)",
    ),
    "actor_operator": ("operator (command line)", "quản trị (dòng lệnh)"),
    "action_approve": ("approved", "đã duyệt"),
    "action_reject": ("rejected", "đã từ chối"),
    "action_spam": ("marked as spam", "đánh dấu thư rác"),
    "action_not_spam": ("not spam", "không phải thư rác"),
    "action_hold": ("held", "giữ lại"),
    "note_undo": ("undone", "đã hoàn tác"),
    "new": ("new", "mới"),
    "held_then_published": ("held, then published", "bị giữ rồi được đăng"),
    "rejected_kept_out": ("rejected, kept out", "bị từ chối và không đăng"),
    # audit kinds
    "kind_decision": ("Decision", "Quyết định"),
    "kind_policy": ("Policy change", "Đổi chính sách"),
    "kind_staff": ("Staff", "Nhân sự"),
    "kind_undo": ("Undo", "Hoàn tác"),
    "policy_version": ("version {version}", "phiên bản {version}"),
    "staff_added": ("{username} added as {role}", "đã thêm {username} ({role})"),
    "role_owner": ("owner", "chủ trang"),
    "role_moderator": ("moderator", "kiểm duyệt viên"),
    # errors the pages' scripts show
    "error_409": (
        "Another moderator is working on this comment.",
        "Một kiểm duyệt viên khác đang xử lý bình luận này.",
    ),
    "error_404": ("This comment no longer exists.", "Bình luận này không còn nữa."),
    "error_403": ("You may not do this.", "Bạn không có quyền làm việc này."),
    "error_429": ("Too many requests; wait a moment.", "Quá nhiều yêu cầu; hãy chờ một lát."),
    "error_503": (
        "The service is unavailable; try again shortly.",
        "Dịch vụ tạm thời không hoạt động; hãy thử lại sau ít phút.",
    ),
    "error_other": ("The request failed", "Yêu cầu không thành công"),
    # issue 19, small items (pages-3): long comments, favicon, login, time zone, agreement
    "show_more": ("Show more", "Xem thêm"),
    "show_less": ("Show less", "Thu gọn"),
    "help_expand": ("e show more/less of a long comment", "e xem thêm/thu gọn bình luận dài"),
    "agreement": ("Agreement with moderators", "Mức khớp với kiểm duyệt viên"),
    "agreement_decided": (
        "on the {n} of these comments moderators decided",
        "trên {n} bình luận trong số này đã được kiểm duyệt viên quyết định",
    ),
    "agreement_none": (
        "Moderators have decided none of these comments yet.",
        "Kiểm duyệt viên chưa quyết định bình luận nào trong số này.",
    ),
    "agree_right": ("as the moderators decided", "đúng như kiểm duyệt viên"),
    "agree_wrong": ("against the moderators", "ngược với kiểm duyệt viên"),
    "agree_held": ("held for review", "giữ lại chờ duyệt"),
    # per-author view, search, redaction (issue 19)
    "rule_author_banned": ("Author banned", "Người viết bị chặn"),
    "rule_author_premoderated": ("Author under premoderation", "Người viết bị kiểm duyệt trước"),
    "rule_author_trusted": ("Trusted author", "Người viết được tin tưởng"),
    "author_link": ("All comments by this author", "Mọi bình luận của người viết này"),
    "author_badge_ban": ("banned", "bị chặn"),
    "author_badge_premoderate": ("premoderated", "kiểm duyệt trước"),
    "author_badge_trust": ("trusted", "được tin tưởng"),
    "author_page": ("Author", "Người viết"),
    "author_not_found": ("No such author on this site.", "Không có người viết này trên trang."),
    "author_names": ("Names used", "Các tên đã dùng"),
    "author_first": ("First comment", "Bình luận đầu tiên"),
    "author_last": ("Latest comment", "Bình luận gần nhất"),
    "author_comments": ("All their comments", "Mọi bình luận của người viết"),
    "author_rule_title": ("Rule for this author", "Áp dụng với người viết này"),
    "author_ban": ("Ban author", "Chặn người viết"),
    "author_premoderate": ("Premoderate", "Kiểm duyệt trước"),
    "author_trust": ("Trust", "Tin tưởng"),
    "author_lift": ("Lift the rule", "Bỏ áp dụng"),
    "author_rule_none": (
        "No rule: this author's comments follow the site's policy.",
        "Chưa áp dụng gì: bình luận của người viết này theo chính sách chung của trang.",
    ),
    "author_rule_ban": (
        "Banned by {name} on {at}: every new comment is rejected.",
        "{name} đã chặn lúc {at}: mọi bình luận mới đều bị từ chối.",
    ),
    "author_rule_premoderate": (
        "Premoderated by {name} on {at}: every new comment waits for review.",
        "{name} đặt kiểm duyệt trước lúc {at}: mọi bình luận mới đều phải chờ duyệt.",
    ),
    "author_rule_trust": (
        "Trusted by {name} on {at}: new comments are published unless they hold a blocked"
        " term or a clear violation.",
        "{name} đặt tin tưởng lúc {at}: bình luận mới được đăng ngay, trừ khi có từ bị chặn"
        " hoặc vi phạm rõ ràng.",
    ),
    "author_rule_hint": (
        "Applies to this author's next comments on this site; earlier comments stay as they"
        " are. Every change is recorded in the audit log and can be lifted.",
        "Áp dụng cho các bình luận tiếp theo của người viết trên trang này; bình luận cũ giữ"
        " nguyên. Mọi thay đổi đều được ghi vào nhật ký và có thể bỏ áp dụng.",
    ),
    "author_rule_saved": ("Saved.", "Đã lưu."),
    "author_rule_history": ("Changes", "Lịch sử thay đổi"),
    "author_rule_no_history": ("No rule set yet.", "Chưa từng áp dụng."),
    "author_event_ban": ("author banned", "chặn người viết"),
    "author_event_premoderate": ("premoderation", "kiểm duyệt trước"),
    "author_event_trust": ("author trusted", "tin tưởng người viết"),
    "author_event_lifted": ("rule lifted", "bỏ áp dụng"),
    "kind_author": ("Author", "Người viết"),
    "kind_redaction": ("Edited public copy", "Sửa bản công khai"),
    "status_all": ("all statuses", "mọi trạng thái"),
    "search": ("Search", "Tìm"),
    "search_text": ("Text", "Nội dung"),
    "search_name": ("Author's name", "Tên người viết"),
    "search_from": ("From", "Từ ngày"),
    "search_to": ("To", "Đến ngày"),
    "search_hint": (
        "A search covers every comment of the site, newest first; typed without diacritics it"
        " also finds them written with diacritics.",
        "Tìm trong mọi bình luận của trang, mới nhất trước; gõ không dấu vẫn tìm được chữ có dấu.",
    ),
    "redact": ("Edit and publish", "Sửa và đăng"),
    "redact_only": ("Save the edit only", "Chỉ lưu bản sửa"),
    "redact_label": ("Public copy", "Bản công khai"),
    "redact_hint": (
        "Readers will see this text; the original stays visible to staff only. Emails and"
        " phone numbers in it are masked.",
        "Độc giả sẽ thấy nội dung này; bản gốc chỉ nhân sự xem được. Email và số điện thoại"
        " trong đó sẽ được che.",
    ),
    "redact_note": ("Note (optional)", "Ghi chú (không bắt buộc)"),
    "redacted_done": ("Edited and published.", "Đã sửa và đăng."),
    "redacted_saved": ("Edit saved.", "Đã lưu bản sửa."),
    "public_copy": ("Public copy (edited):", "Bản công khai (đã sửa):"),
    "action_redact": ("edited the public copy", "sửa bản công khai"),
    "redaction_diff": ("Before and after", "Trước và sau khi sửa"),
    "redaction_before": ("Before", "Trước"),
    "redaction_after": ("After", "Sau"),
    "cancel": ("Cancel", "Huỷ"),
    "help_desk": (
        "p edit and publish the current comment · an author's link lists all their comments",
        "p sửa và đăng bình luận đang chọn · liên kết người viết mở mọi bình luận của họ",
    ),
}


def reason_text(lang: Lang, code: str) -> str:
    """A reason code ("spam:hold") as a newsroom reads it; unknown parts as they are."""
    rule, _, verdict = code.partition(":")
    parts = [_known(lang, "rule_" + rule, rule)]
    if verdict:
        parts.append(_known(lang, "verdict_" + verdict, verdict))
    return ": ".join(parts)


def _known(lang: Lang, key: str, fallback: str) -> str:
    """The text of a key when there is one, else the fallback."""
    return translate(lang, key) if key in TEXT else fallback


def maybe(lang: Lang, prefix: str, value: str | None) -> str:
    """A value (status, action, label, kind) in words, when the table knows it."""
    if value is None:
        return ""
    return _known(lang, prefix + value, value)


def translate(lang: Lang, key: str, **values: object) -> str:
    """The text of a key in a language, with {placeholders} filled."""
    english, vietnamese = TEXT[key]
    text = vietnamese if lang == "vi" else english
    return text.format(**values) if values else text


def _accepted(header: str) -> Lang:
    """The first of our languages in an Accept-Language header, by q; English otherwise."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = params.strip().removeprefix("q=")
        try:
            q = float(weight) if params else 1.0
        except ValueError:
            q = 0.0
        ranked.append((-q, position, tag.strip().lower().split("-")[0]))
    for _, _, tag in sorted(ranked):
        if tag in get_args(Lang):
            return "vi" if tag == "vi" else "en"
    return "en"


def language(request: web.Request) -> Lang:
    """?lang= (the switch), then the cookie it set, then Accept-Language."""
    for choice in (request.query.get("lang"), request.cookies.get(LANG_COOKIE)):
        if choice == "vi":
            return "vi"
        if choice == "en":
            return "en"
    return _accepted(request.headers.get("Accept-Language", ""))


# The site's own model (per-site learning, issue 22): its page and its audit entries.
TEXT.update(
    {
        "model": ("Site model", "Mô hình riêng"),
        "model_explain": (
            "The shared model learns from your moderators' decisions on this site's comments."
            " A new version is used only when it ranks your own decided comments better than"
            " the shared model does, checked on decisions it did not learn from.",
            "Mô hình chung học thêm từ các quyết định của kiểm duyệt viên trên bình luận của"
            " trang. Phiên bản mới chỉ được dùng khi nó xếp hạng các bình luận đã xử lý của"
            " trang tốt hơn mô hình chung, kiểm tra trên những quyết định nó chưa học.",
        ),
        "model_in_use": ("Scoring comments now", "Đang chấm điểm bình luận"),
        "model_base_only": ("the shared model alone", "chỉ mô hình chung"),
        "model_switch": ("Learning from this site", "Học từ trang này"),
        "model_on": ("on", "đang bật"),
        "model_off": ("off", "đang tắt"),
        "model_pinned": ("Version chosen", "Phiên bản được chọn"),
        "model_follows": ("the latest adopted", "phiên bản mới nhất được dùng"),
        "model_new_decisions": (
            "Decisions since the last training",
            "Quyết định kể từ lần học gần nhất",
        ),
        "model_base_version": ("Shared model", "Mô hình chung"),
        "model_train": ("Train now", "Học ngay"),
        "model_training": (
            "Training on this site's decisions…",
            "Đang học từ các quyết định của trang…",
        ),
        "model_trained_adopted": (
            "Version {version} learnt from {decisions} decisions and is now in use.",
            "Phiên bản {version} đã học từ {decisions} quyết định và đang được dùng.",
        ),
        "model_trained_not_better": (
            "Version {version} learnt from {decisions} decisions but did no better than the"
            " shared model; it is not used.",
            "Phiên bản {version} đã học từ {decisions} quyết định nhưng không tốt hơn mô hình"
            " chung nên không được dùng.",
        ),
        "model_saved": ("Your choice is saved.", "Đã lưu lựa chọn."),
        "model_turn_off": ("Switch off", "Tắt"),
        "model_turn_on": ("Switch on", "Bật"),
        "model_unpin": ("Follow the latest adopted", "Dùng phiên bản mới nhất"),
        "model_pin": ("Use this version", "Dùng phiên bản này"),
        "model_curve": ("Learning curve", "Đường học"),
        "model_base": ("shared model", "mô hình chung"),
        "model_adapted": ("after learning", "sau khi học"),
        "model_auc_note": (
            "ROC AUC on the site's own decisions, each checked by a model that did not learn"
            " from it (1 is perfect, 0.5 is chance), against the number of decisions",
            "ROC AUC trên chính các quyết định của trang, mỗi quyết định được kiểm tra bởi mô"
            " hình chưa học nó (1 là hoàn hảo, 0,5 là ngẫu nhiên), theo số quyết định",
        ),
        "model_no_curve": (
            "No figures yet: the model needs decisions of both kinds (spam and not spam, or"
            " reject and approve).",
            "Chưa có số liệu: mô hình cần cả hai loại quyết định (rác và không phải rác, hoặc"
            " từ chối và duyệt).",
        ),
        "model_history": ("Versions", "Các phiên bản"),
        "model_no_history": ("No version trained yet.", "Chưa có phiên bản nào."),
        "model_decisions": ("Decisions", "Số quyết định"),
        "model_label_decisions": (
            "{n} decisions, {positives} positive",
            "{n} quyết định, {positives} vi phạm",
        ),
        "model_too_few": ("too few decisions", "chưa đủ quyết định"),
        "model_state_adopted": ("better than the shared model", "tốt hơn mô hình chung"),
        "model_state_not_better": ("not better, not used", "không tốt hơn, không dùng"),
        "model_current": ("in use", "đang dùng"),
        "kind_model": ("Site model", "Mô hình riêng"),
        "model_event_adopted": ("version {version} adopted", "đã dùng phiên bản {version}"),
        "model_event_pinned": (
            "version {version} chosen (roll back)",
            "chọn phiên bản {version} (quay lại)",
        ),
        "model_event_unpinned": (
            "follows the latest adopted version",
            "dùng phiên bản mới nhất được chấp nhận",
        ),
        "model_event_enabled": ("switched on", "đã bật"),
        "model_event_disabled": (
            "switched off: the shared model alone",
            "đã tắt: chỉ dùng mô hình chung",
        ),
    }
)
