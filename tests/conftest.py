"""Shared fixtures: a local HTTP server, a temporary archive, and the real CLI."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from httpserver import LocalServer

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGESTER_")}
    # Nothing between the client and 127.0.0.1.
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
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


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path)
