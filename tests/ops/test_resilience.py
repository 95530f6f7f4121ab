"""The resilience layer: one transient-error classifier per backend, retry policies and breakers from
settings. The classifiers see the errors the real drivers raise (psycopg, sqlite3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg.errors
import pybreaker
import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from envirosense.ops.resilience import (
    BreakerSettings,
    RetrySettings,
    call_through,
    circuit_breaker,
    database_transient,
    postgres_transient,
    retrying,
    sqlite_transient,
)


def _wrapped(cls: type[sa_exc.DBAPIError], orig: Exception) -> sa_exc.DBAPIError:
    return cls("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_wrapped(sa_exc.OperationalError, psycopg.errors.AdminShutdown("terminating")), True),
        (_wrapped(sa_exc.OperationalError, psycopg.errors.CannotConnectNow("starting up")), True),
        (_wrapped(sa_exc.OperationalError, psycopg.errors.SerializationFailure("conflict")), True),
        (_wrapped(sa_exc.OperationalError, psycopg.errors.DeadlockDetected("deadlock")), True),
        (_wrapped(sa_exc.OperationalError, psycopg.OperationalError("connection refused")), True),
        (_wrapped(sa_exc.InterfaceError, psycopg.InterfaceError("the connection is closed")), True),
        (_wrapped(sa_exc.ProgrammingError, psycopg.errors.UndefinedTable("no relation")), False),
        (_wrapped(sa_exc.ProgrammingError, psycopg.errors.SyntaxError("syntax")), False),
        (_wrapped(sa_exc.IntegrityError, psycopg.errors.UniqueViolation("duplicate")), False),
        (sa_exc.TimeoutError("pool"), True),
        (ValueError("not a database error"), False),
    ],
)
def test_postgres_classifier(error: BaseException, transient: bool) -> None:
    assert postgres_transient(error) is transient
    assert database_transient("postgresql") is postgres_transient


def test_sqlite_classifier_on_the_errors_sqlite_raises(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(sa_exc.OperationalError) as missing, engine.connect() as connection:
        connection.exec_driver_sql("SELECT * FROM no_such_table")
    assert not sqlite_transient(missing.value)
    locked = _wrapped(sa_exc.OperationalError, sqlite3.OperationalError("database is locked"))
    busy = _wrapped(sa_exc.OperationalError, sqlite3.OperationalError("database table is busy"))
    assert sqlite_transient(locked) and sqlite_transient(busy)
    assert database_transient("sqlite") is sqlite_transient
    with pytest.raises(ValueError, match="postgresql or sqlite"):
        database_transient("oracle")


def test_a_retry_policy_retries_only_what_the_classifier_accepts() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("down")
        return "up"

    policy = RetrySettings(max_attempts=3, timeout_s=None, wait_s=0.0)
    assert retrying(policy, lambda exc: isinstance(exc, ConnectionError))(flaky) == "up" and len(calls) == 3

    def broken() -> None:
        calls.append(1)
        raise KeyError("bug")

    calls.clear()
    with pytest.raises(KeyError):
        retrying(policy, lambda exc: isinstance(exc, ConnectionError))(broken)
    assert len(calls) == 1
    calls.clear()
    with pytest.raises(ConnectionError):
        retrying(RetrySettings(max_attempts=2, timeout_s=None, wait_s=0.0), lambda exc: True)(flaky)
    assert len(calls) == 2
    with pytest.raises(ValueError, match="max_attempts or timeout_s"):
        retrying(RetrySettings(max_attempts=None, timeout_s=None), lambda exc: True)


def test_a_breaker_opens_after_fail_max_failures_and_ignores_excluded_errors() -> None:
    breaker = circuit_breaker(
        BreakerSettings(fail_max=2, reset_timeout_s=60.0), "test", exclude=lambda exc: isinstance(exc, ValueError)
    )

    def fail(error: Exception) -> None:
        raise error

    for _ in range(3):
        with pytest.raises(ValueError):
            call_through(breaker, lambda: fail(ValueError("bad request")))
    assert breaker.current_state == pybreaker.STATE_CLOSED
    for _ in range(2):
        with pytest.raises(ConnectionError):
            call_through(breaker, lambda: fail(ConnectionError("down")))
    assert breaker.current_state == pybreaker.STATE_OPEN
    with pytest.raises(pybreaker.CircuitBreakerError):
        call_through(breaker, lambda: "never runs")
