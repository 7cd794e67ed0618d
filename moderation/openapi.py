"""The OpenAPI 3.1 document, assembled from the pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from moderation.models import (
    CommentIn,
    CommentOut,
    CommentView,
    EraseIn,
    EraseOut,
    Problem,
    PublicPage,
)

REF = "#/components/schemas/{model}"
MODELS: tuple[type[BaseModel], ...] = (
    CommentIn, CommentOut, CommentView, EraseIn, EraseOut, Problem, PublicPage,
)  # fmt: skip
SITE_KEY: list[dict[str, list[str]]] = [{"siteKey": []}]


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
        "304": "Not modified", "400": "Malformed JSON", "401": "Bad site key",
        "404": "Not found", "413": "Body too large", "415": "Not JSON",
        "422": "Invalid fields", "503": "Database unreachable; retry after Retry-After",
    }  # fmt: skip
    out = dict(ok)
    for code in codes:
        out[code] = {"description": texts[code]} if code == "304" else _problem(texts[code])
    return out


def _post_comment() -> dict[str, Any]:
    """POST /v1/comments."""
    out = _ref("CommentOut")
    key = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
    return {"post": {
        "summary": "Post a comment for moderation", "security": SITE_KEY, "parameters": [key],
        "requestBody": {"required": True, **_ref("CommentIn")},
        "responses": _answers({"201": {"description": "Published", **out},
                               "202": {"description": "Held, rejected or spam", **out}},
                              "400", "401", "413", "415", "422", "503"),
    }}  # fmt: skip


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
        "/healthz": {"get": {"summary": "Process is up", "responses": plain}},
        "/readyz": {"get": {"summary": "Database and model ready", "responses": plain}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "responses": plain}},
        "/openapi.json": {"get": {"summary": "This document", "responses": plain}},
    }  # fmt: skip


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Comment moderation", "version": "1"},
        "paths": _paths(),
        "components": {
            "schemas": schemas(),
            "securitySchemes": {"siteKey": {"type": "http", "scheme": "bearer"}},
        },
    }
