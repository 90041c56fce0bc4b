"""reader beside us: a well-known feed library polling the same site, in the same run.

reader (PyPI, pinned below) is installed into a virtualenv of its own inside the bench's
work folder, so it is never a dependency of the project and its packages cannot mix with
ours. bench/reader_poll.py runs in that virtualenv as a subprocess: it makes a reader
database in the work folder, adds every feed, then polls them all with
``update_feeds(scheduled=False, workers=20)`` each time the harness asks, so reader polls
the site in the state the daemon has just polled it in. reader keeps its own network
behaviour: Requests, ETag and Last-Modified sent back as conditional requests.

The process is stopped by its PID, and every wait on it is bounded.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench import procs
from bench.daemon import clean_env

# The last release that runs on Python 3.11 (3.27 needs 3.12), and the one issue 18's own
# measurement used.
READER = "reader==3.26"
# reader's vendored feedparser imports sgmllib, which on Python 3 comes from sgmllib3k;
# reader 3.26's own requirements leave it out.
READER_NEEDS = ("sgmllib3k==1.0.0",)
WORKERS = 20  # threads getting feeds (update_feeds' workers)
USER_AGENT = "python-reader/"  # how reader's requests begin their User-Agent, in nginx's log
SCRIPT = Path(__file__).with_name("reader_poll.py")


class PeerError(Exception):
    """reader could not be installed, started or asked for a poll within its bound."""


@dataclass(frozen=True, slots=True)
class ReaderPoll:
    """One poll of every feed by reader, as it counted them; ``served``: what nginx
    answered reader's requests during it, by status."""

    name: str
    seconds: float
    updated: int
    not_modified: int
    errors: int
    new_entries: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    first_error: str | None = None
    served: dict[str, int] = field(default_factory=dict)

    @property
    def feeds(self) -> int:
        return self.updated + self.not_modified + self.errors

    @property
    def per_second(self) -> float:
        return self.feeds / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        served = ", ".join(f"{status} x{n:,}" for status, n in sorted(self.served.items()))
        return (
            f"{self.feeds:,} feeds in {self.seconds:.1f} s: {self.updated:,} updated, "
            f"{self.not_modified:,} not modified, {self.errors:,} errors"
            + (f" ({self.first_error})" if self.first_error else "")
            + f"; nginx answered reader {served or 'nothing logged'}"
        )


def from_message(message: dict[str, Any], served: dict[str, int]) -> ReaderPoll:
    return ReaderPoll(
        name=str(message["name"]),
        seconds=float(message["seconds"]),
        updated=int(message["updated"]),
        not_modified=int(message["not_modified"]),
        errors=int(message["errors"]),
        new_entries=int(message.get("new_entries", 0)),
        error_kinds={str(k): int(v) for k, v in message.get("error_kinds", {}).items()},
        first_error=message.get("first_error"),
        served=served,
    )


def _peer_env() -> dict[str, str]:
    """Our environment without our own Python's settings: reader's venv is its own."""
    env = clean_env()
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"):
        env.pop(name, None)
    return env


def _tail(path: Path, lines: int = 5) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    # pip warns about the machine's local index folders on every run: not the failure.
    kept = [line for line in text.splitlines() if line.strip() and "is ignored" not in line]
    return " | ".join(kept[-lines:]) or "(nothing logged)"


def count_statuses(log: Path, offset: int) -> tuple[dict[str, int], int]:
    """Statuses logged by nginx (one per line) from byte ``offset`` on; the new offset."""
    if not log.exists():
        return {}, offset
    with log.open("rb") as file:
        file.seek(offset)
        data = file.read()
    complete = data[: data.rfind(b"\n") + 1]  # a line being written is counted next time
    counts = Counter(line.strip().decode() for line in complete.splitlines() if line.strip())
    return dict(counts), offset + len(complete)


class ReaderPeer:
    """reader's virtualenv, its database and its polling process, all in ``workdir``."""

    def __init__(self, workdir: Path, python: str | None, served_log: Path | None) -> None:
        self.workdir = workdir
        self.venv = workdir / "reader-venv"
        self.db = workdir / "reader.db"
        self.log = workdir / "reader.log"
        self.install_log = workdir / "reader-install.log"
        self.served_log = served_log  # nginx's log of reader's requests, if it keeps one
        # Ours unless told otherwise, so that both sides run on the same Python.
        self.python = python or sys.executable
        self.version = "?"
        self.proc: subprocess.Popen[bytes] | None = None
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._offset = 0

    @property
    def pid(self) -> int:
        assert self.proc is not None, "reader not started"
        return self.proc.pid

    def install(self, timeout: float = 600.0) -> None:
        env = _peer_env()
        with self.install_log.open("wb") as log:
            for what, command in (
                ("venv", [self.python, "-m", "venv", str(self.venv)]),
                ("pip", [str(self.venv / "bin" / "python"), "-m", "pip", "install",
                         "--quiet", "--disable-pip-version-check", READER, *READER_NEEDS]),
            ):  # fmt: skip
                try:
                    done = subprocess.run(
                        command, stdout=log, stderr=log, env=env, timeout=timeout, check=False
                    )
                except subprocess.TimeoutExpired as e:
                    raise PeerError(f"reader {what}: not done within {timeout:.0f} s") from e
                if done.returncode != 0:
                    raise PeerError(
                        f"reader {what} exited {done.returncode}: {_tail(self.install_log)}"
                    )

    def start(self, urls: list[str], timeout: float = 300.0) -> None:
        """Start the process and wait until every feed is added to reader's database."""
        urls_file = self.workdir / "reader-urls.json"
        urls_file.write_text(json.dumps(urls), encoding="utf-8")
        command = [str(self.venv / "bin" / "python"), "-I", str(SCRIPT), "--db", str(self.db),
                   "--urls", str(urls_file), "--workers", str(WORKERS)]  # fmt: skip
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=_peer_env(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        assert self.proc.stdout is not None
        threading.Thread(
            target=self._read, args=(self.proc.stdout,), name="reader-stdout", daemon=True
        ).start()
        ready = self._answer("ready", timeout)
        self.version = str(ready.get("version", "?"))
        if ready.get("feeds") != len(urls):
            raise PeerError(f"reader added {ready.get('feeds')} feeds, not {len(urls)}")
        if self.served_log is not None and self.served_log.exists():
            self._offset = self.served_log.stat().st_size

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)  # the process closed its stdout: it is gone

    def _answer(self, event: str, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.0))
            except queue.Empty:
                raise PeerError(f"reader: no {event} within {timeout:.0f} s") from None
            if line is None:
                code = self.proc.wait(timeout=10) if self.proc else None
                raise PeerError(f"reader exited ({code}) before {event}: {_tail(self.log)}")
            message: dict[str, Any] = json.loads(line)
            if message.get("event") == event:
                return message
            raise PeerError(f"reader answered {message}, not {event}")

    def poll(self, name: str, timeout: float) -> ReaderPoll:
        """Every feed once (reader's ``update_feeds(scheduled=False)``), with nginx's
        statuses for reader's requests meanwhile."""
        proc = self.proc
        if proc is None or proc.stdin is None or proc.poll() is not None:
            raise PeerError(f"reader {name}: the process is not running")
        try:
            proc.stdin.write(f"poll {name}\n".encode())
            proc.stdin.flush()
        except BrokenPipeError as e:
            raise PeerError(f"reader {name}: the process is gone: {_tail(self.log)}") from e
        message = self._answer("poll", timeout)
        served = self._served(expected=int(message["updated"]) + int(message["not_modified"]))
        return from_message(message, served)

    def _served(self, expected: int, wait: float = 3.0) -> dict[str, int]:
        """nginx writes a request's log line as it finishes it, a moment after reader has
        the answer: wait until the lines count up to the polls, a few seconds at most."""
        if self.served_log is None:
            return {}
        counts: Counter[str] = Counter()
        deadline = time.monotonic() + wait
        while True:
            more, self._offset = count_statuses(self.served_log, self._offset)
            counts.update(more)
            if sum(counts.values()) >= expected or time.monotonic() > deadline:
                return dict(counts)
            time.sleep(0.1)

    def peak_kib(self) -> int | None:
        """reader's peak resident KiB (VmHWM), while it still runs."""
        return None if self.proc is None else procs.status_kib(self.proc.pid, "VmHWM")

    def stop(self) -> None:
        """``quit`` first, so reader closes its database; then by PID, as everything else."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.write(b"quit\n")
            proc.stdin.close()
            proc.wait(timeout=10)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            procs.stop(proc, grace=5.0)
