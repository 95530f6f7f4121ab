"""One resilience layer: retry policies (tenacity), circuit breakers (pybreaker) and the classifiers that
say which errors may pass by themselves.

Every component that talks to something that can go away (the scenario repository and the run store to
their database, the generator to its executor, the model-server client to its server) builds its retries
and breaker here, from a ``RetrySettings`` / ``BreakerSettings`` its owner exposes in the run config. A
classifier answers one question per backend: is this error transient? Schema and programming errors
never are, so a bug fails at once instead of being retried for a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

import pybreaker
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exc as sa_exc
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    stop_any,
    wait_exponential,
)

from envirosense.ops.logging import get_logger

log = get_logger(__name__)

Classifier = Callable[[BaseException], bool]
T = TypeVar("T")

POSTGRES_TRANSIENT_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "40001", "40P01", "53300"})
"""admin shutdown, crash shutdown, cannot connect now, serialization failure, deadlock, too many clients."""
POSTGRES_TRANSIENT_CLASSES = ("08",)
"""SQLSTATE classes that are transient as a whole: 08 connection exception."""
SQLITE_TRANSIENT_MARKERS = ("locked", "busy", "unable to open", "disk i/o")
"""Substrings of SQLite operational errors that pass: a lock held by another process, a file being created."""


class RetrySettings(BaseModel):
    """Bounded retries with exponential backoff: at most ``max_attempts`` attempts and ``timeout_s``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    max_attempts: int | None = Field(None, ge=1, description="Most attempts per call (None: bounded by time only).")
    timeout_s: float | None = Field(60.0, gt=0, description="Stop retrying after this long, s (None: no limit).")
    wait_s: float = Field(0.2, ge=0, description="First pause between attempts, s; doubles each retry.")
    max_wait_s: float = Field(5.0, ge=0, description="Longest pause between attempts, s.")


class BreakerSettings(BaseModel):
    """A circuit breaker: opens after ``fail_max`` consecutive failures, one trial call after ``reset_timeout_s``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    fail_max: int = Field(3, ge=1, description="Consecutive failures that open the breaker.")
    reset_timeout_s: float = Field(30.0, gt=0, description="How long the breaker stays open, s.")


def retrying(
    settings: RetrySettings,
    is_transient: Classifier,
    *,
    on_retry: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """A tenacity ``Retrying`` that retries errors ``is_transient`` accepts within ``settings``, re-raising the
    last error when it gives up; ``on_retry`` runs before each pause (logs, metrics)."""
    stops: list[Any] = []
    if settings.max_attempts is not None:
        stops.append(stop_after_attempt(settings.max_attempts))
    if settings.timeout_s is not None:
        stops.append(stop_after_delay(settings.timeout_s))
    if not stops:
        raise ValueError("a retry policy needs max_attempts or timeout_s")
    return Retrying(
        stop=stop_any(*stops),
        wait=wait_exponential(multiplier=settings.wait_s, max=settings.max_wait_s),
        retry=retry_if_exception(is_transient),
        before_sleep=on_retry,
        reraise=True,
    )


class _BreakerLog(pybreaker.CircuitBreakerListener):
    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        log.warning("circuit_breaker_state", breaker=cb.name, old=getattr(old_state, "name", None), new=new_state.name)


def circuit_breaker(
    settings: BreakerSettings,
    name: str,
    *,
    exclude: Callable[[BaseException], bool] | None = None,
    listeners: tuple[pybreaker.CircuitBreakerListener, ...] | None = None,
) -> pybreaker.CircuitBreaker:
    """A pybreaker breaker from ``settings``; errors ``exclude`` accepts (a rejected request, not a failing
    service) do not count. ``listeners`` replace the default one, which logs state changes. A call that
    trips the breaker raises its own error, later calls ``pybreaker.CircuitBreakerError``."""
    return pybreaker.CircuitBreaker(
        fail_max=settings.fail_max,
        reset_timeout=settings.reset_timeout_s,
        exclude=[exclude] if exclude is not None else [],
        listeners=list(listeners) if listeners is not None else [_BreakerLog()],
        name=name,
        throw_new_error_on_trip=False,
    )


def _sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return str(code) if code else None


def postgres_transient(exc: BaseException) -> bool:
    """PostgreSQL: pool timeouts, lost or refused connections, server shutdown or restart, serialization
    failures, deadlocks and too many clients; never schema or programming errors."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    state = _sqlstate(exc)
    if state is not None:
        return state in POSTGRES_TRANSIENT_SQLSTATES or state.startswith(POSTGRES_TRANSIENT_CLASSES)
    # psycopg reports a refused or dropped connection without a SQLSTATE.
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)


def sqlite_transient(exc: BaseException) -> bool:
    """SQLite: a busy or locked database (another process writing); never a missing table or a bad query."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return False
    message = str(exc.orig).lower()
    return any(marker in message for marker in SQLITE_TRANSIENT_MARKERS)


def database_transient(dialect: str) -> Classifier:
    """The transient-error classifier of a SQLAlchemy dialect name (``postgresql`` or ``sqlite``)."""
    classifiers: dict[str, Classifier] = {"postgresql": postgres_transient, "sqlite": sqlite_transient}
    if dialect not in classifiers:
        raise ValueError(f"no transient-error classifier for database {dialect!r}; use postgresql or sqlite")
    return classifiers[dialect]


def _replay(failure: BaseException | None) -> None:
    if failure is not None:
        raise failure


def call_through(breaker: pybreaker.CircuitBreaker, attempt: Callable[[], T]) -> T:
    """``attempt()`` counted by ``breaker``, without serialising concurrent calls.

    pybreaker runs a wrapped call under its lock. So while the breaker is closed the attempt runs outside
    it and only its outcome is replayed through ``breaker.call``; when open the breaker fails the call at
    once (``pybreaker.CircuitBreakerError``), and when its reset timeout has passed it runs this attempt
    itself as the one trial. The attempt's own error propagates unchanged.
    """
    if breaker.current_state != pybreaker.STATE_CLOSED:
        result: T = breaker.call(attempt)
        return result
    try:
        result = attempt()
    except Exception as exc:
        try:
            breaker.call(_replay, exc)
        except pybreaker.CircuitBreakerError:
            pass  # opened meanwhile by another call; this failure changes nothing
        except Exception as replayed:
            if replayed is not exc:
                raise
        raise
    with suppress(pybreaker.CircuitBreakerError):  # opened meanwhile by another call: this one still finished
        breaker.call(_replay, None)
    return result
