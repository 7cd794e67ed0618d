"""Staff passwords, hashed with argon2id (argon2-cffi's defaults: RFC 9106's low-memory set)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024


def hash_password(password: str) -> str:
    """An argon2id hash of a password, salted, in PHC string form."""
    return PasswordHasher().hash(password)


@cache
def _stand_in() -> str:
    """A hash to check against when the user does not exist, so both cases take as long."""
    return hash_password("no such user: a password nobody has")


def verify_password(stored: str | None, password: str) -> bool:
    """Whether a password matches a stored hash; always does the same argon2 work."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return PasswordHasher().verify(stored or _stand_in(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"a password is at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password is at most {MAX_LENGTH} characters"
    return None
