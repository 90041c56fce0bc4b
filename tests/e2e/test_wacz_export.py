"""`ingester export --wacz`: the captures of a real poll and fetch, as a WACZ package."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ingester.fetch.records import check_file
from tests.support.cli import Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import SamplePage, sentences
from tests.support.sites import serve_feeds
from tests.support.wacz import validate

pytestmark = pytest.mark.e2e

FERRY = SamplePage("Ferry timetable changes in winter", sentences("the ferry"))
EDITED = FERRY.edited(title="Ferry timetable changes again")
MUSEUM = SamplePage("Museum extends its opening hours", sentences("the museum"))


@pytest.fixture
def archived(archive: Archive, server: LocalServer) -> Archive:
    """Two feeds; the ferry story is edited between the poll and a fetch."""
    serve_feeds(archive, server, {"harbour": {"/ferry": FERRY}, "culture": {"/museum": MUSEUM}})
    archive.cli("poll", "--all")
    server.set_text("/ferry", EDITED.html(), "text/html")
    archive.cli("fetch", server.url("/ferry"))
    return archive


def index(package: zipfile.ZipFile) -> list[dict[str, Any]]:
    lines = package.read("indexes/index.cdxj").decode().splitlines()
    return [json.loads(line.split(" ", 2)[2]) for line in lines]


def pages(package: zipfile.ZipFile) -> list[dict[str, Any]]:
    lines = package.read("pages/pages.jsonl").decode().splitlines()
    return [json.loads(line) for line in lines[1:]]


def checked_records(package: zipfile.ZipFile, scratch: Path) -> int:
    """Every record of every packaged WARC file read back, each digest verified."""
    scratch.mkdir()
    total = 0
    for name in package.namelist():
        if name.startswith("archive/"):
            path = scratch / name.removeprefix("archive/")
            path.write_bytes(package.read(name))
            check = check_file(path)
            assert check.problems == (), check.problems
            total += check.records
    return total


def test_a_poll_and_an_edit_package_into_a_valid_wacz(
    archived: Archive, server: LocalServer, tmp_path: Path
) -> None:
    out = tmp_path / "all.wacz"
    done = archived.cli("export", "--wacz", str(out))

    line = done.stdout.decode().strip()
    match = re.fullmatch(rf"exported 3 versions \((\d+) records\) to {re.escape(str(out))}", line)
    assert match, line
    code, printed = validate(out)
    assert code == 0, printed
    with zipfile.ZipFile(out) as package:
        entries = index(package)
        ferry = [e for e in entries if e["url"] == server.url("/ferry")]
        assert [(e["mime"], e["status"]) for e in ferry] == [("text/html", "200")] * 2
        texts = {p["text"] for p in pages(package) if p["url"] == server.url("/ferry")}
        assert texts == {FERRY.expected_layout(), EDITED.expected_layout()}
        assert int(match.group(1)) == checked_records(package, tmp_path / "warcs")


def test_a_feed_limits_the_package_to_its_articles(
    archived: Archive, server: LocalServer, tmp_path: Path
) -> None:
    out = tmp_path / "culture.wacz"
    done = archived.cli("export", "--wacz", str(out), "--feed", "culture")

    assert done.stdout.decode().strip() == f"exported 1 version (4 records) to {out}"
    assert validate(out)[0] == 0
    with zipfile.ZipFile(out) as package:
        assert {e["url"] for e in index(package)} == {server.url("/museum")}
        assert [p["text"] for p in pages(package)] == [MUSEUM.expected_layout()]
        # warcinfo, the response, its request, its conversion
        assert checked_records(package, tmp_path / "warcs") == 4


def test_directory_and_wacz_options_do_not_mix(archive: Archive, tmp_path: Path) -> None:
    wacz = str(tmp_path / "x.wacz")
    for args, complaint in (
        (["export"], "give a DIRECTORY or --wacz FILE"),
        (["export", str(tmp_path / "dir"), "--wacz", wacz], "give a DIRECTORY or --wacz FILE"),
        (["export", "--wacz", wacz, "--all-versions"], "are for DIRECTORY exports"),
        (["export", "--wacz", wacz, "--format", "txt"], "are for DIRECTORY exports"),
    ):
        done = archive.cli(*args, check=False)
        assert (done.returncode, complaint in done.stderr.decode()) == (2, True), args
    assert not (tmp_path / "x.wacz").exists() and not (tmp_path / "dir").exists()
