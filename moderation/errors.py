"""Domain errors; the API's error middleware maps each class to an HTTP status."""

from __future__ import annotations


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


class AlreadyExists(DomainError):
    """A unique name is taken."""


class InvalidField(DomainError):
    """A field passed syntax checks but refers to something invalid."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class DatabaseUnavailable(DomainError):
    """The database cannot be reached right now; the caller may retry."""
