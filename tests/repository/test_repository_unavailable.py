"""A database that is down or stays locked: a typed error after bounded retries, never a hang."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from envirosense.repository import (
    PostgresScenarioRepository,
    RepositoryUnavailableError,
    SQLiteScenarioRepository,
    make_engine,
    upgrade_database,
)
from tests.repository.repo_helpers import POSTGRES_URL, baseline_definition


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connections to it are refused, and nobody else can take it."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])


@pytest.mark.postgres
def test_closed_port_fails_fast_with_a_typed_error(closed_port: int) -> None:
    url = make_url(POSTGRES_URL).set(host="127.0.0.1", port=closed_port)
    started = time.monotonic()
    with pytest.raises(RepositoryUnavailableError) as raised:
        PostgresScenarioRepository(url.render_as_string(hide_password=False), max_attempts=3, retry_wait_s=0.05)
    assert raised.value.attempts == 3
    assert time.monotonic() - started < 10


class _Proxy:
    """A TCP proxy to the real server that the test can cut, like a server going down."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def cut(self) -> None:
        self.open = False
        with suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for sock in self.sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def proxy() -> Iterator[_Proxy]:
    target = make_url(POSTGRES_URL)
    running = _Proxy(target.host or "127.0.0.1", target.port or 5432)
    yield running
    running.cut()


@pytest.mark.postgres
def test_server_going_away_mid_session_gives_a_typed_error(postgres_schema: str, proxy: _Proxy) -> None:
    url = make_url(POSTGRES_URL).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade_database(engine, postgres_schema)
    repository = PostgresScenarioRepository(engine, schema=postgres_schema, max_attempts=3, retry_wait_s=0.05)
    repository.save_scenario_definition(baseline_definition("before-outage"))
    assert repository.get_definition("before-outage").version == 1
    proxy.cut()
    started = time.monotonic()
    with pytest.raises(RepositoryUnavailableError):
        repository.get_scenario_by_id("before-outage")
    with pytest.raises(RepositoryUnavailableError):
        repository.save_scenario_definition(baseline_definition("during-outage"))
    assert time.monotonic() - started < 20
    engine.dispose()


def test_sqlite_locked_by_another_writer_gives_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "envirosense.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine, None)
    engine.dispose()
    repository = SQLiteScenarioRepository(path, max_attempts=2, retry_wait_s=0.05, sqlite_busy_timeout_s=0.2)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(RepositoryUnavailableError) as raised:
            repository.save_scenario_definition(baseline_definition("blocked"))
        assert raised.value.attempts == 2
        assert time.monotonic() - started < 10
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    repository.save_scenario_definition(baseline_definition("after-lock"))
    assert repository.find_definition("blocked") is None
    repository.close()
