"""The per-deployment secret: MODERATION_SECRET, or a file kept in the data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from moderation.settings import Settings

SECRET_FILE = "secret"  # noqa: S105 - a file name, not a secret


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
