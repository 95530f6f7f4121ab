"""Persistent state of active-learning runs: runs, cycles (with the last completed step), weak spots and
suggestions, in the same database as the scenario repository.

Every write is one transaction, and every step of a cycle is recorded before the next one begins, so a
run killed at any point resumes from its last recorded step (``ActiveLearningManager.run()`` continues a
stored run). Cycles and runs come back as the typed records of ``learning.state``. Every call retries
transient database errors (``ops.resilience``: a dropped connection, a server restarting, a lock; never a
schema error) with exponential backoff for a bounded time; each call is one transaction and idempotent,
so a retry after a lost commit acknowledgement writes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, update_wrapper
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy import Engine
from tenacity import RetryCallState

from envirosense.learning.state import (
    CycleRecord,
    CycleState,
    CycleStep,
    RunRecord,
    RunStatus,
    SuggestionStatus,
)
from envirosense.ops import metrics
from envirosense.ops.logging import get_logger
from envirosense.ops.resilience import RetrySettings, database_transient, retrying
from envirosense.ops.timing import BOOKKEEPING_DATABASE, timed
from envirosense.repository.database import SCHEMA_TOKEN, schema_engine
from envirosense.repository.migrate import check_schema

__all__ = ["CycleStep", "RunStatus", "RunStore", "StateStore", "SuggestionStatus", "UnknownRunError", "state_tables"]

P = ParamSpec("P")
T = TypeVar("T")
log = get_logger(__name__)


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


def _retried(method: Callable[Concatenate[RunStore, P], T]) -> Callable[Concatenate[RunStore, P], T]:
    """Run the store method again on transient database errors, within the store's ``retry`` settings; the
    call is timed as the cycle's database bookkeeping (``ops.timing``)."""

    def call(self: RunStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        def before_sleep(state: RetryCallState) -> None:
            metrics.STATE_STORE_RETRIES.labels(operation=method.__name__).inc()
            error = state.outcome.exception() if state.outcome else None
            log.warning("state_store_retry", operation=method.__name__, attempt=state.attempt_number, error=str(error))

        with timed(BOOKKEEPING_DATABASE):
            return retrying(self.retry, self.is_transient, on_retry=before_sleep)(method, self, *args, **kwargs)

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
    retry:
        How long and how often a call retries transient database errors before it raises the last one.
    """

    def __init__(
        self, engine: Engine, schema: str | None = SCHEMA_TOKEN, *, retry: RetrySettings | None = None
    ) -> None:
        self.retry = retry or RetrySettings(timeout_s=60.0)
        self.is_transient = database_transient(engine.dialect.name)
        self._check(engine, schema)
        self.engine = schema_engine(engine, schema)
        self.tables = state_tables()

    @_retried
    def _check(self, engine: Engine, schema: str | None) -> None:
        check_schema(engine, schema)

    # runs -------------------------------------------------------------------------------------

    @_retried
    def create_run(
        self, run_id: str, strategy: str, config: dict[str, Any], status: RunStatus = RunStatus.RUNNING
    ) -> bool:
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
                    status=status.value,
                    created_utc=_now(),
                    updated_utc=_now(),
                )
            )
            return True

    @_retried
    def run(self, run_id: str) -> RunRecord:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(self.tables.runs).where(self.tables.runs.c.run_id == run_id)).first()
        if row is None:
            raise UnknownRunError(f"no active-learning run {run_id!r}")
        return RunRecord(**row._mapping)

    @_retried
    def runs(self) -> list[RunRecord]:
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(self.tables.runs).order_by(self.tables.runs.c.created_utc)).all()
        return [RunRecord(**row._mapping) for row in rows]

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
    def cycle(self, run_id: str, cycle_index: int) -> CycleRecord | None:
        """The cycle's last completed step and recorded state, or ``None`` when it has not started."""
        table = self.tables.cycles
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.step, table.c.outputs).where(
                    table.c.run_id == run_id, table.c.cycle_index == cycle_index
                )
            ).first()
        return None if row is None else CycleRecord(cycle_index, CycleStep(row.step), CycleState.from_json(row.outputs))

    @_retried
    def cycles(self, run_id: str) -> list[CycleRecord]:
        table = self.tables.cycles
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.cycle_index, table.c.step, table.c.outputs)
                .where(table.c.run_id == run_id)
                .order_by(table.c.cycle_index)
            ).all()
        return [CycleRecord(row.cycle_index, CycleStep(row.step), CycleState.from_json(row.outputs)) for row in rows]

    @_retried
    def record_step(self, run_id: str, cycle_index: int, step: CycleStep, update: CycleState) -> None:
        """Record that ``step`` completed, with the fields ``update`` sets replacing the cycle's recorded ones."""
        table = self.tables.cycles
        outputs = update.to_json()
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


class StateStore(Protocol):
    """What the loop needs of a run store (``RunStore``; tests may pass an in-memory one)."""

    def create_run(self, run_id: str, strategy: str, config: dict[str, Any]) -> bool: ...

    def run(self, run_id: str) -> RunRecord: ...

    def set_run(self, run_id: str, *, status: RunStatus | None = None, champion_version: str | None = None) -> None: ...

    def cycle(self, run_id: str, cycle_index: int) -> CycleRecord | None: ...

    def cycles(self, run_id: str) -> list[CycleRecord]: ...

    def record_step(self, run_id: str, cycle_index: int, step: CycleStep, update: CycleState) -> None: ...

    def save_weak_spots(self, run_id: str, cycle_index: int, spots: Sequence[dict[str, Any]]) -> None: ...

    def weak_spots(self, run_id: str, cycle_index: int | None = None) -> list[dict[str, Any]]: ...

    def save_suggestions(self, run_id: str, cycle_index: int, suggestions: Sequence[dict[str, Any]]) -> None: ...

    def suggestions(
        self, run_id: str | None = None, cycle_index: int | None = None, status: SuggestionStatus | None = None
    ) -> list[dict[str, Any]]: ...

    def set_suggestion_status(
        self,
        suggestion_id: str,
        status: SuggestionStatus,
        *,
        expected: Sequence[SuggestionStatus] = (),
        note: str | None = None,
    ) -> bool: ...
