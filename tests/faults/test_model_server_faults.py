"""The loop with its model on a real MLServer, behind a proxy that breaks it on purpose.

One run meets every kind of fault at a different step (the probe, the selection and crafting calls,
deploying a candidate, scoring it): the server down, slow past the read timeout, answering 500, answering
garbage and answering a V2 response of the wrong shape. With ``on_service_down = "wait"`` the breaker
opens, the cycle waits, garbage is rejected by validation, and once the server answers again the run
completes with records identical to a run of the same seed that met no fault; the bearer token it sent
appears in no log line and no workspace file. With ``skip``, a cycle
whose probe cannot be evaluated goes on with exploration only and says so in its summary.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pybreaker
import pytest
from prometheus_client import REGISTRY

from envirosense.learning.assembly import build_manager
from envirosense.learning.settings import RunSettings
from envirosense.models.served import ServedModelInterface
from envirosense.models.server import DEFAULT_TOKEN_ENV
from envirosense.models.serving import MLServerProcess
from envirosense.ops.logging import configure_logging
from tests.faults.fault_harness import fingerprint
from tests.faults.fault_proxy import Fault, FaultProxy
from tests.learning.loop_helpers import write_small_config
from tests.models.mlserver_venv import mlserver_executable

RUN_ID = "served"

SCHEDULE: dict[tuple[int, str], list[tuple[Fault, int]]] = {
    (0, "done"): [("500", 12)],  # cycle 1's probe: ready and infer calls fail, the breaker opens
    (1, "evaluated"): [("malformed", 2), ("wrong-shape", 2)],  # the champion's predictions for selection
    (1, "trained"): [("down", 8), ("slow", 3)],  # deploying the candidate: dropped, then too slow
}
SKIP_SCHEDULE: dict[tuple[int, str], list[tuple[Fault, int]]] = {(0, "done"): [("down", 6)]}
"""After the cycle step (cycle, step) is recorded, the proxy breaks the next requests with these faults
(a request the open breaker stops never reaches the proxy, so faults land on the retries that follow)."""


def served_settings(directory: Path, base_url: str, repository: Path, on_service_down: str) -> RunSettings:
    config = write_small_config(directory, directory / "ws")
    values = tomllib.loads(config.read_text(encoding="utf-8"))
    values["model"]["kind"] = "api"
    values["model"]["server"] = {
        "base_url": base_url,
        "model_repository": str(repository),
        "read_timeout_s": 1.0,
        "max_attempts": 2,
        "backoff_initial_s": 0.05,
        "breaker_fail_max": 3,
        "breaker_reset_timeout_s": 0.5,
    }
    values["active_learning"]["resilience"] = {"on_service_down": on_service_down, "poll_s": 0.2, "max_wait_s": 120}
    return RunSettings(**values)


@pytest.fixture(autouse=True)
def json_debug_logs() -> Iterator[None]:
    configure_logging("DEBUG", "json")
    yield
    configure_logging()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Callable[[str], tuple[FaultProxy, RunSettings]]]:
    """A factory: an MLServer with an empty model repository, a fault proxy in front of it, and settings
    for a run on them."""
    stack: list[Any] = []

    def start(on_service_down: str) -> tuple[FaultProxy, RunSettings]:
        directory = tmp_path / f"served-{len(stack)}"
        repository = directory / "model-repository"
        repository.mkdir(parents=True)
        server = MLServerProcess(mlserver_executable(), repository).start()
        stack.append(server)
        proxy = FaultProxy(server.base_url, slow_s=1.6).__enter__()
        stack.append(proxy)
        return proxy, served_settings(directory, proxy.base_url, repository, on_service_down)

    yield start
    for item in reversed(stack):
        if isinstance(item, FaultProxy):
            item.__exit__(None, None, None)
        else:
            item.stop()


class BreakerWatch(pybreaker.CircuitBreakerListener):
    def __init__(self) -> None:
        self.states: list[str] = []

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        self.states.append(str(new_state.name))


def run(settings: RunSettings, proxy: FaultProxy, schedule: Mapping[tuple[int, str], list[tuple[Fault, int]]]) -> Any:
    def on_event(event: str, fields: Mapping[str, Any]) -> None:
        for fault, count in schedule.get((fields.get("cycle", -1), fields.get("step", "")), []):
            proxy.arm(fault, count)

    manager = build_manager(settings, RUN_ID, on_event=on_event)
    assert isinstance(manager.model_interface, ServedModelInterface)
    watch = BreakerWatch()
    manager.model_interface.breaker.add_listener(watch)
    try:
        history = manager.run(max_cycles=1)
    finally:
        manager.model_interface.close()
        assert isinstance(manager.scoring_interface, ServedModelInterface)
        manager.scoring_interface.close()
    return history, watch


def waited(step: str) -> float:
    labels = {"service": "model-server", "step": step, "action": "waited"}
    return REGISTRY.get_sample_value("envirosense_service_unavailable_total", labels) or 0.0


def test_every_server_fault_is_waited_out_and_changes_nothing(
    served: Callable[[str], tuple[FaultProxy, RunSettings]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = f"token-{uuid.uuid4().hex}"
    monkeypatch.setenv(DEFAULT_TOKEN_ENV, token)
    clean_proxy, clean_settings = served("wait")
    clean, _ = run(clean_settings, clean_proxy, {})
    assert [c.cycle_index for c in clean.cycles] == [0, 1]
    assert clean_proxy.injected == {}

    proxy, settings = served("wait")
    before = {step: waited(step) for step in ("probe", "selection", "craft", "deploy", "candidate_evaluation")}
    faulty, watch = run(settings, proxy, SCHEDULE)

    injected = sum(count for faults in SCHEDULE.values() for _, count in faults)
    assert sum(proxy.injected.values()) == injected, proxy.injected
    assert proxy.pending() == 0
    assert "open" in watch.states and watch.states[-1] == "closed"
    after = {step: waited(step) for step in before}
    assert after["probe"] > before["probe"]
    assert after["selection"] > before["selection"]
    assert after["deploy"] > before["deploy"]
    assert [c.cycle_index for c in faulty.cycles] == [0, 1]
    assert all(not c.degraded for c in faulty.cycles)
    assert fingerprint_of(settings) == fingerprint_of(clean_settings)
    logs = capsys.readouterr().err
    assert '"event": "service_down_waiting"' in logs and '"event": "circuit_breaker_state"' in logs
    assert token not in logs
    workspace_files = [path for path in settings.workspace.rglob("*") if path.is_file()]
    assert not [path for path in workspace_files if token.encode() in path.read_bytes()]


def test_with_skip_a_cycle_without_its_probe_explores_and_says_so(
    served: Callable[[str], tuple[FaultProxy, RunSettings]],
) -> None:
    proxy, settings = served("skip")
    history, watch = run(settings, proxy, SKIP_SCHEDULE)
    cycle = history.cycles[1]
    assert cycle.degraded and cycle.degraded[0].startswith("probe: model-server unavailable")
    assert cycle.weak_spots == []
    assert {scenario.action for scenario in cycle.scenarios} == {"random"}
    assert cycle.samples_total > history.cycles[0].samples_total
    assert "open" in watch.states


def fingerprint_of(settings: RunSettings) -> dict[str, Any]:
    config = settings.workspace.parent / "run-alm-auto.toml"
    return fingerprint(config, RUN_ID)
