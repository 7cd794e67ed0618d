"""The OpenAPI 3.1 document, assembled from the pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from moderation.api import site_info
from moderation.domain.desk import (
    SEARCH_SCAN,
    SEARCH_TEXT_MAX,
    AuthorEventPage,
    AuthorOut,
    AuthorRuleIn,
    AuthorRuleOut,
    RedactionIn,
    RedactionOut,
)
from moderation.domain.models import (
    CommentIn,
    CommentOut,
    CommentView,
    EraseIn,
    EraseOut,
    Policy,
    PolicyIn,
    Problem,
    PublicPage,
    ReloadOut,
    ReportIn,
    ReportOut,
)
from moderation.domain.outbox import WebhookEvent
from moderation.domain.previews import PreviewOut
from moderation.domain.review import (
    AuditPage,
    BulkDecisionIn,
    BulkOut,
    ClaimIn,
    ClaimOut,
    DecisionIn,
    DecisionOut,
    EventPage,
    QueuePage,
    ReleaseIn,
    ReleaseOut,
)
from moderation.domain.site_models import AdaptOut, SiteModelChange, SiteModelOut
from moderation.domain.stats import StatsOut

REF = "#/components/schemas/{model}"
MODELS: tuple[type[BaseModel], ...] = (
    CommentIn, CommentOut, CommentView, EraseIn, EraseOut, Problem, PublicPage,
    QueuePage, ClaimIn, ClaimOut, ReleaseIn, ReleaseOut, DecisionIn, DecisionOut, EventPage,
    BulkDecisionIn, BulkOut, AuditPage, WebhookEvent, Policy, PolicyIn, PreviewOut, StatsOut,
    ReloadOut, site_info.SiteInfo, ReportIn, ReportOut, AdaptOut, SiteModelOut, SiteModelChange,
    AuthorOut, AuthorRuleIn, AuthorRuleOut, AuthorEventPage, RedactionIn, RedactionOut,
)  # fmt: skip
SITE_KEY: list[dict[str, list[str]]] = [{"siteKey": []}]
STAFF: list[dict[str, list[str]]] = [{"staffToken": []}]


def schemas() -> dict[str, Any]:
    """Component schemas of every model, with nested definitions hoisted."""
    found: dict[str, Any] = {}
    for model in MODELS:
        mode: JsonSchemaMode = "validation" if model.__name__.endswith("In") else "serialization"
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found


def _ref(name: str) -> dict[str, Any]:
    """A JSON body of the named schema."""
    return {"content": {"application/json": {"schema": {"$ref": REF.format(model=name)}}}}


def _problem(description: str) -> dict[str, Any]:
    """A problem+json answer."""
    schema = {"$ref": REF.format(model="Problem")}
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


def _answers(ok: dict[str, Any], *codes: str) -> dict[str, Any]:
    """Success answers plus the problem answers listed."""
    texts = {
        "304": "Not modified", "400": "Malformed JSON", "401": "Bad or missing credential",
        "403": "Owners only", "404": "Not found, or another site's",
        "409": "Another moderator holds a live claim",
        "412": "If-Match names an older version", "413": "Body too large", "415": "Not JSON",
        "422": "Invalid fields", "428": "If-Match missing",
        "429": "Rate limit (or, on intake, a flood limit) reached; nothing done; retry after"
        " Retry-After",
        "503": "Database unreachable; retry after Retry-After",
    }  # fmt: skip
    out = dict(ok)
    for code in (*codes, "429"):  # every caller is rate limited, by credential or by address
        out[code] = {"description": texts[code]} if code == "304" else _problem(texts[code])
    return out


def _post_comment() -> dict[str, Any]:
    """POST /v1/comments."""
    out = _ref("CommentOut")
    pattern = {"type": "string", "pattern": r"^[\x21-\x7e]{1,255}$"}
    key = {"name": "Idempotency-Key", "in": "header", "schema": pattern}
    return {"post": {
        "summary": "Post a comment for moderation", "security": SITE_KEY, "parameters": [key],
        "requestBody": {"required": True, **_ref("CommentIn")},
        "responses": _answers({"201": {"description": "Published", **out},
                               "202": {"description": "Held, rejected or spam", **out}},
                              "400", "401", "413", "415", "422", "429", "503"),
    }}  # fmt: skip


def _owner_paths() -> dict[str, Any]:
    """Policy, preview and stats (an owner's staff token)."""
    slug = {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
    if_match = {
        "name": "If-Match",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": 'the ETag of a GET, e.g. "v3"',
    }

    def ints(*names: str) -> list[dict[str, Any]]:
        return [
            {"name": n, "in": "query", "required": False, "schema": {"type": "integer"}}
            for n in names
        ]

    etag = {"ETag": {"schema": {"type": "string"}, "description": '"v<version>"'}}
    policy = {"description": "The policy", "headers": etag, **_ref("Policy")}
    return {
        "/v1/sites/{site}/policy": {
            "get": {"summary": "The site's current policy, with its ETag (owners; 403 for "
                               "moderators)", "security": STAFF,
                    "parameters": [slug],
                    "responses": _answers({"200": policy}, "401", "403", "404", "503")},
            "put": {"summary": "Change the policy: fields left out keep their values; a new "
                               "version, audited, in effect in every process within a second",
                    "security": STAFF, "parameters": [slug, if_match],
                    "requestBody": {"required": True, **_ref("PolicyIn")},
                    "responses": _answers({"200": policy}, "400", "401", "403", "404", "412",
                                          "413", "415", "422", "428", "503")}},
        "/v1/sites/{site}/policy/preview": {"post": {
            "summary": "A policy change replayed on recent comments (limit, default 1000, max "
                       "5000; examples per move, default 5, max 20)",
            "security": STAFF, "parameters": [slug, *ints("limit", "examples")],
            "requestBody": {"required": True, **_ref("PolicyIn")},
            "responses": _answers({"200": {"description": "OK", **_ref("PreviewOut")}},
                                  "400", "401", "403", "404", "413", "415", "422", "503")}},
        "/v1/sites/{site}/model/reload": {"post": {
            "summary": "Load the model again (a new version from MODERATION_MODEL_DIR) in this "
                       "process and, through PostgreSQL, in every other; intake keeps the old "
                       "one until the new one is ready",
            "security": STAFF, "parameters": [slug],
            "responses": {**_answers({"200": {"description": "Reloaded", **_ref("ReloadOut")}},
                                     "401", "403", "404", "503"),
                          "409": _problem("The new model could not be loaded; the previous "
                                          "one is still in use")}}},
        "/v1/sites/{site}/model/adapt": {"post": {
            "summary": "Train the site's adapter on its moderators' decisions now and answer "
                       "when done: the new version, decisions used, base vs adapted "
                       "out-of-fold figures per label, and whether it was adopted (only when "
                       "it beats the base out of fold)",
            "security": STAFF, "parameters": [slug],
            "responses": {**_answers({"200": {"description": "Trained", **_ref("AdaptOut")}},
                                     "401", "403", "404", "503"),
                          "409": _problem("Another process is training this site's model")}}},
        "/v1/sites/{site}/model": {
            "get": {
                "summary": "The site's adapter in use, its versions and learning curve",
                "security": STAFF, "parameters": [slug],
                "responses": _answers({"200": {"description": "OK", **_ref("SiteModelOut")}},
                                      "401", "403", "404", "503")},
            "put": {
                "summary": "Pin a version (a roll back; null: the latest adopted) and switch "
                           "the adapter on or off; audited",
                "security": STAFF, "parameters": [slug],
                "requestBody": {"required": True, **_ref("SiteModelChange")},
                "responses": _answers({"200": {"description": "OK", **_ref("SiteModelOut")}},
                                      "400", "401", "403", "404", "413", "415", "422", "503")}},
        "/v1/sites/{site}/stats": {"get": {
            "summary": "Volumes per day and status, queue, time to decision, overturns "
                       "(days: default 30, max 366)",
            "security": STAFF, "parameters": [slug, *ints("days")],
            "responses": _answers({"200": {"description": "OK", **_ref("StatsOut")}},
                                  "401", "403", "404", "422", "503")}},
    }  # fmt: skip


def _moderator_paths() -> dict[str, Any]:
    """The review queue, claims, decisions and history (staff token)."""
    path_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    slug = {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
    status = {
        "type": "string",
        "enum": ["pending", "published", "rejected", "spam", "all"],
        "description": "all (a search): any status",
    }
    sort = {"type": "string", "enum": ["oldest", "score"]}
    query = [{"name": n, "in": "query", "required": False, "schema": t}
             for n, t in (("status", status), ("sort", sort), ("thread", {"type": "string"}),
                          ("reason", {"type": "string", "description": "a reason code such as"
                                      " spam:hold; reported: comments readers reported, any"
                                      " status, most reports first"}),
                          ("limit", {"type": "integer"}),
                          ("cursor", {"type": "string"}))]  # fmt: skip
    text = {"type": "string", "maxLength": SEARCH_TEXT_MAX}
    day = {"type": "string", "format": "date"}
    search = [{"name": n, "in": "query", "required": False, "schema": t, "description": d}
              for n, t, d in (
                  ("q", text, "a search: text anywhere in the comment (any case; % and _ are"
                              " literal)"),
                  ("name", text, "a search: text anywhere in the author's name"),
                  ("from", day, "a search: first day, in the site's time zone"),
                  ("to", day, "a search: last day (included)"))]  # fmt: skip
    return {
        "/v1/sites/{site}/queue": {"get": {
            "summary": "Comments to review (default pending), oldest first or highest score. "
                       "With q, name, from, to or status=all, a search of all the site's "
                       "comments, newest first (sort ignored): each page looks at no more than "
                       f"{SEARCH_SCAN} comments, so it may hold fewer than limit (even none) "
                       "with a next_cursor to go on",
            "security": STAFF, "parameters": [slug, *query, *search],
            "responses": _answers({"200": {"description": "OK", **_ref("QueuePage")}},
                                  "401", "404", "422", "503")}},
        "/v1/sites/{site}/queue/claim": {"post": {
            "summary": "Lease up to n unheld pending comments to the caller",
            "security": STAFF, "parameters": [slug],
            "requestBody": {"required": True, **_ref("ClaimIn")},
            "responses": _answers({"200": {"description": "OK", **_ref("ClaimOut")}},
                                  "400", "401", "404", "415", "422", "503")}},
        "/v1/sites/{site}/queue/release": {"post": {
            "summary": "Give back the caller's claims: all, or the ids listed",
            "security": STAFF, "parameters": [slug],
            "requestBody": {"required": True, **_ref("ReleaseIn")},
            "responses": _answers({"200": {"description": "OK", **_ref("ReleaseOut")}},
                                  "400", "401", "404", "415", "422", "503")}},
        "/v1/comments/{id}/decision": {"post": {
            "summary": "Approve, reject or mark spam / not spam; releases the claim. With the "
                       "site key, `actor` names the site's own moderator (site:<actor>)",
            "security": [*STAFF, *SITE_KEY], "parameters": [path_id],
            "requestBody": {"required": True, **_ref("DecisionIn")},
            "responses": _answers({"200": {"description": "OK", **_ref("DecisionOut")}},
                                  "400", "401", "404", "409", "415", "422", "503")}},
        "/v1/sites/{site}/decisions": {"post": {
            "summary": "One decision on many comments; an outcome per id, in order",
            "security": STAFF, "parameters": [slug],
            "requestBody": {"required": True, **_ref("BulkDecisionIn")},
            "responses": _answers({"200": {"description": "OK", **_ref("BulkOut")}},
                                  "400", "401", "404", "415", "422", "503")}},
        "/v1/sites/{site}/audit": {"get": {
            "summary": "Decisions, policy versions and staff, newest first (owners)",
            "security": STAFF, "parameters": [slug, *query[-2:]],
            "responses": _answers({"200": {"description": "OK", **_ref("AuditPage")}},
                                  "401", "403", "404", "422", "503")}},
        "/v1/comments/{id}/events": {"get": {
            "summary": "A comment's history, oldest first", "security": STAFF,
            "parameters": [path_id],
            "responses": _answers({"200": {"description": "OK", **_ref("EventPage")}},
                                  "401", "404", "503")}},
    }  # fmt: skip


def _desk_paths() -> dict[str, Any]:
    """Authors' views and rules, edits of a comment's public copy (staff token)."""
    path_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    slug = {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
    author = {
        "name": "author",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "description": "author_id of a queue item: hex of the keyed hash of the address",
    }
    page = [{"name": n, "in": "query", "required": False, "schema": {"type": t}}
            for n, t in (("limit", "integer"), ("cursor", "string"))]  # fmt: skip
    rule = _answers({"200": {"description": "OK", **_ref("AuthorRuleOut")}},
                    "400", "401", "404", "413", "415", "422", "503")  # fmt: skip
    return {
        "/v1/sites/{site}/authors/{author}": {"get": {
            "summary": "An author of the site: names used, comments per status, first and last "
                       "comment, the rule in force; never the address",
            "security": STAFF, "parameters": [slug, author],
            "responses": _answers({"200": {"description": "OK", **_ref("AuthorOut")}},
                                  "401", "404", "422", "503")}},
        "/v1/sites/{site}/authors/{author}/comments": {"get": {
            "summary": "Every comment of the author on the site, any status, newest first",
            "security": STAFF, "parameters": [slug, author, *page],
            "responses": _answers({"200": {"description": "OK", **_ref("QueuePage")}},
                                  "401", "404", "422", "503")}},
        "/v1/sites/{site}/authors/{author}/events": {"get": {
            "summary": "The changes of the author's rule, newest first (also in the audit log)",
            "security": STAFF, "parameters": [slug, author],
            "responses": _answers({"200": {"description": "OK", **_ref("AuthorEventPage")}},
                                  "401", "404", "422", "503")}},
        "/v1/sites/{site}/authors/{author}/rule": {
            "put": {"summary": "Set the author's rule for their next comments on this site: ban "
                               "(rejected), premoderate (held), trust (published unless a hard "
                               "reject or a blocked term), or null to lift it; audited",
                    "security": STAFF, "parameters": [slug, author],
                    "requestBody": {"required": True, **_ref("AuthorRuleIn")},
                    "responses": rule},
            "delete": {"summary": "Lift the author's rule; audited",
                       "security": STAFF, "parameters": [slug, author],
                       "responses": _answers(
                           {"200": {"description": "OK", **_ref("AuthorRuleOut")}},
                           "401", "404", "422", "503")}},
        "/v1/comments/{id}/redaction": {"post": {
            "summary": "Replace the public copy (what readers get; contacts in it masked) and, "
                       "unless publish is false, publish the comment; the original stays for "
                       "staff; both steps are in the comment's history and the audit log",
            "security": STAFF, "parameters": [path_id],
            "requestBody": {"required": True, **_ref("RedactionIn")},
            "responses": _answers({"200": {"description": "OK", **_ref("RedactionOut")}},
                                  "400", "401", "404", "409", "413", "415", "422", "503")}},
    }  # fmt: skip


def _paths() -> dict[str, Any]:
    """Every path of the API."""
    path_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    slug = {"name": "site", "in": "path", "required": True, "schema": {"type": "string"}}
    thread = {"name": "thread", "in": "path", "required": True, "schema": {"type": "string"}}
    query = [{"name": n, "in": "query", "required": False, "schema": {"type": t}}
             for n, t in (("limit", "integer"), ("cursor", "string"))]  # fmt: skip
    plain = {"200": {"description": "OK"}}
    return {
        "/v1/comments": _post_comment(),
        "/v1/comments/{id}": {"get": {
            "summary": "A comment as its site sees it", "security": SITE_KEY,
            "parameters": [path_id],
            "responses": _answers({"200": {"description": "OK", **_ref("CommentView")}},
                                  "401", "404", "503")}},
        "/v1/comments/{id}/report": {"post": {
            "summary": "A reader's report of a comment, relayed by the site: counted once per"
                       " reader (reporter_ip, kept as a keyed hash) and comment, 30 per reader"
                       " an hour; a published comment is held once its reports reach the"
                       " policy's report_hold_threshold",
            "security": SITE_KEY, "parameters": [path_id],
            "requestBody": {"required": True, **_ref("ReportIn")},
            "responses": _answers({"200": {"description": "OK", **_ref("ReportOut")}},
                                  "400", "401", "404", "413", "415", "422", "503")}},
        "/v1/authors/erase": {"post": {
            "summary": "Erase every comment of an author", "security": SITE_KEY,
            "requestBody": {"required": True, **_ref("EraseIn")},
            "responses": _answers({"200": {"description": "OK", **_ref("EraseOut")}},
                                  "400", "401", "413", "415", "422", "503")}},
        "/v1/sites/{site}/threads/{thread}/comments": {"get": {
            "summary": "Published comments of a thread, oldest first",
            "parameters": [slug, thread, *query],
            "responses": _answers({"200": {"description": "OK", **_ref("PublicPage")}},
                                  "304", "404", "422", "503")}},
        **site_info.openapi_paths(
            _answers({"200": {"description": "OK", **_ref("SiteInfo")}}, "401", "503"), SITE_KEY
        ),
        **_moderator_paths(),
        **_desk_paths(),
        **_owner_paths(),
        "/healthz": {"get": {"summary": "Liveness: the process is up (never the database)",
                             "responses": plain}},
        "/readyz": {"get": {
            "summary": "Readiness: the model is loaded; database: the role of the server "
                       "reached (primary, read-only) or unavailable, reported but required only "
                       "with require=primary; model_version: the model in use",
            "parameters": [{"name": "require", "in": "query", "required": False,
                            "schema": {"type": "string", "enum": ["primary"]},
                            "description": "also require a writable primary"}],
            "responses": {**plain,
                          "422": {"description": "require is not primary"},
                          "503": {"description": "Not ready; Retry-After"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": plain}},
        "/openapi.json": {"get": {"summary": "This document", "responses": plain}},
    }  # fmt: skip


def _webhooks() -> dict[str, Any]:
    """What the service POSTs to a site's webhook_url."""
    headers = [
        {"name": name, "in": "header", "required": True, "schema": {"type": "string"},
         "description": text}
        for name, text in (
            ("X-Moderation-Event-Id", "the event's id, as in the body"),
            ("X-Moderation-Event",
             "comment.created, comment.status_changed or comment.edited"),
            ("X-Moderation-Signature",
             "sha256=<lowercase hex HMAC-SHA256 of the raw body, keyed with the site's secret>"),
        )
    ]  # fmt: skip
    return {"commentEvent": {"post": {
        "summary": "A comment's status or public copy changed (or it was posted); retried"
        " until a 2xx, 24 h",
        "parameters": headers,
        "requestBody": {"required": True, **_ref("WebhookEvent")},
        "responses": {"2XX": {"description": "Acknowledged; any other answer is retried"}},
    }}}  # fmt: skip


def _path_checked(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation with a path parameter may answer 422 naming it (api.common.check_path:
    control characters, too long)."""
    for operations in paths.values():
        for operation in operations.values():
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                operation["responses"].setdefault("422", _problem("Invalid fields"))
    return paths


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Comment moderation", "version": "1"},
        "paths": _path_checked(_paths()),
        "webhooks": _webhooks(),
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "siteKey": {"type": "http", "scheme": "bearer"},
                "staffToken": {"type": "http", "scheme": "bearer"},
            },
        },
    }
