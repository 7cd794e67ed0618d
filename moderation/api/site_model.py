"""The site's own model (per-site learning): train on demand, show, pin, roll back, switch off."""

from __future__ import annotations

from aiohttp import web

from moderation.api.auth import owner_of_site
from moderation.domain.site_models import SiteModelChange
from moderation.http.bodies import json_response, read_body
from moderation.keys import ADAPTING

MAX_CHANGE_BYTES = 1024


async def adapt(request: web.Request) -> web.Response:
    """POST /v1/sites/{site}/model/adapt: train on the site's decisions, answer when done."""
    owner = await owner_of_site(request)
    out = await request.app[ADAPTING].adapt(owner.site_id, owner.username)
    return json_response(out)


async def get_model(request: web.Request) -> web.Response:
    """GET /v1/sites/{site}/model: the adapter in use, its history and learning curve."""
    owner = await owner_of_site(request)
    return json_response(await request.app[ADAPTING].state(owner.site_id))


async def put_model(request: web.Request) -> web.Response:
    """PUT /v1/sites/{site}/model: {"pinned": version|null, "enabled": bool}."""
    owner = await owner_of_site(request)
    change = SiteModelChange.model_validate_json(await read_body(request, MAX_CHANGE_BYTES))
    out = await request.app[ADAPTING].choose(owner.site_id, change, owner.username)
    return json_response(out)
