"""A real run on PostgreSQL whose server is stopped and restarted twice mid-run completes by itself (the
pool reconnects, bounded retries ride out the outage) and ends exactly like the uninterrupted run on
SQLite; the database password it was given never shows in its logs or its workspace."""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envirosense.repository import DATABASE_URL_ENV
from tests.faults.fault_harness import RUN_ID, RUN_TIMEOUT_S, fingerprint, run_command, run_env
from tests.faults.private_postgres import PrivatePostgres, postgres_bin
from tests.learning.loop_helpers import write_small_config

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RESTART_AT = [("0", "trained"), ("1", "suggested")]
"""Restart the server when the run logs these (cycle, step) events: during training and targeting."""
DOWN_S = 2.0


@pytest.fixture(scope="module")
def server() -> Iterator[PrivatePostgres]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = PrivatePostgres(bin_dir)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def restarted_run(server: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    password = f"pw-{uuid.uuid4().hex}"
    url = server.create_database("envirosense_run", "envirosense_app", password)
    directory = tmp_path_factory.mktemp("postgres-run")
    config = write_small_config(directory, directory / "ws")
    log_args = ("--log-level", "DEBUG", "--log-format", "json")
    command = run_command(config, "--run-id", RUN_ID, "--cycles", "1", log_args=log_args)
    process = subprocess.Popen(
        command, env=run_env(**{DATABASE_URL_ENV: url}), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stderr is not None
    stdout: list[str] = []
    threading.Thread(target=lambda: stdout.extend(process.stdout), daemon=True).start()  # type: ignore[arg-type]
    stderr: list[str] = []
    restarts: list[threading.Thread] = []
    pending = list(RESTART_AT)
    started = time.monotonic()
    try:
        for line in process.stderr:
            stderr.append(line)
            event = _event(line)
            at = (str(event.get("cycle")), event.get("step"))
            if pending and event.get("event") == "cycle_step" and at == pending[0]:
                pending.pop(0)
                restarts.append(threading.Thread(target=server.restart, args=(DOWN_S,)))
                restarts[-1].start()
            assert time.monotonic() - started < RUN_TIMEOUT_S, "the run did not finish in time"
        process.wait(timeout=60)
    finally:
        for restart in restarts:
            restart.join(timeout=120)
        if process.poll() is None:
            process.kill()
            process.wait()
        if not server.is_running():
            server.start()
    return {
        "config": config,
        "url": url,
        "password": password,
        "returncode": process.returncode,
        "stderr": stderr,
        "stdout": stdout,
        "restarts": restarts,
        "workspace": directory / "ws",
    }


def _event(line: str) -> dict[str, Any]:
    try:
        parsed = json.loads(line)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def test_the_run_completes_across_server_restarts_and_matches_the_uninterrupted_run(
    restarted_run: dict[str, Any], reference: dict[str, Any]
) -> None:
    assert restarted_run["returncode"] == 0, "".join(restarted_run["stderr"])[-3000:]
    assert len(restarted_run["restarts"]) == len(RESTART_AT), "the run ended before every restart"
    events = [_event(line) for line in restarted_run["stderr"]]
    retries = [e for e in events if e.get("event") in ("state_store_retry", "database retry")]
    assert retries, "no database call noticed the restarts: the test did not test anything"
    after = fingerprint(restarted_run["config"], RUN_ID, database_url=restarted_run["url"])
    assert after["status"] == "completed" and after["duplicates"] == []
    assert after == reference


def test_logs_carry_the_run_context_and_never_the_password(restarted_run: dict[str, Any]) -> None:
    password: str = restarted_run["password"]
    logs = "".join(restarted_run["stderr"]) + "".join(restarted_run["stdout"])
    assert logs.count("\n") > 50
    assert password not in logs
    events = [_event(line) for line in restarted_run["stderr"]]
    steps = [e for e in events if e.get("event") == "cycle_step"]
    assert steps and all(e["run_id"] == RUN_ID and "cycle" in e for e in steps)
    targeted = [e for e in events if e.get("event") == "scenarios_targeted"]
    assert targeted and any(e["weak_spot_id"] for e in targeted)
    assert all({"run_id", "cycle", "suggestion_id", "model_version", "scenario_ids"} <= e.keys() for e in targeted)
    repository_events = [e for e in events if e.get("logger_name") == "envirosense.repository.sql"]
    assert repository_events and all(e.get("run_id") == RUN_ID for e in repository_events)
    assert any("***" in str(e.get("url")) for e in repository_events)
    leaked = [
        path
        for path in Path(restarted_run["workspace"]).rglob("*")
        if path.is_file() and password.encode() in path.read_bytes()
    ]
    assert leaked == []
