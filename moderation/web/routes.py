"""Mount the pages under /ui/: templates, static files, security headers, routes."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from moderation.keys import TEMPLATES
from moderation.web import desk_pages, login, owner_pages, queue_pages, staff_pages
from moderation.web.render import environment, security_headers

STATIC = Path(__file__).parent / "static"


async def home(request: web.Request) -> web.StreamResponse:
    """GET /ui/: the queue."""
    raise web.HTTPSeeOther("/ui/queue")


def setup(app: web.Application) -> None:
    """Add the web pages to the application."""
    app[TEMPLATES] = environment()
    app.on_response_prepare.append(security_headers)
    add = app.router
    add.add_get("/ui", home)
    add.add_get("/ui/", home)
    add.add_get("/ui/login", login.login_page)
    add.add_post("/ui/login", login.login)
    add.add_post("/ui/logout", login.logout)
    add.add_get("/ui/queue", queue_pages.queue_page)
    add.add_get("/ui/comments/{id}", queue_pages.comment_page)
    add.add_get("/ui/api/items", queue_pages.items)
    add.add_get("/ui/api/live", queue_pages.live)
    add.add_post("/ui/api/claim", queue_pages.claim)
    add.add_post("/ui/api/release", queue_pages.release)
    add.add_post("/ui/api/decision", queue_pages.decision)
    add.add_post("/ui/api/bulk", queue_pages.bulk)
    add.add_post("/ui/api/undo", queue_pages.undo)
    add.add_get("/ui/authors/{author}", desk_pages.author_page)
    add.add_post("/ui/api/author-rule", desk_pages.author_rule)
    add.add_post("/ui/api/redact", desk_pages.redact)
    add.add_get("/ui/policy", owner_pages.policy_page)
    add.add_post("/ui/api/policy/preview", owner_pages.preview_policy)
    add.add_post("/ui/api/policy", owner_pages.save_policy)
    add.add_get("/ui/stats", owner_pages.stats_page)
    add.add_get("/ui/audit", owner_pages.audit_page)
    add.add_get("/ui/staff", staff_pages.staff_page)
    add.add_post("/ui/api/staff/invite", staff_pages.invite)
    add.add_post("/ui/api/staff/revoke", staff_pages.revoke)
    add.add_post("/ui/api/staff/restore", staff_pages.restore)
    add.add_post("/ui/api/staff/reset", staff_pages.reset)
    add.add_get("/ui/welcome/{token}", staff_pages.welcome_page)
    add.add_post("/ui/welcome/{token}", staff_pages.welcome)
    add.add_get("/ui/model", owner_pages.model_page)
    add.add_post("/ui/api/model", owner_pages.choose_model)
    add.add_post("/ui/api/model/adapt", owner_pages.adapt_model)
    add.add_static("/ui/static", STATIC, append_version=True)
