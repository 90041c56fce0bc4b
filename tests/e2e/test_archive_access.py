"""`--db` naming something that is no usable archive is one line and exit 1; an archive
that may be read but not written serves every command that only reads."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import Archive, cli_env
from tests.support.news import URL_BUDGET, build_news

pytestmark = pytest.mark.e2e


def one_line_error(done: subprocess.CompletedProcess[bytes]) -> str:
    assert done.returncode == 1, done.stderr
    lines = done.stderr.decode("utf-8").splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_a_directory_as_the_archive_is_a_one_line_error(archive: Archive) -> None:
    archive.db.mkdir()

    archive.write_config('[[feeds]]\nurl = "https://example.com/feed.xml"\n')  # never fetched
    for args in (("status",), ("show", URL_BUDGET), ("poll", "--all"), ("export", "out")):
        line = one_line_error(archive.cli(*args, check=False))
        assert f"{archive.db}: is a directory, not an archive file" in line


def test_a_file_that_is_not_an_archive_is_a_one_line_error(archive: Archive) -> None:
    archive.db.write_bytes(b"these are not the bytes of an SQLite file\n" * 100)

    line = one_line_error(archive.cli("status", check=False))
    assert f"{archive.db}: cannot open the archive" in line


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A directory whose permissions the test takes away, given back after it."""
    path = tmp_path / "shared"
    path.mkdir()
    try:
        yield path
    finally:
        for p in [path, *path.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)


PR_CAPBSET_DROP = 24
# Root's way past file permissions: CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER.
OVERRIDES = (1, 2, 3)


def _without_overrides() -> None:
    """In the child before it runs Python: root gives up the capabilities that let it
    read and write whatever the permissions say, and is held to them like anyone."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in OVERRIDES:
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def as_reader(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """The CLI run by a user held to the archive's permissions: this user, or, as root
    (who may write anything), root without the capabilities that override them."""
    command = [sys.executable, "-m", "ingester", "--config", str(directory / "feeds.toml")]
    command += ["--db", str(directory / "archive.db"), *args]
    return subprocess.run(
        command,
        capture_output=True,
        cwd=directory,
        env=cli_env(),
        timeout=120,
        preexec_fn=_without_overrides if os.geteuid() == 0 else None,
    )


def test_an_unreadable_archive_is_a_one_line_error(shared: Path) -> None:
    build_news(shared / "archive.db")
    (shared / "archive.db").chmod(0o000)

    line = one_line_error(as_reader(shared, "status"))
    assert "cannot read the archive: permission denied" in line


def test_read_only_commands_work_on_an_archive_that_cannot_be_written(shared: Path) -> None:
    archive = shared / "archive.db"
    build_news(archive)  # closed cleanly: no -wal or -shm left beside it
    out = shared.parent / "out"
    archive.chmod(0o444)
    shared.chmod(0o555)
    before = archive.read_bytes()

    runs = {
        "show": as_reader(shared, "show", URL_BUDGET),
        "history": as_reader(shared, "history", URL_BUDGET, "--json"),
        "diff": as_reader(shared, "diff", URL_BUDGET),
        "status": as_reader(shared, "status", "--json"),
        "search": as_reader(shared, "search", "quokka"),
        "export": as_reader(shared, "export", str(out)),
    }

    for name, done in runs.items():
        assert done.returncode == 0, f"{name}: {done.stderr.decode()}"
        assert done.stderr == b"" or name == "export", f"{name}: {done.stderr.decode()}"
    assert len(json.loads(runs["history"].stdout)) == 3
    assert URL_BUDGET.encode() in runs["search"].stdout
    assert runs["export"].stdout.startswith(b"exported 4 versions")
    assert archive.read_bytes() == before
    assert [p.name for p in shared.iterdir()] == ["archive.db"]


def test_a_read_only_archive_from_an_older_release_says_how_to_upgrade_it(shared: Path) -> None:
    archive = shared / "archive.db"
    build_news(archive)
    conn_version = subprocess.run(  # one schema step back, as the release before wrote it
        [
            sys.executable,
            "-c",
            f"import sqlite3; c = sqlite3.connect({str(archive)!r}); "
            "v = c.execute('PRAGMA user_version').fetchone()[0]; "
            "c.execute(f'PRAGMA user_version = {v - 1}'); c.commit(); print(v - 1)",
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.strip()
    archive.chmod(0o444)
    shared.chmod(0o555)

    line = one_line_error(as_reader(shared, "show", URL_BUDGET))
    assert f"archive schema {conn_version} is from an earlier version" in line
    assert "open it once where it can be written" in line
