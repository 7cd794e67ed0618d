"""Domain errors; the API's error middleware maps each class to an HTTP status."""

from __future__ import annotations

from typing import Literal


class DomainError(Exception):
    """Base of every error the service expects."""


class NotFound(DomainError):
    """The thing does not exist, or belongs to another site."""


class Unauthorized(DomainError):
    """Missing or unknown credential."""


class StaffUnauthorized(Unauthorized):
    """Missing or unknown staff token."""


class Forbidden(DomainError):
    """The staff member's role does not allow this on their own site."""


class LeaseHeld(DomainError):
    """Another moderator holds a live claim on the comment."""


class TrainingUnderWay(DomainError):
    """Another process is training this site's adapter now."""


class AlreadyExists(DomainError):
    """A unique name is taken."""


class InvalidField(DomainError):
    """A field passed syntax checks but refers to something invalid."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# Why a database call failed: the connection is lost or refused (a restart, a failover), the
# server reached is not a writable primary, or the database is too busy (pool exhausted,
# max_connections reached, a statement timed out).
Cause = Literal["connection", "read-only", "overload"]


class DatabaseUnavailable(DomainError):
    """The database cannot be reached right now, is not a writable primary, or is too busy;
    the caller may retry (after `retry_after` seconds when the store knows better)."""

    def __init__(
        self,
        error: str,
        cause: Cause = "connection",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(error)
        self.cause = cause
        self.retry_after = retry_after


class Flooded(DomainError):
    """Too many comments from one author or IP prefix in the site's flood window."""

    def __init__(self, by: str, retry_after: int) -> None:
        super().__init__(by)
        self.by = by
        self.retry_after = retry_after


class ReportsFlooded(Flooded):
    """Too many reports from one reader in the last hour."""


class VersionRequired(DomainError):
    """A change was sent without saying which version it changes (If-Match)."""


class StaleVersion(DomainError):
    """A change was made to a version that is no longer the latest."""


class ModelLoadFailed(DomainError):
    """A new model could not be loaded; the one in use stays."""
