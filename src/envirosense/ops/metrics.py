"""Prometheus metrics of an active-learning run (``envirosense run --metrics-port N`` serves them).

The metric objects live in prometheus_client's default registry, one set per process (a process drives
one run). Durations are histograms in seconds whose ``outcome`` label is ``ok`` or the class name of the
exception that ended the call, so one series gives both latency and failure rate::

    rate(envirosense_model_feedback_seconds_count{outcome!="ok"}[10m])

``deploy/prometheus/alerts.yml`` holds example alerting rules on these names; ``docs/operations.md``
lists every metric.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pybreaker
from prometheus_client import Counter, Gauge, Histogram, start_http_server

_SLOW_CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)

MODEL_FEEDBACK_SECONDS = Histogram(
    "envirosense_model_feedback_seconds",
    "Duration of model performance-feedback calls, by purpose (probe, candidate) and outcome.",
    ["purpose", "outcome"],
    buckets=_SLOW_CALL_BUCKETS,
)
GENERATION_SECONDS = Histogram(
    "envirosense_generation_seconds",
    "Duration of one generation request (a suggestion's or a probe's scenarios), by purpose and outcome.",
    ["purpose", "outcome"],
    buckets=_SLOW_CALL_BUCKETS,
)
GENERATED_SAMPLES = Counter(
    "envirosense_generated_samples_total", "Samples written by the loop's generation requests, by purpose.", ["purpose"]
)
REPOSITORY_SECONDS = Histogram(
    "envirosense_repository_seconds",
    "Duration of scenario-repository calls made by the loop, by operation (create or retrieve kinds) and outcome.",
    ["operation", "outcome"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
STATE_STORE_RETRIES = Counter(
    "envirosense_state_store_retries_total",
    "Transient database errors of the run-state store that were retried, by operation.",
    ["operation"],
)
TARGETING_ATTEMPTS = Counter(
    "envirosense_targeting_attempts_total",
    "Targeted actions tried for a weak spot (variation, craft, class_known, exploration).",
    ["action"],
)
TARGETING_FAILURES = Counter(
    "envirosense_targeting_failures_total",
    "Targeted actions that failed and fell back to the next one (the targeting_failed log event).",
    ["action"],
)
SERVICE_UNAVAILABLE = Counter(
    "envirosense_service_unavailable_total",
    "Calls of a cycle step that found a service down (model server, generator executor), by what the loop did.",
    ["service", "step", "action"],
)
WEAK_SPOTS = Counter(
    "envirosense_weak_spots_total", "Weak spots kept after prioritisation, by type and strategy.", ["type", "strategy"]
)
CYCLE_SECONDS = Histogram(
    "envirosense_cycle_seconds",
    "Wall time of a cycle in this process, from its start (or resumption) to its record as done.",
    buckets=(1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0),
)
CYCLE_INDEX = Gauge("envirosense_cycle_index", "Index of the cycle the run is in (0 trains the initial model).")
CYCLE_STEP = Gauge("envirosense_cycle_step", "Order of the cycle's last recorded step (0 started … 8 done).")
CYCLE_MACRO_F1 = Gauge("envirosense_cycle_macro_f1", "Held-out macro-F1 of the last completed cycle's candidate.")
RUNS_FINISHED = Counter(
    "envirosense_runs_finished_total",
    "Runs that stopped in this process, by status (completed, waiting_for_review, failed).",
    ["status"],
)
BREAKER_STATE = Gauge(
    "envirosense_circuit_breaker_state", "State of a circuit breaker: 0 closed, 1 half-open, 2 open.", ["breaker"]
)

BREAKER_STATE_VALUES = {pybreaker.STATE_CLOSED: 0, pybreaker.STATE_HALF_OPEN: 1, pybreaker.STATE_OPEN: 2}


@contextmanager
def observe(histogram: Histogram, **labels: str) -> Iterator[None]:
    """Time the block into ``histogram`` with ``labels`` and an ``outcome`` label: ``ok``, or the class
    name of the exception that left the block (which is re-raised)."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        histogram.labels(**labels, outcome=outcome).observe(time.perf_counter() - started)


class BreakerStateListener(pybreaker.CircuitBreakerListener):
    """Mirrors a pybreaker breaker's state into ``envirosense_circuit_breaker_state{breaker=NAME}``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        BREAKER_STATE.labels(breaker=self.name).set(BREAKER_STATE_VALUES[new_state.name])


def watch_breaker(breaker: pybreaker.CircuitBreaker, name: str) -> None:
    """Export ``breaker``'s state (now and on every change) as ``envirosense_circuit_breaker_state``."""
    BREAKER_STATE.labels(breaker=name).set(BREAKER_STATE_VALUES[breaker.current_state])
    breaker.add_listener(BreakerStateListener(name))


def serve_metrics(port: int, host: str = "127.0.0.1") -> int:
    """Serve ``/metrics`` on ``host:port`` from a daemon thread; returns the bound port (``0`` picks one)."""
    server, _ = start_http_server(port, addr=host)
    return int(server.server_port)
