"""Site keys and staff tokens: made, hashed, read from an Authorization header."""

from __future__ import annotations

import hashlib
import secrets

KEY_BYTES = 32  # 256 bits, well above the 128 the contract asks for


def new_key(prefix: str) -> str:
    """A fresh random credential, prefixed so a leaked one can be recognised."""
    return f"{prefix}_{secrets.token_urlsafe(KEY_BYTES)}"


def utf8(text: str) -> bytes:
    """Text from a header or cookie as bytes: what was not UTF-8 (decoded by the server into
    lone surrogates) is kept as it came instead of raising, so it just fails to match."""
    return text.encode("utf-8", "surrogatepass")


def hash_key(key: str) -> bytes:
    """SHA-256 of a high-entropy credential; the only form stored."""
    return hashlib.sha256(utf8(key)).digest()


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None
