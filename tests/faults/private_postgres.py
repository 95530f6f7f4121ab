"""A throwaway PostgreSQL cluster of the test's own: ``initdb`` on a random port, so a test can stop and
restart the server without disturbing the machine's shared one.

``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user. Local (socket)
connections are trusted for the superuser; TCP connections need a password (SCRAM), as in production.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql


def postgres_bin() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl`` (newest installed version), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return versions[-1].parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 and a free port.

    Parameters
    ----------
    bin_dir:
        Folder of the PostgreSQL server binaries (see ``postgres_bin``).
    """

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="envirosense-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256")
        self.start()

    def _pg(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self.bin_dir / tool), *args], check=True, capture_output=True, text=True, timeout=120
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self, down_s: float) -> None:
        """Stop the server (fast shutdown: sessions are cut), keep it down ``down_s`` seconds, start it."""
        self.stop()
        time.sleep(down_s)
        self.start()

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str, owner: str, password: str) -> str:
        """A login role with ``password`` owning a new database ``name``; returns its TCP URL."""
        with psycopg.connect(host=str(self.root), port=self.port, user="postgres", autocommit=True) as connection:
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(owner), sql.Literal(password))
            )
            create = sql.SQL("CREATE DATABASE {} OWNER {}")
            connection.execute(create.format(sql.Identifier(name), sql.Identifier(owner)))
        return f"postgresql://{owner}:{password}@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        if self.is_running():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
