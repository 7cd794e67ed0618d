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
    "status": ("Status", "Trạng thái"),
    "sort": ("Sort", "Sắp xếp"),
    "oldest": ("Oldest first", "Cũ nhất trước"),
    "score": ("Highest score", "Điểm cao nhất"),
    "thread": ("Thread", "Chủ đề"),
    "reason": ("Reason", "Lý do"),
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
    "claimed_by": ("claimed by", "đang xử lý bởi"),
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
    "in_thread": ("In the same thread", "Cùng chủ đề"),
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
    "trust_approved": ("Trust approved authors", "Tin tác giả đã được duyệt"),
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
    "comments_replayed": ("Recent comments replayed", "Bình luận gần đây được thử lại"),
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
}


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
