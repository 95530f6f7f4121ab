"""Persistent state of active-learning runs: runs, cycles (with the last completed step), weak spots and
suggestions, in the same database as the scenario repository.

Every write is one transaction, and every step of a cycle is recorded before the next one begins, so a
run killed at any point resumes from its last recorded step (``ActiveLearningManager.run(resume=True)``).
Every call retries transient database errors (a dropped connection, a server restarting, a lock) with
exponential backoff for a bounded time; each call is one transaction and idempotent, so a retry after a
lost commit acknowledgement writes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache, update_wrapper
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_delay, wait_exponential

from envirosense.ops import metrics
from envirosense.ops.logging import get_logger
from envirosense.repository.database import SCHEMA_TOKEN, schema_engine
from envirosense.repository.migrate import check_schema

P = ParamSpec("P")
T = TypeVar("T")
log = get_logger(__name__)


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING_FOR_REVIEW = "waiting_for_review"
    COMPLETED = "completed"
    FAILED = "failed"


class CycleStep(StrEnum):
    """The last step a cycle completed, in order."""

    STARTED = "started"
    EVALUATED = "evaluated"
    IDENTIFIED = "identified"
    SUGGESTED = "suggested"
    REVIEWED = "reviewed"
    GENERATED = "generated"
    TRAINED = "trained"
    CANDIDATE_EVALUATED = "candidate_evaluated"
    DONE = "done"

    @property
    def order(self) -> int:
        return list(CycleStep).index(self)


class SuggestionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPLIED = "applied"


@dataclass(frozen=True)
class StateTables:
    runs: sa.Table
    cycles: sa.Table
    weak_spots: sa.Table
    suggestions: sa.Table


@cache
def state_tables() -> StateTables:
    metadata = sa.MetaData(schema=SCHEMA_TOKEN)
    stamp = sa.DateTime(timezone=True)
    runs = sa.Table(
        "al_runs",
        metadata,
        sa.Column("run_id", sa.Text(), primary_key=True),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("champion_version", sa.Text(), nullable=True),
        sa.Column("created_utc", stamp, nullable=False),
        sa.Column("updated_utc", stamp, nullable=False),
    )
    cycles = sa.Table(
        "al_cycles",
        metadata,
        sa.Column("run_id", sa.Text(), sa.ForeignKey("al_runs.run_id"), primary_key=True),
        sa.Column("cycle_index", sa.Integer(), primary_key=True),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("updated_utc", stamp, nullable=False),
    )
    weak_spots = sa.Table(
        "al_weak_spots",
        metadata,
        sa.Column("run_id", sa.Text(), sa.ForeignKey("al_runs.run_id"), primary_key=True),
        sa.Column("weak_spot_id", sa.Text(), primary_key=True),
        sa.Column("cycle_index", sa.Integer(), nullable=False),
        sa.Column("weak_spot_type", sa.Text(), nullable=False),
        sa.Column("sensor_id", sa.Text(), nullable=True),
        sa.Column("strategy", sa.Text(), nullable=True),
        sa.Column("utility", sa.Float(), nullable=True),
        sa.Column("spot", sa.JSON(), nullable=False),
    )
    suggestions = sa.Table(
        "al_suggestions",
        metadata,
        sa.Column("suggestion_id", sa.Text(), primary_key=True),
        sa.Column("run_id", sa.Text(), sa.ForeignKey("al_runs.run_id"), nullable=False),
        sa.Column("cycle_index", sa.Integer(), nullable=False),
        sa.Column("weak_spot_id", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("updated_utc", stamp, nullable=False),
    )
    return StateTables(runs, cycles, weak_spots, suggestions)


def _now() -> datetime:
    return datetime.now(UTC)


class UnknownRunError(LookupError):
    pass


def is_transient(exc: BaseException) -> bool:
    """Whether a database error may pass by itself: a pool timeout, a dropped or refused connection, a lock."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    return False


def _retried(method: Callable[Concatenate[RunStore, P], T]) -> Callable[Concatenate[RunStore, P], T]:
    """Run the store method again on transient database errors, for at most ``retry_timeout_s``."""

    def call(self: RunStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        def before_sleep(state: RetryCallState) -> None:
            metrics.STATE_STORE_RETRIES.labels(operation=method.__name__).inc()
            error = state.outcome.exception() if state.outcome else None
            log.warning("state_store_retry", operation=method.__name__, attempt=state.attempt_number, error=str(error))

        retrying = Retrying(
            stop=stop_after_delay(self.retry_timeout_s),
            wait=wait_exponential(multiplier=0.2, max=5.0),
            retry=retry_if_exception(is_transient),
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(method, self, *args, **kwargs)

    update_wrapper(call, method)
    return call


class RunStore:
    """Reads and writes the state of active-learning runs.

    Parameters
    ----------
    engine:
        A SQLAlchemy engine from ``envirosense.repository.database.make_engine``; the database must be at
        the current migration (``envirosense db upgrade``), otherwise ``SchemaTooOldError`` says how to fix it.
    schema:
        PostgreSQL schema holding the tables (ignored on SQLite).
    retry_timeout_s:
        How long a call keeps retrying transient database errors before it raises the last one, s.
    """

    def __init__(self, engine: Engine, schema: str | None = SCHEMA_TOKEN, *, retry_timeout_s: float = 60.0) -> None:
        self.retry_timeout_s = retry_timeout_s
        self._check(engine, schema)
        self.engine = schema_engine(engine, schema)
        self.tables = state_tables()

    @_retried
    def _check(self, engine: Engine, schema: str | None) -> None:
        check_schema(engine, schema)

    # runs -------------------------------------------------------------------------------------

    @_retried
    def create_run(self, run_id: str, strategy: str, config: dict[str, Any]) -> bool:
        """Record a new run; ``False`` (and nothing written) when it exists already."""
        with self.engine.begin() as connection:
            exists = connection.execute(
                sa.select(self.tables.runs.c.run_id).where(self.tables.runs.c.run_id == run_id)
            ).first()
            if exists:
                return False
            connection.execute(
                self.tables.runs.insert().values(
                    run_id=run_id,
                    strategy=strategy,
                    config=config,
                    status=RunStatus.RUNNING.value,
                    created_utc=_now(),
                    updated_utc=_now(),
                )
            )
            return True

    @_retried
    def run(self, run_id: str) -> dict[str, Any]:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(self.tables.runs).where(self.tables.runs.c.run_id == run_id)).first()
        if row is None:
            raise UnknownRunError(f"no active-learning run {run_id!r}")
        return dict(row._mapping)

    @_retried
    def runs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(self.tables.runs).order_by(self.tables.runs.c.created_utc)).all()
        return [dict(row._mapping) for row in rows]

    @_retried
    def set_run(self, run_id: str, *, status: RunStatus | None = None, champion_version: str | None = None) -> None:
        values: dict[str, Any] = {"updated_utc": _now()}
        if status is not None:
            values["status"] = status.value
        if champion_version is not None:
            values["champion_version"] = champion_version
        with self.engine.begin() as connection:
            connection.execute(self.tables.runs.update().where(self.tables.runs.c.run_id == run_id).values(**values))

    # cycles -----------------------------------------------------------------------------------

    @_retried
    def cycle(self, run_id: str, cycle_index: int) -> tuple[CycleStep, dict[str, Any]] | None:
        """(last completed step, recorded outputs) of a cycle, or ``None`` when it has not started."""
        table = self.tables.cycles
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.step, table.c.outputs).where(
                    table.c.run_id == run_id, table.c.cycle_index == cycle_index
                )
            ).first()
        return None if row is None else (CycleStep(row.step), dict(row.outputs))

    @_retried
    def cycles(self, run_id: str) -> list[tuple[int, CycleStep, dict[str, Any]]]:
        table = self.tables.cycles
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.cycle_index, table.c.step, table.c.outputs)
                .where(table.c.run_id == run_id)
                .order_by(table.c.cycle_index)
            ).all()
        return [(row.cycle_index, CycleStep(row.step), dict(row.outputs)) for row in rows]

    @_retried
    def record_step(self, run_id: str, cycle_index: int, step: CycleStep, outputs: dict[str, Any]) -> None:
        """Record that ``step`` completed, merging ``outputs`` into the cycle's recorded outputs."""
        table = self.tables.cycles
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.select(table.c.outputs).where(table.c.run_id == run_id, table.c.cycle_index == cycle_index)
            ).first()
            if row is None:
                connection.execute(
                    table.insert().values(
                        run_id=run_id, cycle_index=cycle_index, step=step.value, outputs=outputs, updated_utc=_now()
                    )
                )
            else:
                connection.execute(
                    table.update()
                    .where(table.c.run_id == run_id, table.c.cycle_index == cycle_index)
                    .values(step=step.value, outputs={**dict(row.outputs), **outputs}, updated_utc=_now())
                )

    # weak spots and suggestions -----------------------------------------------------------------

    @_retried
    def save_weak_spots(self, run_id: str, cycle_index: int, spots: Sequence[dict[str, Any]]) -> None:
        """Replace the cycle's weak spots (idempotent: a resumed step writes the same rows again)."""
        table = self.tables.weak_spots
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.run_id == run_id, table.c.cycle_index == cycle_index))
            if spots:
                connection.execute(
                    table.insert(),
                    [
                        {
                            "run_id": run_id,
                            "cycle_index": cycle_index,
                            "weak_spot_id": spot["spot"]["weak_spot_id"],
                            "weak_spot_type": spot["spot"]["weak_spot_type"],
                            "sensor_id": spot["spot"]["sensor_id"],
                            "strategy": spot.get("strategy"),
                            "utility": spot.get("utility"),
                            "spot": spot["spot"],
                        }
                        for spot in spots
                    ],
                )

    @_retried
    def weak_spots(self, run_id: str, cycle_index: int | None = None) -> list[dict[str, Any]]:
        table = self.tables.weak_spots
        query = sa.select(table).where(table.c.run_id == run_id)
        if cycle_index is not None:
            query = query.where(table.c.cycle_index == cycle_index)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.cycle_index, table.c.utility.desc())).all()
        return [dict(row._mapping) for row in rows]

    @_retried
    def save_suggestions(self, run_id: str, cycle_index: int, suggestions: Sequence[dict[str, Any]]) -> None:
        """Insert suggestions that are not there yet (idempotent by ``suggestion_id``)."""
        table = self.tables.suggestions
        with self.engine.begin() as connection:
            existing = {
                row.suggestion_id
                for row in connection.execute(
                    sa.select(table.c.suggestion_id).where(table.c.run_id == run_id, table.c.cycle_index == cycle_index)
                )
            }
            fresh = [s for s in suggestions if s["suggestion_id"] not in existing]
            if fresh:
                connection.execute(
                    table.insert(),
                    [{**s, "run_id": run_id, "cycle_index": cycle_index, "updated_utc": _now()} for s in fresh],
                )

    @_retried
    def suggestions(
        self, run_id: str | None = None, cycle_index: int | None = None, status: SuggestionStatus | None = None
    ) -> list[dict[str, Any]]:
        table = self.tables.suggestions
        query = sa.select(table)
        if run_id is not None:
            query = query.where(table.c.run_id == run_id)
        if cycle_index is not None:
            query = query.where(table.c.cycle_index == cycle_index)
        if status is not None:
            query = query.where(table.c.status == status.value)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.cycle_index, table.c.suggestion_id)).all()
        return [dict(row._mapping) for row in rows]

    @_retried
    def set_suggestion_status(
        self,
        suggestion_id: str,
        status: SuggestionStatus,
        *,
        expected: Sequence[SuggestionStatus] = (),
        note: str | None = None,
    ) -> bool:
        """Move a suggestion to ``status``; with ``expected``, only from one of those states.

        Returns ``False`` when the suggestion does not exist or is not in an expected state.
        """
        table = self.tables.suggestions
        query = table.update().where(table.c.suggestion_id == suggestion_id)
        if expected:
            query = query.where(table.c.status.in_([s.value for s in expected]))
        values: dict[str, Any] = {"status": status.value, "updated_utc": _now()}
        if note is not None:
            values["review_note"] = note
        with self.engine.begin() as connection:
            return bool(connection.execute(query.values(**values)).rowcount)
