"""``ServedModelInterface``: the loop's models, served by a model server over the Open Inference Protocol V2.

The loop trains and registers every candidate locally (MLflow). With a model server, ``deploy`` exports a
version into the server's model repository (``export_for_mlserver``: the integrity-checked registry
artifact, never a file the server hands back) and asks the server to load it; every evaluation and
prediction of that version then goes over the V2 API through an ``ApiBasedModelInterface``. All versions
share one circuit breaker: the server is one service, however many versions it holds.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pybreaker

from envirosense.models.api import ApiBasedModelInterface, server_breaker
from envirosense.models.datasets import EvaluationDataset
from envirosense.models.evaluation import EvaluationConfig
from envirosense.models.interface import ModelInterface, Predictions
from envirosense.models.registry import ModelRegistry
from envirosense.models.server import ServerSettings
from envirosense.models.serving import SERVING_SPEC_FILE, export_for_mlserver
from envirosense.ops import metrics
from envirosense.ops.logging import get_logger
from envirosense.schemas import ModelPerformanceData

log = get_logger(__name__)


class VersionNotDeployedError(LookupError):
    """The version was never deployed to the model server's repository."""


class ServedModelInterface(ModelInterface):
    """Deploys registry versions to a V2 model server and evaluates them there.

    Parameters
    ----------
    registry:
        Where versions come from (the loop's run registry).
    server:
        The server's address, timeouts, retries, breaker and credentials.
    model_repository:
        The folder the server loads models from (shared with it).
    config:
        What evaluations report (explanations are model-agnostic occlusion over the API).
    served_name:
        Model name on the server (default: the registry's model name).
    breaker:
        A circuit breaker shared with another interface of the same server (default: one of its own,
        exported as ``envirosense_circuit_breaker_state{breaker="model-server"}``).
    """

    def __init__(
        self,
        registry: ModelRegistry,
        server: ServerSettings,
        model_repository: Path,
        config: EvaluationConfig | None = None,
        *,
        served_name: str | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
    ) -> None:
        self.registry = registry
        self.server = server
        self.model_repository = Path(model_repository)
        self.config = config or EvaluationConfig()
        self.served_name = served_name or registry.model_name
        if breaker is None:
            breaker = server_breaker(server, "model-server")
            metrics.watch_breaker(breaker, "model-server")
        self.breaker = breaker
        self._interfaces: dict[str, ApiBasedModelInterface] = {}
        self._lock = threading.Lock()

    def deploy(self, model_version_tag: str | None) -> None:
        """Export ``model_version_tag`` into the model repository and have the server load it (idempotent)."""
        version = self._version(model_version_tag)
        export_for_mlserver(self.registry, version, self.model_repository, served_name=self.served_name)
        client = self._interface(version).client
        client.load_model()
        client.ready(version)
        log.info("model_deployed", model=self.served_name, version=version, server=self.server.base_url)

    def get_model_performance_feedback(
        self, evaluation_dataset: EvaluationDataset, model_version_tag: str | None = None
    ) -> ModelPerformanceData:
        version = self._version(model_version_tag)
        return self._interface(version).get_model_performance_feedback(evaluation_dataset, version)

    def predict_proba(self, samples: EvaluationDataset, model_version_tag: str | None = None) -> Predictions:
        version = self._version(model_version_tag)
        return self._interface(version).predict_proba(samples, version)

    def close(self) -> None:
        with self._lock:
            for interface in self._interfaces.values():
                interface.close()
            self._interfaces.clear()

    def _version(self, model_version_tag: str | None) -> str:
        return str(self.registry.resolve(model_version_tag).version)

    def _interface(self, version: str) -> ApiBasedModelInterface:
        with self._lock:
            interface = self._interfaces.get(version)
            if interface is None:
                spec = self.model_repository / f"{self.served_name}-{version}" / SERVING_SPEC_FILE
                if not spec.is_file():
                    raise VersionNotDeployedError(
                        f"version {version} of {self.served_name} is not in {self.model_repository}; deploy it first"
                    )
                interface = ApiBasedModelInterface.from_serving_spec(
                    spec,
                    self.server.base_url,
                    self.config,
                    breaker=self.breaker,
                    **self.server.model_dump(include=set(ServerSettings.model_fields) - {"base_url"}),
                )
                self._interfaces[version] = interface
            return interface
