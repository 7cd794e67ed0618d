"""The per-process rate limiter (GCRA)."""

from __future__ import annotations

import pytest

from moderation.runtime.rate_limiter import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_steady_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=10, burst=5, clock=clock)
    assert [limiter.acquire("a") for _ in range(5)] == [0.0] * 5
    wait = limiter.acquire("a")
    assert wait == pytest.approx(0.1)
    clock.now += wait
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0


def test_keys_are_independent_and_refused_requests_cost_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=1, clock=clock)
    assert limiter.acquire("a") == 0.0
    for _ in range(100):
        assert limiter.acquire("a") == pytest.approx(1.0)
    assert limiter.acquire("b") == 0.0
    clock.now += 1.0
    assert limiter.acquire("a") == 0.0


def test_disabled_and_bounded() -> None:
    assert RateLimiter(rate=0, burst=1).acquire("a") == 0.0
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=1, max_keys=3, clock=clock)
    for key in "abcd":
        assert limiter.acquire(key) == 0.0
    assert limiter.acquire("a") == 0.0  # forgotten: the table keeps the 3 most recent callers
    assert limiter.acquire("d") > 0


def test_only_learnt_keys_are_known_even_with_the_limit_off() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=2, max_keys=2, clock=clock)
    assert "a" not in limiter and len(limiter) == 0
    limiter.learn("a")  # charged once, like acquire
    limiter.learn("a")  # no second charge
    assert "a" in limiter and limiter.acquire("a") == 0.0 and limiter.acquire("a") > 0
    limiter.learn("b")
    limiter.learn("c")
    assert len(limiter) == 2 and "a" not in limiter
    off = RateLimiter(rate=0, burst=1)
    assert off.acquire("x") == 0.0 and "x" not in off
    off.learn("x")
    assert "x" in off and off.acquire("x") == 0.0
