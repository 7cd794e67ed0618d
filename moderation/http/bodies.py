"""JSON in and out: bodies checked for type, size and time; answers rendered with orjson."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TypeVar

import orjson
from aiohttp import web
from pydantic import BaseModel

from moderation.keys import SETTINGS

M = TypeVar("M", bound=BaseModel)
JSON = "application/json"
# Two lists of 5,000 terms of up to 100 characters fit; comments keep their own, smaller cap.
MAX_POLICY_BYTES = 4 * 1024 * 1024


class UnsupportedMediaType(Exception):
    """The request body is not JSON."""


class PayloadTooLarge(Exception):
    """The request body is over the limit."""


class BodyTimeout(Exception):
    """The client did not send its body in time (a slow or stalled client)."""


class BodyIncomplete(BodyTimeout):
    """The client closed the connection before its body was complete."""


def json_response(
    data: BaseModel | Mapping[str, object],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A JSON response rendered with orjson."""
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return web.Response(
        body=orjson.dumps(payload), status=status, content_type=JSON, headers=headers
    )


async def read_json(request: web.Request, model: type[M], limit: int | None = None) -> M:
    """Parse and validate a JSON body; content type and size are checked first."""
    return model.model_validate_json(await read_body(request, limit))


async def read_body(request: web.Request, limit: int | None = None) -> bytes:
    """A JSON body's bytes (415 other types, 413 over `limit`, by default max_body_bytes)."""
    if request.content_type != JSON and not request.content_type.endswith("+json"):
        raise UnsupportedMediaType(request.content_type)
    settings = request.app[SETTINGS]
    limit = limit or settings.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(request.content_length)
    if limit != settings.max_body_bytes:  # the application's client_max_size
        request = request.clone(client_max_size=limit)
    try:
        if request.content.is_eof():  # the whole body is here (a small one usually is)
            return await request.read()
        async with asyncio.timeout(settings.body_timeout_seconds):
            return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(limit) from None
    except TimeoutError:
        raise BodyTimeout(request.content_length) from None
    except ConnectionError:  # a client that went away is not a server error
        raise BodyIncomplete(request.content_length) from None
