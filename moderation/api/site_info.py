"""GET /v1/site: which site a site key belongs to, so a website can check its settings.

A website (the WordPress plugin) calls it when its owner saves the settings: a wrong key is
refused at once (401) instead of failing every comment later, and the owner sees which site
the key opens and where its webhooks go. The webhook secret never leaves the service; the
answer carries a check value of it (an HMAC keyed with the secret over a fixed text) that the
website computes from the secret it was given and compares. The fixed text is not JSON, so
the value can never pass for the signature of a webhook body.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from moderation.api.auth import authenticate
from moderation.http.bodies import json_response
from moderation.keys import STORE

SECRET_CHECK_TEXT = b"moderation webhook secret check v1"


def secret_check(secret: str) -> str:
    """Lowercase hex HMAC-SHA256 of SECRET_CHECK_TEXT keyed with a webhook secret."""
    return hmac.new(secret.encode(), SECRET_CHECK_TEXT, hashlib.sha256).hexdigest()


class SiteInfo(BaseModel):
    """The site a key belongs to, and its webhook settings."""

    model_config = ConfigDict(frozen=True)

    site: str = Field(description="the site's slug (as in `moderation sites ...` commands)")
    name: str = Field(description="the site's display name (its slug while sites have none)")
    webhook_configured: bool = Field(description="whether the policy has a webhook_url")
    webhook_url: str | None = Field(description="where the service sends the site's webhooks")
    webhook_secret_check: str = Field(
        description="lowercase hex HMAC-SHA256, keyed with the webhook secret, of the ASCII "
        f'text "{SECRET_CHECK_TEXT.decode()}": compare with the same computed from yours'
    )


async def site_info(request: web.Request) -> web.Response:
    """GET /v1/site: the site of the key in the Authorization header; 401 for any other."""
    site = await authenticate(request)
    _, secret = await request.app[STORE].webhook_secret(site.slug, None)
    url = site.policy.webhook_url
    info = SiteInfo(
        site=site.slug,
        name=site.slug,
        webhook_configured=url is not None,
        webhook_url=url,
        webhook_secret_check=secret_check(secret),
    )
    return json_response(info)


def openapi_paths(answers: dict[str, Any], site_key: list[dict[str, list[str]]]) -> dict[str, Any]:
    """The path's entry of the OpenAPI document (`answers`: its 200 with the problems)."""
    return {
        "/v1/site": {
            "get": {
                "summary": "The site a site key belongs to, and its webhook settings (for a "
                "website to check its key and webhook secret when they are saved)",
                "security": site_key,
                "responses": answers,
            }
        }
    }
