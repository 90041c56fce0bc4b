"""``ingester serve`` in a subprocess on a free port, for tests that read the archive
through its web pages; stopped by its PID."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.cli import Archive, cli_env

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(archive: Archive, timeout: float = 30) -> Iterator[str]:
    """The reading room on ``archive``: yields its base URL once ``/`` answers 200."""
    port = free_port()
    log = archive.dir / "serve.log"
    command = [sys.executable, "-m", "ingester", "--config", str(archive.config)]
    command += ["--db", str(archive.db), "serve", "--port", str(port)]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, env=cli_env(), cwd=archive.dir
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base + "/", process, timeout, log.read_text)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def get_json(url: str) -> Any:
    with _OPENER.open(url, timeout=10) as response:
        assert response.status == 200, url
        return json.loads(response.read())


def _wait(url: str, process: subprocess.Popen[bytes], timeout: float, log: object) -> None:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout * 10)):  # bounded in count and in time
        if process.poll() is not None:
            raise AssertionError(
                f"serve exited {process.returncode}: {log() if callable(log) else ''}"
            )
        try:
            with _OPENER.open(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass  # not listening yet
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)  # only to wait for the server to come up
    raise AssertionError(f"no answer from {url} in {timeout} s")
