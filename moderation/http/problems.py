"""One middleware maps every error to an RFC 9457 problem+json answer; one observes requests."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Mapping

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from moderation.domain.errors import (
    AlreadyExists,
    DatabaseUnavailable,
    DomainError,
    Flooded,
    Forbidden,
    InvalidField,
    LeaseHeld,
    ModelLoadFailed,
    NotFound,
    ReportsFlooded,
    StaffUnauthorized,
    StaleVersion,
    TrainingUnderWay,
    Unauthorized,
    VersionRequired,
)
from moderation.domain.models import FieldError, Problem
from moderation.http.bodies import (
    BodyIncomplete,
    BodyTimeout,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from moderation.keys import METRICS, SETTINGS

log = logging.getLogger("moderation.api")
PROBLEM = "application/problem+json"

_STATUS: Mapping[type[Exception], tuple[int, str]] = {
    NotFound: (404, "Not Found"),
    Unauthorized: (401, "Unauthorized"),
    AlreadyExists: (409, "Conflict"),
    LeaseHeld: (409, "Conflict"),
    TrainingUnderWay: (409, "Conflict"),
    Forbidden: (403, "Forbidden"),
    InvalidField: (422, "Unprocessable Content"),
    DatabaseUnavailable: (503, "Service Unavailable"),
    UnsupportedMediaType: (415, "Unsupported Media Type"),
    PayloadTooLarge: (413, "Content Too Large"),
    BodyIncomplete: (400, "Incomplete Body"),  # before its base class: the first match wins
    BodyTimeout: (408, "Request Timeout"),
    Flooded: (429, "Too Many Requests"),
    StaleVersion: (412, "Precondition Failed"),
    VersionRequired: (428, "Precondition Required"),
    ModelLoadFailed: (409, "The new model could not be loaded"),
}
_DETAIL: Mapping[type[Exception], str] = {
    Unauthorized: "A valid site key is required: Authorization: Bearer <key>.",
    StaffUnauthorized: "A valid staff token is required: Authorization: Bearer <token>.",
    Forbidden: "Only an owner of this site may do this.",
    LeaseHeld: "Another moderator holds a live claim on this comment.",
    TrainingUnderWay: "This site's model is being trained now; try again when it is done.",
    DatabaseUnavailable: "The database is unavailable; nothing was stored. Retry later.",
    UnsupportedMediaType: "Send the body as application/json.",
    PayloadTooLarge: "The request body is too large.",
    BodyTimeout: "The request body did not arrive in time.",
    BodyIncomplete: "The connection closed before the request body was complete.",
    Flooded: "Too many comments from this author or network just now; nothing was stored.",
    ReportsFlooded: "Too many reports from this reader in the last hour; this one was not counted.",
    StaleVersion: "The policy changed since you read it: GET it again, reapply, resend.",
    VersionRequired: "Send If-Match with the ETag of the policy you changed.",
    ModelLoadFailed: "The previous model is still in use; the service log says why.",
}


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A problem+json response."""
    body = Problem(title=title, status=status, detail=detail, errors=errors)
    return web.Response(
        body=orjson.dumps(body.model_dump(mode="json", exclude_none=True)),
        status=status,
        content_type=PROBLEM,
        headers=headers,
    )


def _field(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a dotted field name."""
    return ".".join(str(part) for part in loc) or "body"


def validation_problem(exc: ValidationError) -> web.Response:
    """400 for unparseable JSON or a non-object body, else 422 naming each field."""
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return problem(400, "Bad Request", "The body is not valid JSON (UTF-8).")
    if any(e["type"] == "model_type" and not e["loc"] for e in errors):
        return problem(400, "Bad Request", "The body must be a JSON object.")
    fields = [FieldError(field=_field(e["loc"]), message=e["msg"]) for e in errors]
    return problem(422, "Unprocessable Content", "Some fields are invalid.", fields)


def domain_problem(exc: Exception, retry_after: int) -> web.Response:
    """The problem answer for an expected error class."""
    status, title = next(v for k, v in _STATUS.items() if isinstance(exc, k))
    headers: dict[str, str] = {}
    errors = None
    if isinstance(exc, InvalidField):
        errors = [FieldError(field=exc.field, message=exc.message)]
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, DatabaseUnavailable):
        headers["Retry-After"] = str(exc.retry_after or retry_after)
    if isinstance(exc, Flooded):
        headers["Retry-After"] = str(exc.retry_after)
    return problem(status, title, _DETAIL.get(type(exc)), errors, headers)


def http_problem(exc: web.HTTPException) -> web.Response:
    """aiohttp's own errors (404 route, 405, 413) as problem+json, keeping useful headers."""
    headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
    return problem(exc.status, exc.reason, headers=headers)


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map errors to problem+json; an unexpected one is logged and answered 500 without a trace."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return http_problem(exc)
    except ValidationError as exc:
        return validation_problem(exc)
    except BodyTimeout as exc:
        response = domain_problem(exc, request.app[SETTINGS].retry_after_seconds)
        response.force_close()  # the rest of the body may still be on its way
        return response
    except (DomainError, UnsupportedMediaType, PayloadTooLarge) as exc:
        return domain_problem(exc, request.app[SETTINGS].retry_after_seconds)
    except Exception:
        log.exception("unexpected error", extra={"route": _route(request)})
        return problem(500, "Internal Server Error", "Unexpected error; it has been logged.")


def _route(request: web.Request) -> str:
    """The matched route template (not the raw path), for logs and metric labels."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count, time and log every request by route; never the body or query string."""
    started = time.perf_counter()
    # A log correlation id, not a secret: uuid4 reads os.urandom, a syscall per request.
    request_id = f"{random.getrandbits(64):016x}"
    response = await handler(request)
    response.headers["X-Request-Id"] = request_id
    elapsed = time.perf_counter() - started
    route = _route(request)
    metrics = request.app[METRICS]
    metrics.requests.labels(request.method, route, str(response.status)).inc()
    metrics.latency.labels(request.method, route).observe(elapsed)
    if request.app[SETTINGS].access_log:
        ms = round(elapsed * 1000, 2)
        fields = {"id": request_id, "method": request.method, "route": route, "ms": ms}
        log.info("request", extra={**fields, "status": response.status})
    return response
