"""A real PostgreSQL server for the tests: Debian's binaries, ``initdb`` into a temporary
folder, ``pg_ctl`` on a free port of 127.0.0.1, stopped by its postmaster's PID.

One server per test process (pytest-xdist worker); each test gets a database of its own,
so tests never see each other's rows. PostgreSQL refuses to run as root: as root, the
cluster is made and run as the ``postgres`` user Debian's package creates.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import pytest

STARTUP_SECONDS = 30
_databases = count(1)


def postgres_bin() -> Path | None:
    """The newest installed server's bin folder (``/usr/lib/postgresql/N/bin``)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A throwaway cluster; ``url(name)`` is a database in it (``database()`` makes one)."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.user = _run_as()
        self.pid: int | None = None

    def start(self) -> None:
        if self.user is not None:
            shutil.chown(self.root, self.user.pw_name)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            # A test cluster: durability is not under test here, speed is welcome.
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
            "-w", "-t", str(STARTUP_SECONDS), "start",
        )  # fmt: skip
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        """SIGINT is PostgreSQL's fast shutdown; then SIGKILL if it has not gone."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)
            deadline = time.monotonic() + STARTUP_SECONDS
            while time.monotonic() < deadline and _alive(self.pid):
                time.sleep(0.05)
            if _alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)
        self.pid = None

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new, empty database's URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(_databases)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user.pw_name, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=STARTUP_SECONDS + 30)


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie of ours is gone for our purposes (pg_ctl started it, not this process).
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return False
    return True


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
    with tempfile.TemporaryDirectory(prefix="ingester-pg-") as root:
        server = PostgresServer(bin_dir, Path(root))
        try:
            server.start()
            yield server
        finally:
            server.stop()


def read_rows(target: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Rows read through a second connection, as another process would read them; the
    store's SQL (SQLite's placeholders) on either engine."""
    from ingester.locations import engine_of
    from ingester.store.engines import pg_sql

    if engine_of(target) == "postgresql":
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(pg_sql(sql, True), params).fetchall()]
    import sqlite3

    with contextlib.closing(sqlite3.connect(target)) as conn:
        return conn.execute(sql, params).fetchall()


def read_dicts(target: str, sql: str, *params: object) -> list[dict[str, object]]:
    """The same, each row as a dict by column name."""
    from ingester.locations import engine_of
    from ingester.store.engines import pg_sql

    if engine_of(target) == "postgresql":
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(target, autocommit=True, row_factory=dict_row) as conn:
            return conn.execute(pg_sql(sql, True), params).fetchall()
    import sqlite3

    with contextlib.closing(sqlite3.connect(target)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
