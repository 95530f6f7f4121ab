"""The loop on separate services: every part a real process on loopback, the result the embedded run's.

PostgreSQL (the machine's server, a database of the test's own) holds the repository and the run store;
an ``mlflow server`` in its own environment (``scripts/setup_mlflow_venv.sh``) tracks the run and holds
the model registry; a ``dask scheduler`` with two ``dask worker`` processes generates; MLServer (its own
environment, ``scripts/setup_mlserver_venv.sh``) serves every candidate (``model.kind = "api"``). The
run's configuration is the "Scale out" example of docs/operations.md with the test's ports and folders.
Two cycles on these services must record exactly what the same run records on the embedded defaults
(SQLite, the workspace's MLflow store, a local process pool) with the model on MLServer as well: a served
model reports probabilities only, no ensemble members, so its uncertainty differs from a local model's by
design and a run with ``model.kind = "local"`` takes another path from cycle 1 on.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tomllib
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from envirosense.models.serving import MLServerProcess, free_port
from tests.faults.fault_harness import fingerprint, run_cli, run_env
from tests.learning.loop_helpers import write_small_config
from tests.models.mlserver_venv import mlserver_executable

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

POSTGRES_URL = os.environ.get("ENVIROSENSE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = "topology"
STARTUP_TIMEOUT_S = 180.0
DOC = REPO / "docs" / "operations.md"


def mlflow_executable() -> Path:
    """The ``mlflow`` of the separate venv, created by ``scripts/setup_mlflow_venv.sh`` if missing."""
    venv = os.environ.get("ENVIROSENSE_MLFLOW_VENV", str(REPO / ".cache" / "mlflow-venv"))
    completed = subprocess.run(
        ["bash", str(REPO / "scripts" / "setup_mlflow_venv.sh"), venv, sys.executable],
        check=True,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    return Path(completed.stdout.strip().splitlines()[-1])


@contextmanager
def service(command: list[str], log: Path, ready: str | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` as a process group of its own (logging to ``log``), waited for until ``ready`` (a URL)
    answers 200, and stopped (SIGTERM, then SIGKILL) at the end."""
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if ready is not None:
            wait_for(ready, process, log)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import time

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.args!r} exited: {log.read_text(errors='replace')[-3000:]}"
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not ready after {STARTUP_TIMEOUT_S:g} s; see {log}")


@contextmanager
def own_database() -> Iterator[str]:
    """A fresh PostgreSQL database on the test server, dropped at the end; its URL."""
    name = f"topology_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def dask_cli() -> list[str]:
    script = Path(sys.executable).with_name("dask")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dask"]


def documented_config() -> str:
    match = re.search(r"<!-- example: scale-out-config -->\n```toml\n(.*?)\n```", DOC.read_text("utf-8"), re.S)
    assert match, "no scale-out-config example in docs/operations.md"
    return match.group(1)


def on_model_server(config: str, base_url: str, repository: str) -> str:
    """The small test configuration ``config`` with its model on the server at ``base_url``."""
    return config.replace(
        "[model]\nn_estimators = 24\n",
        f'[model]\nn_estimators = 24\nkind = "api"\n\n[model.server]\n'
        f'base_url = "{base_url}"\nmodel_repository = "{repository}"\n',
    )


def services_config(directory: Path, addresses: dict[str, str]) -> Path:
    """The small test configuration, on the services of the documented "Scale out" example (whose
    addresses and folders ``addresses`` replaces: documented value → the test's)."""
    documented = documented_config()
    for old, new in addresses.items():
        assert old in documented, f"{old} is no longer in the documented example"
        documented = documented.replace(old, new)
    values = tomllib.loads(documented)
    small = write_small_config(directory, Path(values["workspace"])).read_text("utf-8")
    server = values["model"]["server"]
    small = small.replace(
        f'workspace = "{values["workspace"]}"\n',
        f'workspace = "{values["workspace"]}"\n'
        f'database_url = "{values["database_url"]}"\n'
        f'mlflow_tracking_uri = "{values["mlflow_tracking_uri"]}"\n',
    )
    small = small.replace(
        "[generation]\nworkers = 1\n", f'[generation]\ndask_scheduler = "{values["generation"]["dask_scheduler"]}"\n'
    )
    assert values["model"]["kind"] == "api"
    small = on_model_server(small, server["base_url"], server["model_repository"])
    path = directory / "scale-out.toml"
    path.write_text(small, encoding="utf-8")
    return path


def test_two_cycles_on_separate_services_record_what_the_embedded_run_records(tmp_path: Path) -> None:
    mlflow = mlflow_executable()
    mlserver = mlserver_executable()
    # The reference: the embedded defaults (SQLite, the workspace's MLflow store, a local pool), with the
    # model on MLServer too. A served model gives probabilities only, so its uncertainty (and with it the
    # weak spots) differs from a local model's by design (docs/models.md); every other part must not matter.
    embedded_dir = tmp_path / "embedded"
    (embedded_dir / "models").mkdir(parents=True)
    embedded = write_small_config(embedded_dir, embedded_dir / "ws")
    with MLServerProcess(mlserver, embedded_dir / "models") as reference_server:
        embedded.write_text(
            on_model_server(embedded.read_text("utf-8"), reference_server.base_url, str(embedded_dir / "models"))
        )
        finished = run_cli(embedded, "--run-id", RUN_ID, "--cycles", "2")
    assert finished.returncode == 0, finished.stderr[-3000:]
    expected = fingerprint(embedded, RUN_ID)

    services = tmp_path / "services"
    (services / "mlflow").mkdir(parents=True)
    (services / "models").mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    with ExitStack() as stack:
        database_url = stack.enter_context(own_database())
        mlflow_port, scheduler_port = free_port(), free_port()
        stack.enter_context(
            service(
                [
                    str(mlflow),
                    "server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(mlflow_port),
                    "--workers",
                    "1",
                    "--backend-store-uri",
                    f"sqlite:///{services / 'mlflow' / 'mlflow.db'}",
                    "--artifacts-destination",
                    str(services / "mlflow" / "artifacts"),
                ],
                logs / "mlflow.log",
                ready=f"http://127.0.0.1:{mlflow_port}/health",
            )
        )
        scheduler = f"tcp://127.0.0.1:{scheduler_port}"
        stack.enter_context(
            service(
                [*dask_cli(), "scheduler", "--host", "127.0.0.1", "--port", str(scheduler_port), "--no-dashboard"],
                logs / "dask-scheduler.log",
            )
        )
        for index in range(2):
            stack.enter_context(
                service(
                    [*dask_cli(), "worker", scheduler, "--nthreads", "1", "--no-dashboard", "--name", f"w{index}"],
                    logs / f"dask-worker-{index}.log",
                )
            )
        from distributed import Client

        with Client(scheduler, timeout=STARTUP_TIMEOUT_S, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(2, timeout=STARTUP_TIMEOUT_S)
        server = stack.enter_context(MLServerProcess(mlserver, services / "models"))
        config = services_config(
            services,
            {
                "postgresql://postgres@127.0.0.1:5432/envirosense": database_url,
                "http://127.0.0.1:5000": f"http://127.0.0.1:{mlflow_port}",
                "tcp://127.0.0.1:8786": scheduler,
                "http://127.0.0.1:8080": server.base_url,
                "/srv/mlserver/models": str(services / "models"),
                "/srv/envirosense": str(services / "ws"),
            },
        )
        finished = subprocess.run(
            [sys.executable, "-m", "envirosense", "db", "upgrade", "--database-url", database_url],
            env=run_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert finished.returncode == 0, finished.stderr[-3000:]
        finished = run_cli(config, "--run-id", RUN_ID, "--cycles", "2")
        assert finished.returncode == 0, finished.stderr[-3000:]
        actual = fingerprint(config, RUN_ID)
        # Each service really served the run.
        assert not (services / "ws" / "mlflow.db").exists()
        assert any((services / "mlflow" / "artifacts").rglob("*.skops"))
        assert any(path.is_dir() for path in (services / "models").iterdir())
        with Client(scheduler, timeout=STARTUP_TIMEOUT_S, set_as_default=False) as client:  # type: ignore[no-untyped-call]
            prefixes = client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
        assert "run_unit" in prefixes
    assert len(expected["cycles"]) == 3  # the initial model and two cycles
    assert actual == expected
