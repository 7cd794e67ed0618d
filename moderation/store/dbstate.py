"""What one process sees of its database: outages (one warning each, one line when it ends),
and how long a client should wait before retrying."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from moderation.domain.errors import Cause

log = logging.getLogger("moderation.database")

# A failover is over in well under a second (faults/failover.py), so a fresh connection loss
# asks clients back soon; one that lasts asks for the configured, longer wait.
FRESH_SECONDS = 10.0
RECONNECT_RETRY_SECONDS = 1
# At most this often the pool drops its connections to find the primary again after a write
# met a read-only server (each reconnect is a new server process, so not on every write).
RERESOLVE_SECONDS = 1.0


class DatabaseState:
    """Outage bookkeeping for one pool: opened by a failed call, closed by a writable one."""

    def __init__(self, retry_after: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._retry_after = retry_after
        self._clock = clock
        self.down_since: float | None = None
        self.cause: Cause | None = None
        self.failures = 0
        self._reresolved = -RERESOLVE_SECONDS

    def failed(self, cause: Cause, error: str) -> int:
        """Record a failed call; the Retry-After to give its client."""
        if cause == "overload":
            return self._retry_after
        self.failures += 1
        if self.down_since is None:
            self.down_since, self.cause = self._clock(), cause
            log.warning("database unavailable", extra={"cause": cause, "error": error})
        elif cause != self.cause:
            self.cause = cause
        return self.retry_after()

    def succeeded(self, writable: bool) -> None:
        """A call succeeded; an outage ends once the server reached takes writes again."""
        if self.down_since is None or not writable:
            return
        seconds = round(self._clock() - self.down_since, 2)
        fields = {"cause": self.cause, "seconds": seconds, "failures": self.failures}
        log.info("database available again", extra=fields)
        self.down_since, self.cause, self.failures = None, None, 0

    def retry_after(self) -> int:
        """Seconds a client should wait: short while an outage is fresh, longer after."""
        if self.down_since is None:
            return self._retry_after
        fresh = self._clock() - self.down_since < FRESH_SECONDS
        return min(RECONNECT_RETRY_SECONDS, self._retry_after) if fresh else self._retry_after

    def seconds_down(self) -> float | None:
        """How long the current outage has lasted, if there is one."""
        return None if self.down_since is None else round(self._clock() - self.down_since, 2)

    def reresolve_due(self) -> bool:
        """Whether to drop the pool's connections now (rate-limited)."""
        now = self._clock()
        if now - self._reresolved < RERESOLVE_SECONDS:
            return False
        self._reresolved = now
        return True
