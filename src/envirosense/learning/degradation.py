"""Degrading a cycle while a service is down: wait for it, or skip what can go without it.

The model server and the generator's executor have their own retries and circuit breakers; once those give
up (or the breaker is open), ``ServiceGuard.call`` decides what the cycle does, per ``ResilienceConfig``:
wait and try the step again until the service is back (the run's result is then the same as if nothing had
happened), or, for a step the cycle can do without, raise ``StepSkippedError`` so the caller takes its
degraded path. Either way a ``service_down_waiting`` or ``cycle_degraded`` log event and the
``envirosense_service_unavailable_total`` counter say what happened.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from envirosense.generation.errors import GeneratorUnavailableError
from envirosense.learning.config import ResilienceConfig
from envirosense.models.errors import ModelError, ModelUnavailableError
from envirosense.ops import metrics
from envirosense.ops.logging import get_logger

T = TypeVar("T")

SERVICE_DOWN_ERRORS: tuple[type[Exception], ...] = (ModelUnavailableError, GeneratorUnavailableError)
"""Errors that mean a service is down or answering garbage, rather than that the request was wrong."""

log = get_logger(__name__)


class StepSkippedError(Exception):
    """The step was skipped because a service is down (``on_service_down = "skip"``); ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def service_of(error: Exception) -> str:
    return "model-server" if isinstance(error, ModelError) else "generator"


class ServiceGuard:
    """Runs a cycle step that needs a service, waiting or skipping while the service is down.

    Parameters
    ----------
    config:
        ``wait`` or ``skip``, the longest wait per step and the pause between attempts.
    sleep, clock:
        Time functions (seconds); tests of the guard itself may pass fakes.
    """

    def __init__(
        self,
        config: ResilienceConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.sleep = sleep
        self.clock = clock

    def call(self, step: str, action: Callable[[], T], *, skippable: bool = False) -> T:
        """``action()``; while it fails with one of ``SERVICE_DOWN_ERRORS``: raise ``StepSkippedError`` if the
        step is ``skippable`` and the config says skip, else wait ``poll_s`` and try again, for at most
        ``max_wait_s`` (then the error propagates)."""
        deadline = self.clock() + self.config.max_wait_s
        while True:
            try:
                return action()
            except SERVICE_DOWN_ERRORS as error:
                service = service_of(error)
                if skippable and self.config.on_service_down == "skip":
                    metrics.SERVICE_UNAVAILABLE.labels(service=service, step=step, action="skipped").inc()
                    log.warning("cycle_degraded", step=step, service=service, error=str(error))
                    raise StepSkippedError(f"{step}: {service} unavailable ({type(error).__name__})") from error
                if self.clock() >= deadline:
                    metrics.SERVICE_UNAVAILABLE.labels(service=service, step=step, action="gave_up").inc()
                    log.error("service_down_gave_up", step=step, service=service, error=str(error))
                    raise
                metrics.SERVICE_UNAVAILABLE.labels(service=service, step=step, action="waited").inc()
                log.warning(
                    "service_down_waiting", step=step, service=service, error=str(error), retry_in_s=self.config.poll_s
                )
                self.sleep(self.config.poll_s)
