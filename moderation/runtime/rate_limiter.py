"""Rate limits: a small GCRA (generic cell rate algorithm) keyed by caller, per process.

Each process enforces the limit on what it sees, so a fleet of N processes admits up to N times
the configured rate: these limits guard the service against a runaway or leaked client, they
are not billing. Flood limits on readers' comments (per author and address) are part of the
site's policy and are counted in PostgreSQL, across processes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class RateLimiter:
    """`rate` requests per second per key with bursts of `burst`; 0 disables it."""

    def __init__(
        self,
        rate: float,
        burst: int,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._tolerance = self._interval * max(burst - 1, 0)
        self._max_keys = max_keys
        self._clock = clock
        self._tat: OrderedDict[Hashable, float] = OrderedDict()  # theoretical arrival times

    @property
    def enabled(self) -> bool:
        """Whether any limit applies."""
        return self._interval > 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._tat

    def __len__(self) -> int:
        return len(self._tat)

    def learn(self, key: Hashable) -> None:
        """Start counting a key, this request charged to it; also when the limit is off, so
        that `key in limiter` still says the key is known."""
        if key in self._tat:
            return
        self._tat[key] = self._clock() + self._interval
        if len(self._tat) > self._max_keys:
            self._tat.popitem(last=False)

    def acquire(self, key: Hashable) -> float:
        """0 when the request may go ahead, else the seconds to wait before retrying."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        tat = max(self._tat.get(key, now), now)
        wait = tat - self._tolerance - now
        if wait > 1e-9:  # not float noise from summing intervals
            return wait
        self._tat[key] = tat + self._interval
        self._tat.move_to_end(key)
        if len(self._tat) > self._max_keys:
            self._tat.popitem(last=False)  # the least recently seen caller
        return 0.0
