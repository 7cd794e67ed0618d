"""Outage bookkeeping: the Retry-After it derives and the lines it logs."""

from __future__ import annotations

import logging

import pytest

from moderation.store.dbstate import DatabaseState


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_fresh_connection_loss_asks_for_1_s_then_the_setting() -> None:
    clock = Clock()
    state = DatabaseState(5, clock)
    assert state.retry_after() == 5
    assert state.failed("connection", "ConnectionRefusedError") == 1
    clock.now += 9
    assert state.failed("read-only", "ReadOnlySQLTransactionError") == 1
    clock.now += 2  # the outage has lasted: not a failover any more
    assert state.failed("connection", "ConnectionRefusedError") == 5
    state.succeeded(writable=True)
    assert state.failed("connection", "ConnectionRefusedError") == 1


def test_overload_asks_for_the_setting_and_opens_no_outage() -> None:
    state = DatabaseState(7, Clock())
    assert state.failed("overload", "TimeoutError") == 7
    assert state.down_since is None


def test_the_short_wait_never_exceeds_the_setting() -> None:
    assert DatabaseState(1, Clock()).failed("connection", "OSError") == 1


def test_one_warning_per_outage_and_one_recovery_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="moderation.database")
    clock = Clock()
    state = DatabaseState(5, clock)
    for _ in range(5):
        state.failed("connection", "ConnectionRefusedError")
        clock.now += 0.5
    state.succeeded(writable=False)  # a standby answered: writes still fail
    state.failed("read-only", "ReadOnlySQLTransactionError")
    state.succeeded(writable=True)
    state.succeeded(writable=True)
    lines = [(r.levelname, r.getMessage(), r.__dict__) for r in caplog.records]
    assert [(level, msg) for level, msg, _ in lines] == [
        ("WARNING", "database unavailable"),
        ("INFO", "database available again"),
    ]
    assert lines[0][2]["cause"] == "connection"
    assert lines[0][2]["error"] == "ConnectionRefusedError"
    assert (lines[1][2]["cause"], lines[1][2]["failures"]) == ("read-only", 6)
    assert lines[1][2]["seconds"] == 2.5
    assert not any(r.exc_info for r in caplog.records)


def test_reresolving_is_rate_limited() -> None:
    clock = Clock()
    state = DatabaseState(5, clock)
    assert state.reresolve_due()
    assert not state.reresolve_due()
    clock.now += 1
    assert state.reresolve_due()
