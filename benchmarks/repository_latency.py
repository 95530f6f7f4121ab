"""Scenario repository at scale: bulk load rate, query latency percentiles, and the plans behind them.

Full mode loads 1,000,000 definitions into PostgreSQL and 100,000 into SQLite through the repository's
own ``save_many`` (validation included), then times repository calls: get by id, by class label, by
category, by tag, and full-text search. The baseline, measured in the same run, is the same single-row
lookup on a column without an index (a full scan). ``EXPLAIN`` output shows which index each query uses.

    python benchmarks/repository_latency.py            # full (about 10-20 min on 2 cores)
    python benchmarks/repository_latency.py --quick    # 20,000 / 10,000 rows, a minute
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from envirosense.ops.logging import configure_logging
from envirosense.repository import (
    PostgresScenarioRepository,
    SQLiteScenarioRepository,
    SqlScenarioRepository,
    make_engine,
    upgrade_database,
)
from envirosense.repository.catalogue import class_definition
from envirosense.repository.database import schema_engine
from envirosense.schemas import ClassLabel, ScenarioCategory, ScenarioDefinition
from envirosense.simulation import scenario_classes
from envirosense.simulation.parameters import sample_params

BENCH_SCHEMA = "bench_repository"
BATCH = 5_000
PARAM_SETS_PER_CLASS = 40
SITES = 200
VOCABULARY_SIZE = 3_000
WORDS_PER_DESCRIPTION = 12


def _vocabulary(rng: np.random.Generator) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "po", "qua", "dri", "fen", "gol", "hix"]
    words: set[str] = set()
    while len(words) < VOCABULARY_SIZE:
        words.add("".join(rng.choice(syllables, size=int(rng.integers(2, 5)))))
    return sorted(words)


def _zipf_probabilities(n: int, exponent: float = 1.1) -> np.ndarray[Any, np.dtype[np.float64]]:
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    return weights / float(weights.sum())


class Corpus:
    """Deterministic synthetic definitions: catalogue classes with sampled parameters, Zipf-worded text."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.classes = scenario_classes()
        self.templates = [
            [
                class_definition(
                    cls,
                    f"template-{cls.registry_name()}-{k}",
                    sample_params(cls.params_model, self.rng),
                    origin="benchmark",
                    author="benchmark",
                )
                for k in range(PARAM_SETS_PER_CLASS)
            ]
            for cls in self.classes
        ]
        self.words = _vocabulary(self.rng)
        self.word_probabilities = _zipf_probabilities(len(self.words))

    def batches(self, total: int) -> Iterator[list[ScenarioDefinition]]:
        for start in range(0, total, BATCH):
            count = min(BATCH, total - start)
            classes = self.rng.integers(len(self.classes), size=count)
            variants = self.rng.integers(PARAM_SETS_PER_CLASS, size=count)
            sites = self.rng.integers(SITES, size=count)
            words = self.rng.choice(len(self.words), size=(count, WORDS_PER_DESCRIPTION), p=self.word_probabilities)
            batch = []
            for offset in range(count):
                index = start + offset
                template = self.templates[int(classes[offset])][int(variants[offset])]
                identifier = f"bench-{index:07d}"
                text = " ".join(self.words[int(w)] for w in words[offset])
                batch.append(
                    template.model_copy(
                        update={
                            "scenario_definition_id": identifier,
                            "scenario_instance_id": identifier,
                            "name": f"{template.name} {identifier}",
                            "description": text,
                            "tags": [*template.tags, f"site-{int(sites[offset])}", f"batch-{index // 1000}"],
                        }
                    )
                )
            yield batch

    def query_word(self) -> str:
        """A word of middling frequency (rank 100-1000: in roughly 0.1-1 % of descriptions)."""
        return self.words[int(self.rng.integers(100, 1000))]


def _percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    ms = np.asarray(samples_ns, dtype=np.float64) / 1e6
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99)), float(ms.mean())


def _time(call: Callable[[], object], repeats: int) -> list[int]:
    call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - started)
    return samples


def _load(repository: SqlScenarioRepository, corpus: Corpus, rows: int, console: Console) -> float:
    columns = (TextColumn("loading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    started = time.perf_counter()
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("load", total=rows)
        for batch in corpus.batches(rows):
            repository.save_many(batch)
            progress.advance(task, len(batch))
    return rows / (time.perf_counter() - started)


def run_backend(
    name: str,
    repository: SqlScenarioRepository,
    engine: sa.Engine,
    rows: int,
    queries: int,
    console: Console,
    reuse: bool = False,
) -> dict[str, Any]:
    corpus = Corpus(seed=0)
    if reuse and repository.count_definitions() == rows:
        rate = float("nan")
    else:
        rate = _load(repository, corpus, rows, console)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"VACUUM ANALYZE {repository.schema}.scenario_definitions")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    labels = [label.value for label in ClassLabel]
    categories = [category.value for category in ScenarioCategory]
    rng = np.random.default_rng(1)

    def random_id() -> str:
        return f"bench-{int(rng.integers(rows)):07d}"

    calls: dict[str, Callable[[], object]] = {
        "get by id": lambda: repository.get_scenario_by_id(random_id()),
        "by class label": lambda: repository.get_scenarios_by_class_label(labels[int(rng.integers(len(labels)))]),
        "by category": lambda: repository.get_scenarios_by_category(categories[int(rng.integers(len(categories)))]),
        "by tag": lambda: repository.find_definitions(tags=[f"site-{int(rng.integers(SITES))}"], limit=5),
        "full text": lambda: repository.search_text(corpus.query_word(), limit=5),
    }
    results = {kind: _percentiles(_time(call, queries)) for kind, call in calls.items()}
    table = repository._tables.definitions
    with schema_engine(engine, repository.schema).connect() as connection:
        baseline = _time(
            lambda: connection.execute(
                sa.select(table.c.scenario_definition_id).where(table.c.scenario_instance_id == random_id())
            ).all(),
            max(5, queries // 20),
        )
    results["baseline: by id without index"] = _percentiles(baseline)
    plans = {
        "get by id": repository.explain_get(random_id()),
        "by class label": repository.explain_find(class_label="arcing", limit=5),
        "by category": repository.explain_find(category="fire", limit=5),
        "by tag": repository.explain_find(tags=["site-17"], limit=5),
        "full text": repository.explain_find(text=corpus.query_word(), limit=5),
    }
    return {"name": name, "rows": rows, "rate": rate, "latency": results, "plans": plans}


def report(result: dict[str, Any]) -> None:
    print(f"\n### {result['name']}: {result['rows']:,} definitions\n")
    print(f"Bulk load through `save_many` (validation + history rows): {result['rate']:,.0f} definitions/s\n")
    print("| query | p50 ms | p99 ms | mean ms |")
    print("|---|---:|---:|---:|")
    for kind, (p50, p99, mean) in result["latency"].items():
        print(f"| {kind} | {p50:.2f} | {p99:.2f} | {mean:.2f} |")
    by_id = result["latency"]["get by id"][0]
    scan = result["latency"]["baseline: by id without index"][0]
    print(f"\nIndexed get by id is {scan / by_id:,.0f}× faster (p50) than the unindexed baseline.\n")
    for kind, plan in result["plans"].items():
        print(f"EXPLAIN {kind}:\n```\n" + "\n".join(plan) + "\n```")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ENVIROSENSE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--postgres-rows", type=int, default=None)
    parser.add_argument("--sqlite-rows", type=int, default=None)
    parser.add_argument("--queries", type=int, default=None, help="timed calls per query kind")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL benchmark schema afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept PostgreSQL schema of the same size")
    args = parser.parse_args()
    configure_logging("WARNING")
    postgres_rows = args.postgres_rows or (20_000 if args.quick else 1_000_000)
    sqlite_rows = args.sqlite_rows or (10_000 if args.quick else 100_000)
    queries = args.queries or (200 if args.quick else 2_000)
    console = Console(stderr=True)
    print(f"## Scenario repository benchmark ({'quick' if args.quick else 'full'}; {queries} calls per query)")

    if not args.skip_postgres:
        engine = make_engine(args.postgres_url, statement_timeout_s=1800)
        if not args.reuse:
            with engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE")
        upgrade_database(engine, BENCH_SCHEMA)
        repository: SqlScenarioRepository = PostgresScenarioRepository(engine, schema=BENCH_SCHEMA)
        try:
            report(run_backend("PostgreSQL", repository, engine, postgres_rows, queries, console, args.reuse))
        finally:
            if not args.keep:
                with engine.begin() as connection:
                    connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {BENCH_SCHEMA} CASCADE")
            engine.dispose()

    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.db"
            engine = make_engine(f"sqlite:///{path}")
            upgrade_database(engine, None)
            repository = SQLiteScenarioRepository(engine)
            report(run_backend("SQLite", repository, engine, sqlite_rows, queries, console))
            print(f"\nSQLite file size: {path.stat().st_size / 1e6:,.0f} MB")
            engine.dispose()


if __name__ == "__main__":
    main()
