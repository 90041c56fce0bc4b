"""The Dockerfile's install and start steps, run outside Docker so they cannot rot.

There is no Docker engine on the machines that run the tests. This test reads the
Dockerfile, replays its COPY and `pip install` steps into a fresh virtualenv in a
temporary directory, then runs its CMD (the daemon) against a local server and its
HEALTHCHECK against the daemon's heartbeat. Steps that need root inside an image
(creating the user and /data) are the only ones not replayed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import time
import venv
from pathlib import Path

import pytest

from tests.support.cli import PROJECT, cli_env
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

DOCKERFILE = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
ROOT_ONLY = ("useradd", "chown", "mkdir /data")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), with line continuations joined and comments dropped."""
    joined = DOCKERFILE.replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def exec_form(text: str) -> list[str]:
    words = json.loads(text)
    assert isinstance(words, list)
    return [str(w) for w in words]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_dockerfile_installs_and_starts_the_daemon(tmp_path: Path) -> None:
    app, data = tmp_path / "app", tmp_path / "data"
    app.mkdir()
    data.mkdir()
    env_python = tmp_path / "python"
    venv.EnvBuilder(with_pip=True).create(env_python)
    bin_dir = env_python / "bin"
    env = {**cli_env(), "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    cmd: list[str] = []
    healthcheck: list[str] = []
    for keyword, rest in instructions():
        if keyword == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = value.replace("/data/", f"{data}/").replace("/app/", f"{app}/")
        elif keyword == "COPY":
            *sources, target = shlex.split(rest)
            for source in sources:
                if (PROJECT / source).is_dir():
                    shutil.copytree(PROJECT / source, app / target)
                elif target.endswith("/") or target == ".":
                    (app / target).mkdir(parents=True, exist_ok=True)
                    shutil.copy2(PROJECT / source, app / target / Path(source).name)
                else:
                    (app / target).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(PROJECT / source, app / target)
        elif keyword == "RUN" and rest.startswith("python -m venv /usr/local/"):
            # The replay virtualenv, beside the interpreter's prefix, as in the image.
            subprocess.run(
                rest.replace("/usr/local/", f"{env_python}/"),
                shell=True,
                cwd=app,
                env=env,
                check=True,
                capture_output=True,
                timeout=600,
            )
        elif keyword == "RUN" and not any(word in rest for word in ROOT_ONLY):
            assert rest.startswith("pip "), f"a RUN step this test cannot replay: {rest}"
            subprocess.run(
                [str(bin_dir / "python"), "-m", *shlex.split(rest)],
                cwd=app,
                env=env,
                check=True,
                capture_output=True,
                timeout=600,
            )
        elif keyword == "CMD":
            cmd = exec_form(rest)
        elif keyword == "HEALTHCHECK":
            healthcheck = exec_form(rest.split(" CMD ", 1)[1])
    assert cmd == ["ingester", "run"] and healthcheck
    # Where `ingester replay` looks for pywb: a virtualenv named replay in sys.prefix.
    assert (env_python / "replay" / "bin" / "wayback").exists()

    page = SamplePage("Container starts and archives", sentences("the container"))
    with LocalServer() as server:
        server.set_text("/a", page.html(), "text/html")
        feed = rss("Docker", server.url("/"), [FeedItem(page.title, server.url("/a"))])
        server.set_text("/feed.xml", feed, "application/rss+xml")
        # The image's config names real feeds; mount a local one over it, as users would.
        (app / "config" / "feeds.toml").write_text(
            f'[settings]\ntick = "1s"\nprivate_pages = true\n\n'
            f'[[feeds]]\nurl = "{server.url("/feed.xml")}"\n',
            encoding="utf-8",
        )
        unhealthy = subprocess.run(
            [str(bin_dir / healthcheck[0]), *healthcheck[1:]],
            env=env,
            capture_output=True,
            timeout=60,
        )
        daemon = subprocess.Popen(
            [str(bin_dir / cmd[0]), *cmd[1:]],
            cwd=tmp_path,  # not the project: the installed package must stand alone
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert daemon.stderr is not None
            deadline = time.monotonic() + 120
            line = ""
            while time.monotonic() < deadline and "poll feed=" not in line:
                line = daemon.stderr.readline()
                if not line and daemon.poll() is not None:
                    break
            assert "status=ok" in line and "new_versions=1" in line, line
            healthy = subprocess.run(
                [str(bin_dir / healthcheck[0]), *healthcheck[1:]],
                env=env,
                capture_output=True,
                timeout=60,
            )
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=30) == 0
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.wait()
            if daemon.stderr is not None:
                daemon.stderr.close()
    assert unhealthy.returncode == 1
    assert healthy.returncode == 0, healthy.stderr
    assert (data / "archive.db").exists()
