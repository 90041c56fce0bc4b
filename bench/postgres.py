"""A throwaway PostgreSQL server: Debian's binaries, ``initdb`` into a folder of ours,
``pg_ctl`` on a free port, stopped by its postmaster's PID. The tests' fixture
(tests/support/postgres.py) and the cluster benchmark (bench/cluster.py) both start it.

PostgreSQL refuses to run as root: as root, the cluster is made and run as the
``postgres`` user Debian's package creates.
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
import time
from collections.abc import Sequence
from itertools import count
from pathlib import Path

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

    def __init__(
        self,
        bin_dir: Path,
        root: Path,
        listen: Sequence[str] = ("127.0.0.1",),
        trust: Sequence[str] = (),
        prefix: Sequence[str] = (),
    ) -> None:
        """``listen``: the addresses it takes connections on; ``trust``: networks beyond
        127.0.0.1 whose clients may connect without a password (a cluster's nodes);
        ``prefix`` runs it (``ip netns exec NAME``: in another network namespace, where
        this process still reaches it by its Unix socket, ``socket_url``)."""
        self.prefix = list(prefix)
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.listen = listen
        self.trust = trust
        self.user = _run_as()
        self.pid: int | None = None

    def start(self) -> None:
        if self.user is not None:
            shutil.chown(self.root, self.user.pw_name)
        self._run(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.writelines(f"host all all {network} trust\n" for network in self.trust)
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses={','.join(self.listen)}"
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

    def url(self, database: str = "postgres", address: str = "127.0.0.1") -> str:
        return f"postgresql://postgres@{address}:{self.port}/{database}"

    def socket_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.root}&port={self.port}"

    def database(self) -> str:
        """A new, empty database's URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(_databases)}"
        with psycopg.connect(self.socket_url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user.pw_name, "--", *command]
        command = [*self.prefix, *command]
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
