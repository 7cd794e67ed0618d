"""Site keys, staff tokens and the per-deployment secret."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from moderation.settings import Settings

KEY_BYTES = 32  # 256 bits, well above the 128 the contract asks for
SECRET_FILE = "secret"  # noqa: S105 - a file name, not a secret


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


def _read_or_create(path: Path) -> bytes:
    """Read the secret file, creating it (0600) on first use; safe against racing workers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    value = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
    return value


def deployment_secret(settings: Settings) -> bytes:
    """MODERATION_SECRET, or the secret kept in the data directory."""
    if settings.secret is not None:
        return settings.secret.get_secret_value().encode()
    return _read_or_create(settings.data_dir / SECRET_FILE)
