"""Service settings read from the environment (MODERATION_*, DATABASE_URL)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, IPvAnyNetwork, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    """Per-user data directory used when MODERATION_DATA_DIR is not set."""
    return platformdirs.user_data_path("moderation", appauthor=False)


class Settings(BaseSettings):
    """Everything the service reads from its environment; immutable once loaded."""

    model_config = SettingsConfigDict(env_prefix="MODERATION_", frozen=True, extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "MODERATION_DATABASE_URL"),
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    secret: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # One process per core: scoring and JSON are CPU work, and processes share the port.
    workers: int = Field(default_factory=lambda: max(1, min(os.cpu_count() or 1, 64)), ge=1, le=64)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    body_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    pool_min_size: int = Field(default=2, ge=0)
    pool_max_size: int = Field(default=10, ge=1)
    db_timeout_seconds: float = Field(default=5.0, gt=0)
    # Intake statements a process runs at once (for one site and policy version): comments
    # that arrive while they are all in flight wait and go together in the next (group
    # commit, moderation/store/batches.py). 2 lets a comment that arrives while a statement
    # waits for a slow commit (a disk taking milliseconds to flush) start its own; with fast
    # commits 1 makes fuller batches (docs/performance.md has the figures).
    intake_statements: int = Field(default=1, ge=1, le=16)
    # Retry-After when the database is busy or has been down for a while; a fresh connection
    # loss (a failover) answers 1 s (dbstate.py).
    retry_after_seconds: int = Field(default=5, ge=1)
    # asyncpg's prepared statements per connection; 0 behind PgBouncer in transaction mode
    # older than 1.21 (or without max_prepared_statements). docs/deployment.md says more.
    statement_cache_size: int = Field(default=100, ge=0)
    site_cache_seconds: float = Field(default=1.0, ge=0)
    scoring_threads: int = Field(default=1, ge=1, le=16)
    # BLAS threads a worker's model may use (numpy's products); one per worker by default: the
    # shipped model's products are small, and a second thread spins on a core another worker,
    # PostgreSQL or the client needs (docs/performance.md). More only for a heavy custom scorer.
    scoring_blas_threads: int = Field(default=1, ge=1, le=64)
    scoring_max_batch: int = Field(default=64, ge=1)
    # A batch with at most this many characters is scored on the event loop (a few ms at
    # most): handing it to a thread costs more (wake-ups and GIL switches) than it spares.
    # Longer batches go to the scoring threads; 0 sends every batch there.
    scoring_inline_chars: int = Field(default=8192, ge=0)
    scorer: str = Field(default="classifiers:load_default", pattern=r"^[\w.]+:\w+$")
    # A model directory (`moderation train --with-decisions` writes versions there, CURRENT
    # names the one to load); unset: the model of MODERATION_SCORER.
    model_dir: Path | None = None
    claim_lease_seconds: float = Field(default=300.0, gt=0, le=86_400)
    # Per-site learning: a site's adapter is trained again in the background after this many
    # new decisions, or this many minutes after its last training when any came (0: never in
    # the background; POST /v1/sites/{site}/model/adapt trains on demand).
    adapt_after_decisions: int = Field(default=50, ge=1)
    adapt_interval_minutes: float = Field(default=30.0, ge=0)
    # The memory a process keeps sites' adapters in (about 0.3 - 1 MB each: a scoring table
    # of 128 KB a label, and the weights as stored); past it, the sites that scored least
    # recently are let go and read again from the database when they next score.
    site_adapter_memory_mb: float = Field(default=256.0, gt=0)
    # Per process; 0 turns a limit off. A site key (its server posts for all readers) is limited
    # by key, never by address; callers without a credential (readers, login) by address.
    rate_limit_per_key: float = Field(default=500.0, ge=0)
    rate_limit_per_key_burst: int = Field(default=1000, ge=1)
    rate_limit_per_address: float = Field(default=20.0, ge=0)
    rate_limit_per_address_burst: int = Field(default=60, ge=1)
    trust_forwarded_for: bool = False
    webhooks: bool = True
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_backoff_seconds: float = Field(default=5.0, gt=0)
    webhook_backoff_cap_seconds: float = Field(default=3600.0, gt=0)
    webhook_max_age_seconds: float = Field(default=86_400.0, gt=0)
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_batch: int = Field(default=20, ge=1, le=500)
    # Webhooks go to public addresses only (a site owner's URL must not reach this network:
    # SSRF); networks listed here are allowed too, for EVERY site, e.g. the private range all
    # the sites live in. For one site (its WordPress on this host) prefer the per-site list:
    # `moderation sites webhook SLUG --allow-network 127.0.0.1/32`.
    webhook_allowed_networks: tuple[IPvAnyNetwork, ...] = ()
    # Web pages (/ui/): session lifetime, login throttling (counted in the database, so all
    # processes and hosts share it), and whether a proxy's X-Forwarded-Proto says TLS.
    session_seconds: float = Field(default=8 * 3600.0, gt=0, le=30 * 86_400)
    trust_forwarded_proto: bool = False
    login_window_seconds: float = Field(default=900.0, gt=0)
    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_address: int = Field(default=30, ge=1)
    log_level: str = "INFO"
    access_log: bool = True

    @field_validator("database_url", "secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """An empty DATABASE_URL or MODERATION_SECRET counts as unset."""
        return None if value == "" else value
