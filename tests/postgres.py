"""A real PostgreSQL server for the tests: initdb + pg_ctl in a temporary folder, a free port.

Skipped only where PostgreSQL's binaries are absent and we are not in CI (`CI` set): in CI a
missing server is a failure, since `.ci/run` installs it. As root (CI's user), the server
runs as the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

SUPERUSER = "csn"


@dataclass(frozen=True)
class PostgresServer:
    """A running server; `database()` makes a fresh, empty database on it."""

    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """Create an empty database and return its URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or in Debian's versioned folder."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(debian[-1]).parent if debian else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> dict[str, str]:
    return {"user": "postgres"} if os.geteuid() == 0 else {}


def _run(command: list[Path | str], user: dict[str, str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, **user)  # type: ignore[call-overload]
    if done.returncode:
        raise RuntimeError(f"{Path(command[0]).name} failed: {done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session, removed at the end."""
    bindir = postgres_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (apt-get install postgresql)")
        pytest.skip("PostgreSQL binaries are not installed")
    # Not under pytest's temporary folder: the server's user must be able to reach it.
    root = Path(tempfile.mkdtemp(prefix="csn-postgres-"))
    data = root / "data"
    user = _as_server_user()
    if user:
        shutil.chown(root, "postgres")
        os.chmod(root, 0o700)
    _run([bindir / "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust", "--no-sync"], user)
    port = free_port()
    options = f"-p {port} -h 127.0.0.1 -k {root} -c fsync=off -c max_connections=200"
    _run([bindir / "pg_ctl", "-D", data, "-o", options, "-l", root / "log", "-w", "start"], user)
    try:
        yield PostgresServer(port)
    finally:
        subprocess.run(
            [bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"],
            capture_output=True, **user,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A real, empty database of each kind: a SQLite file, and a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.database()
