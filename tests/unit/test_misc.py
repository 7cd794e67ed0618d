"""Credentials, the OpenAPI document, JSON logs."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import orjson

from moderation.api import openapi
from moderation.domain import credentials
from moderation.runtime import secret
from moderation.runtime.logs import JsonFormatter
from moderation.settings import Settings


def test_keys_are_long_random_and_hashed() -> None:
    a, b = credentials.new_key("sk"), credentials.new_key("sk")
    assert a != b and a.startswith("sk_")
    assert len(a) >= 3 + 43  # 256 bits in url-safe base64
    assert credentials.hash_key(a) != credentials.hash_key(b)
    assert len(credentials.hash_key(a)) == 32


def test_bearer_token() -> None:
    assert credentials.bearer_token("Bearer abc") == "abc"
    assert credentials.bearer_token("bearer  abc ") == "abc"
    assert credentials.bearer_token("Basic abc") is None
    assert credentials.bearer_token("Bearer ") is None
    assert credentials.bearer_token(None) is None


def test_secret_generated_once_with_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret=None)
    first = secret.deployment_secret(settings)
    assert first == secret.deployment_secret(settings)
    mode = (tmp_path / "data" / "secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert len(first) == 64


def test_secret_from_environment_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret="from-env")
    assert secret.deployment_secret(settings) == b"from-env"
    assert not (tmp_path / "secret").exists()


def test_openapi_refs_resolve() -> None:
    doc = openapi.document()
    assert doc["openapi"] == "3.1.0"
    schemas = doc["components"]["schemas"]
    refs = {r.split("/")[-1] for r in _refs(doc)}
    assert refs <= set(schemas)
    assert {"thread", "name", "email", "body"} <= set(schemas["CommentIn"]["required"])
    assert "202" in doc["paths"]["/v1/comments"]["post"]["responses"]


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_json_log_lines_carry_extra_fields() -> None:
    record = logging.makeLogRecord({"msg": "request", "levelname": "INFO", "route": "/x"})
    line = orjson.loads(JsonFormatter().format(record))
    assert line["msg"] == "request"
    assert line["route"] == "/x"
    assert line["level"] == "info"
