"""The real CLI and daemon, driven in subprocesses as a user would run them."""

from __future__ import annotations

import os
import pty
import queue
import re
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.cluster import node_env

PROJECT = Path(__file__).resolve().parents[2]
DATA = PROJECT / "tests" / "data"


def cli_env() -> dict[str, str]:
    env = node_env()  # no INGESTER_ settings of this shell, no proxy
    # Nothing between the client and 127.0.0.1.
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


@dataclass
class Archive:
    """A config file and an archive file in a temporary directory, driven by the real CLI."""

    dir: Path

    @property
    def config(self) -> Path:
        return self.dir / "feeds.toml"

    @property
    def db(self) -> Path:
        return self.dir / "archive.db"

    def write_config(self, text: str) -> None:
        """Write the config, letting article pages be fetched from the local test server
        (the SSRF guard refuses private addresses for pages by default)."""
        if "private_pages" not in text:
            local = "private_pages = true\n"
            table = re.compile(r"^\[settings\]\n", re.M)
            text = (
                table.sub(f"[settings]\n{local}", text, count=1)
                if table.search(text)
                else f"[settings]\n{local}\n{text}"
            )
        self.config.write_text(text, encoding="utf-8")

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Run ``ingester --config ... --db ... ARGS`` in a subprocess, as a user would."""
        command = [sys.executable, "-m", "ingester", "--config", str(self.config)]
        command += ["--db", str(self.db), *args]
        done = subprocess.run(
            command, capture_output=True, cwd=self.dir, env=cli_env(), timeout=120
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {done.returncode}\n"
                f"stdout: {done.stdout.decode(errors='replace')}\n"
                f"stderr: {done.stderr.decode(errors='replace')}"
            )
        return done

    def out(self, *args: str) -> str:
        return self.cli(*args).stdout.decode("utf-8")

    def tty(self, *args: str, until: str | None = None, timeout: float = 60) -> Terminal:
        """Run ``ingester ... ARGS`` with a terminal (a pty) as its stdin, stdout and stderr,
        as a user at a prompt would. A command that runs until stopped is sent Ctrl-C
        (SIGINT) once its output shows ``until``."""
        command = [sys.executable, "-m", "ingester", "--config", str(self.config)]
        command += ["--db", str(self.db), *args]
        return run_in_terminal(command, self.dir, until, timeout)


@dataclass
class Terminal:
    """What a command wrote to its terminal, and how it exited."""

    output: str
    returncode: int


def run_in_terminal(
    command: list[str], cwd: Path, until: str | None = None, timeout: float = 60
) -> Terminal:
    main, child = pty.openpty()
    process = subprocess.Popen(
        command, stdin=child, stdout=child, stderr=child, cwd=cwd, env=cli_env()
    )
    os.close(child)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([main], [], [], left)
            if not ready:
                break
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child side is closed, the command is done
                break
            if not chunk:
                break
            seen += chunk
            if until is not None and until.encode() in seen:
                process.send_signal(signal.SIGINT)
                until = None
        returncode = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    return Terminal(seen.decode("utf-8", errors="replace").replace("\r\n", "\n"), returncode)


class Daemon:
    """``ingester run`` in a subprocess, its stderr read line by line on a thread.

    Verbose, so that polls which find nothing new are logged too: tests wait for them.
    """

    def __init__(self, archive: Archive) -> None:
        command = [sys.executable, "-m", "ingester", "--verbose", "--config", str(archive.config)]
        command += ["--db", str(archive.db), "run"]
        self.process = subprocess.Popen(
            command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=cli_env(), text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        """The first new log line containing ``text``; fails after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no log line with {text!r} in {timeout}s; saw:\n{''.join(self.seen)}")

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return code

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()
