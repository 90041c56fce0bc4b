"""`ingester replay` as a user runs it: pywb over the WARC files a real poll and fetch
wrote, serving each version's response exactly as it was received, at its own time."""

from __future__ import annotations

import http.client
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingester.fetch.records import stored_response
from ingester.query.replay import timestamp14
from ingester.types import CaptureRef
from tests.support.cli import Archive, cli_env
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences
from tests.support.serving import free_port

REPLAY_BIN = Path(sys.prefix) / "replay" / "bin"
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.replay,
    pytest.mark.skipif(
        not (REPLAY_BIN / "wayback").is_file(),
        reason=f"pywb's virtualenv is absent ({REPLAY_BIN}): `make install` sets it up",
    ),
]

FERRY = SamplePage("Ferry timetable changes in winter", sentences("the ferry"))
EDITED = FERRY.edited(title="Ferry timetable changes again")
AGAIN = FERRY.edited(title="Ferry timetable changes a third time")
STARTUP = 60.0  # seconds for `ingester replay` to answer: pywb alone takes 1-3 s
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Served:
    status: int
    headers: dict[str, str]
    body: bytes


def get(url: str) -> Served:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with _OPENER.open(request, timeout=30) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            return Served(response.status, headers, response.read())
    except urllib.error.HTTPError as e:
        return Served(e.code, {}, e.read())


def version_captures(archive: Archive, url: str) -> dict[int, CaptureRef]:
    """Each version's capture, as the archive points at it."""
    with closing(sqlite3.connect(archive.db)) as conn:
        rows = conn.execute(
            """SELECT v.number, c.record_id, c.url, c.captured_at, c.payload_digest, c.file,
                      c.offset, c.length
               FROM versions v JOIN articles a ON a.id = v.article_id
               JOIN captures c ON c.id = v.capture_id WHERE a.url = ? ORDER BY v.number""",
            (url,),
        ).fetchall()
    return {
        number: CaptureRef(record, url_, date, digest, str(archive.dir / file), offset, length)
        for number, record, url_, date, digest, file, offset, length in rows
    }


def after_second_of(captured_at: str, timeout: float = 3.0) -> None:
    """Until the clock has left the second of ``captured_at``, so that the next capture
    has a 14-digit timestamp of its own (pywb's finest)."""
    deadline = time.monotonic() + timeout
    while timestamp14(datetime.now(UTC).isoformat()) <= timestamp14(captured_at):
        assert time.monotonic() < deadline, "the clock did not move on"
        time.sleep(0.01)


@pytest.fixture
def archived(archive: Archive, server: LocalServer) -> Archive:
    """The ferry story polled, then edited and fetched again: two versions, two captures."""
    server.set_text("/ferry", FERRY.html(), "text/html")
    items = [FeedItem(FERRY.title, server.url("/ferry"))]
    server.set_text("/harbour.xml", rss("Harbour", server.url("/"), items), "application/rss+xml")
    archive.write_config(
        f'[settings]\nhost_gap = 0\n\n[[feeds]]\nurl = "{server.url("/harbour.xml")}"\n'
    )
    archive.cli("poll", "--all")
    after_second_of(version_captures(archive, server.url("/ferry"))[1].date)
    server.set_text("/ferry", EDITED.html(), "text/html")
    archive.cli("fetch", server.url("/ferry"))
    return archive


@dataclass
class Replay:
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    tmp: Path  # the TMPDIR it was given: its index and config go in there


@pytest.fixture
def replay(archived: Archive, tmp_path: Path) -> Iterator[Replay]:
    """`ingester replay --port P` in a subprocess, until the collection answers; stopped
    by its PID."""
    port = free_port()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    log = tmp_path / "replay.log"
    command = [sys.executable, "-m", "ingester", "--config", str(archived.config)]
    command += ["--db", str(archived.db), "replay", "--port", str(port)]
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=archived.dir,
            env={**cli_env(), "TMPDIR": str(tmp)},
        )
    try:
        base = f"http://127.0.0.1:{port}/archive/"
        deadline = time.monotonic() + STARTUP
        while True:
            assert process.poll() is None, f"replay exited: {log.read_text()}"
            try:
                if get(base).status == 200:
                    break
            except (urllib.error.URLError, OSError, http.client.HTTPException):
                pass  # not listening yet
            assert time.monotonic() < deadline, f"no answer in {STARTUP} s: {log.read_text()}"
            pause(process, 0.1)
        yield Replay(process, base, log, tmp)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def pause(process: subprocess.Popen[bytes], seconds: float) -> None:
    """The pause between two tries, which fails if the process exits in it."""
    try:
        code = process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return
    raise AssertionError(f"replay exited {code}")


def replayed(replay: Replay, capture: CaptureRef) -> Served:
    return get(f"{replay.base}{timestamp14(capture.date)}id_/{capture.url}")


def test_replay_serves_each_version_as_received_at_its_own_time(
    replay: Replay, archived: Archive, server: LocalServer
) -> None:
    url = server.url("/ferry")
    captures = version_captures(archived, url)
    assert sorted(captures) == [1, 2]
    assert timestamp14(captures[1].date) != timestamp14(captures[2].date)

    for capture in captures.values():
        expected = stored_response(capture)
        served = replayed(replay, capture)
        assert served.status == 200
        assert served.body == expected.payload  # the bytes as received, gzip and all
        assert served.headers.get("content-encoding") == expected.headers.get("content-encoding")
    bodies = {n: replayed(replay, c).body for n, c in captures.items()}
    assert bodies[1] != bodies[2]
    announced = f"pywb replay on {replay.base} (Ctrl-C stops it)"
    assert announced in replay.log.read_text(encoding="utf-8")


def test_a_capture_made_while_replay_runs_is_replayed_too(
    replay: Replay, archived: Archive, server: LocalServer
) -> None:
    url = server.url("/ferry")
    after_second_of(version_captures(archived, url)[2].date)
    server.set_text("/ferry", AGAIN.html(), "text/html")
    archived.cli("fetch", url)
    third = version_captures(archived, url)[3]

    # The folder is looked at again every few seconds: the new file is indexed then.
    deadline = time.monotonic() + 30
    while (served := replayed(replay, third)).body != stored_response(third).payload:
        assert time.monotonic() < deadline, f"version 3 not replayed: {served.status}"
        pause(replay.process, 0.2)


def test_sigterm_stops_pywb_and_removes_its_index(replay: Replay) -> None:
    replay.process.send_signal(signal.SIGTERM)
    assert replay.process.wait(timeout=30) == 0
    assert list(replay.tmp.iterdir()) == []
    with pytest.raises((urllib.error.URLError, OSError)):
        get(replay.base)


def test_ctrl_c_stops_it_in_a_terminal(
    archived: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()

    done = archived.tty("replay", "--port", str(port), until="(Ctrl-C stops it)")

    assert done.returncode == 0, done.output
    assert f"pywb replay on http://127.0.0.1:{port}/archive/ (Ctrl-C stops it)" in done.output
    assert list((tmp_path / "tmp").iterdir()) == []


def test_without_warc_files_it_says_so_in_one_line(archive: Archive) -> None:
    archive.write_config("[settings]\n")
    done = archive.cli("replay", "--port", str(free_port()), check=False)

    assert done.returncode == 1
    [line] = done.stderr.decode().strip().splitlines()
    assert "no WARC files yet" in line
