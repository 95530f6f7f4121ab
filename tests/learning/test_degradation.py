"""ServiceGuard: what a cycle step does while the model server or the generator's executor is down."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from envirosense.generation.errors import GeneratorUnavailableError
from envirosense.learning.config import ResilienceConfig
from envirosense.learning.degradation import ServiceGuard, StepSkippedError
from envirosense.models.api import CircuitOpenError, InvalidModelResponseError, ModelServerRequestError


class FakeTime:
    """A clock that only moves when the guard sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def failing(errors: list[Exception], result: str = "done") -> tuple[Callable[[], str], dict[str, int]]:
    calls = {"n": 0}

    def action() -> str:
        calls["n"] += 1
        if errors:
            raise errors.pop(0)
        return result

    return action, calls


def guard(mode: str, time: FakeTime, max_wait_s: float = 60.0) -> ServiceGuard:
    config = ResilienceConfig.model_validate({"on_service_down": mode, "poll_s": 5.0, "max_wait_s": max_wait_s})
    return ServiceGuard(config, sleep=time.sleep, clock=time.clock)


@pytest.mark.parametrize(
    "error",
    [CircuitOpenError("open"), InvalidModelResponseError("garbage"), GeneratorUnavailableError("no workers")],
)
def test_wait_retries_until_the_service_is_back(error: Exception) -> None:
    time = FakeTime()
    action, calls = failing([error, error, error])
    assert guard("wait", time).call("probe", action, skippable=True) == "done"
    assert calls["n"] == 4 and time.sleeps == [5.0, 5.0, 5.0]


def test_skip_gives_up_at_once_on_a_skippable_step_and_says_why() -> None:
    time = FakeTime()
    action, calls = failing([CircuitOpenError("open")])
    with pytest.raises(StepSkippedError, match=r"^probe: model-server unavailable \(CircuitOpenError\)$"):
        guard("skip", time).call("probe", action, skippable=True)
    assert calls["n"] == 1 and time.sleeps == []


def test_skip_still_waits_on_a_step_that_cannot_be_skipped() -> None:
    time = FakeTime()
    action, _ = failing([GeneratorUnavailableError("down")])
    assert guard("skip", time).call("deploy", action) == "done"
    assert time.sleeps == [5.0]


def test_after_max_wait_the_error_propagates() -> None:
    time = FakeTime()
    action, calls = failing([CircuitOpenError("open")] * 10)
    with pytest.raises(CircuitOpenError):
        guard("wait", time, max_wait_s=12.0).call("candidate_evaluation", action)
    assert calls["n"] == 4 and sum(time.sleeps) == 15.0


def test_a_refused_request_is_not_a_service_being_down() -> None:
    time = FakeTime()
    action, calls = failing([ModelServerRequestError("unknown model", 404)])
    with pytest.raises(ModelServerRequestError):
        guard("wait", time).call("probe", action, skippable=True)
    assert calls["n"] == 1 and time.sleeps == []
