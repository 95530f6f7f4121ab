"""Serving a registered model with MLServer (Open Inference Protocol V2).

``export_for_mlserver`` writes one model folder of an MLServer model repository: ``model.joblib`` (what
``mlserver_sklearn`` loads; exported from the integrity-checked skops artifact of the registry, never
stored in it), ``model-settings.json`` (name, runtime, version = the registry version number), and
``envirosense-serving.json`` (class order and feature columns, for ``ApiBasedModelInterface``).

``MLServerProcess`` runs ``mlserver start`` on such a repository in its own process group, on free local
ports, with ``parallel_workers`` 0 (inference in the server process; the worker pool does not start here).
MLServer lives in its own virtualenv (``scripts/setup_mlserver_venv.sh``), as its pins clash with ours.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO, Any

import httpx
import joblib  # type: ignore[import-untyped]

from envirosense.models.registry import ModelRegistry, sha256_file
from envirosense.ops.logging import get_logger

log = get_logger(__name__)

SERVING_SPEC_FILE = "envirosense-serving.json"
SKLEARN_RUNTIME = "mlserver_sklearn.SKLearnModel"


def export_for_mlserver(
    registry: ModelRegistry,
    model_version_tag: str | None,
    repository: Path,
    *,
    served_name: str | None = None,
) -> Path:
    """Write the model folder of ``model_version_tag`` into ``repository``; returns the folder.

    The served model is named ``served_name`` (default: the registry's model name) with version
    ``str(registry version)``, so ``/v2/models/<name>/versions/<N>/infer`` is registry version ``N``.
    """
    model = registry.load(model_version_tag)
    name = served_name or registry.model_name
    folder = Path(repository) / f"{name}-{model.info.version}"
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model.estimator, folder / "model.joblib")
    settings = {
        "name": name,
        "implementation": SKLEARN_RUNTIME,
        "parameters": {"uri": "./model.joblib", "version": str(model.info.version)},
    }
    (folder / "model-settings.json").write_text(json.dumps(settings, indent=2))
    spec = {
        "model_name": name,
        "model_version": str(model.info.version),
        "registry_model": model.info.tag,
        "class_labels": model.class_labels,
        "feature_names": model.feature_names,
        "feature_extractor": model.extractor_params,
        "joblib_sha256": sha256_file(folder / "model.joblib"),
    }
    (folder / SERVING_SPEC_FILE).write_text(json.dumps(spec, indent=2))
    log.info("model_exported_for_mlserver", model=model.info.tag, folder=str(folder))
    return folder


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MLServerError(RuntimeError):
    """MLServer did not start, or a model did not become ready in time."""


class MLServerProcess:
    """``mlserver start <repository>`` as a child process group; a context manager.

    Parameters
    ----------
    mlserver:
        Path of the ``mlserver`` executable (in its own virtualenv).
    repository:
        Model repository folder; ``settings.json`` is written into it.
    log_path:
        File receiving the server's stdout and stderr (default: ``<repository>/mlserver.log``).
    startup_timeout_s:
        Seconds to wait for ``/v2/health/ready``.
    """

    def __init__(
        self,
        mlserver: Path,
        repository: Path,
        *,
        log_path: Path | None = None,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self.mlserver = Path(mlserver)
        self.repository = Path(repository)
        self.log_path = log_path or self.repository / "mlserver.log"
        self.startup_timeout_s = startup_timeout_s
        self.http_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self) -> MLServerProcess:
        settings: dict[str, Any] = {
            "host": "127.0.0.1",
            "http_port": self.http_port,
            "grpc_port": free_port(),
            "metrics_port": free_port(),
            "parallel_workers": 0,
        }
        (self.repository / "settings.json").write_text(json.dumps(settings, indent=2))
        self._log = self.log_path.open("ab")
        env = {**os.environ, "MLSERVER_PARALLEL_WORKERS": "0"}
        self.process = subprocess.Popen(
            [str(self.mlserver), "start", str(self.repository)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
        self._wait("/v2/health/ready")
        log.info("mlserver_started", url=self.base_url, pid=self.process.pid)
        return self

    def wait_model_ready(self, name: str, version: str | None = None) -> None:
        path = f"/v2/models/{name}" + (f"/versions/{version}" if version else "") + "/ready"
        self._wait(path)

    def _wait(self, path: str) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise MLServerError(f"mlserver exited with code {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.base_url + path, timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise MLServerError(f"{self.base_url}{path} not ready after {self.startup_timeout_s:g} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> MLServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
