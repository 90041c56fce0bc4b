"""The real CLI on both engines: the same site polled, edited and read back through a
SQLite file and through a PostgreSQL database answers every command the same way, in
``--json`` and in text, once the moments and durations of the two runs are set aside."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import cli_env
from tests.support.httpserver import LocalServer
from tests.support.postgres import postgres_server
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

FERRY = SamplePage("Ferry timetable changes in winter", sentences("the ferry"))
BRIDGE = SamplePage("Council approves the harbour bridge", sentences("the bridge"))
EDITED = SamplePage("Council approves the harbour bridge", sentences("the new bridge"))

# What differs between two runs whatever the engine: when, how long, the records' ids.
VOLATILE = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?"), "<time>"),
    (re.compile(r'"(duration_ms|seconds|age_seconds)": [\d.]+'), r'"\1": 0'),
    (re.compile(r"duration_ms=\d+"), "duration_ms=0"),
    (re.compile(r"\b\d+(\.\d+)? ?(ms|s)\b"), "<took>"),
    (re.compile(r"urn:uuid:[0-9a-f-]+"), "<record>"),
    (re.compile(r"http://127\.0\.0\.1:\d+"), "<site>"),
]


@dataclass
class Run:
    outputs: dict[str, str]  # command -> what it printed, volatile parts set aside


def _cli(config: Path, db: str, cwd: Path, *args: str) -> str:
    """What the command printed, volatile parts and the run's own folder set aside."""
    done = subprocess.run(
        [sys.executable, "-m", "ingester", "--config", str(config), "--db", db, *args],
        capture_output=True, text=True, env=cli_env(), cwd=cwd, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stderr)
    text = done.stdout.replace(str(cwd), "<folder>")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _scenario(server: LocalServer, folder: Path, db: str) -> Run:
    """Poll two pages, edit one, poll again; then every reading command."""
    folder.mkdir()
    server.set_text("/ferry", FERRY.html(), "text/html")
    server.set_text("/bridge", BRIDGE.html(), "text/html")
    items = [
        FeedItem(FERRY.title, server.url("/ferry")),
        FeedItem(BRIDGE.title, server.url("/bridge")),
    ]
    server.set_text("/harbour.xml", rss("Harbour", server.url("/"), items), "application/rss+xml")
    config = folder / "feeds.toml"
    config.write_text(
        f'[settings]\nhost_gap = 0\nprivate_pages = true\nwarc_dir = "{folder / "warcs"}"\n'
        f'\n[[feeds]]\nurl = "{server.url("/harbour.xml")}"\nname = "harbour"\n'
    )
    out: dict[str, str] = {}

    def run(name: str, *args: str) -> None:
        out[name] = _cli(config, db, folder, *args)

    run("poll", "poll", "--all")
    server.set_text("/bridge", EDITED.html(), "text/html")
    bridge = server.url("/bridge")
    run("fetch", "fetch", bridge)  # the publisher's edit, looked at by hand
    run("poll again", "poll", "--all")
    run("status", "status", "--json")
    run("feeds list", "feeds", "list", "--json")
    run("history", "history", bridge, "--json")
    run("history text", "history", bridge)
    run("show", "show", bridge)
    run("show 1", "show", bridge, "--version", "1")
    run("diff", "diff", bridge)
    run("search", "search", "ferry", "--json")
    run("search phrase", "search", '"the new bridge"', "--json")
    run("search nothing", "search", "zeppelin")
    run("warc check", "warc", "check", "--json")
    # Pages read back from the WARC files the archive points at, with no network.
    run("reextract", "reextract", "--all")
    run("feeds add", "feeds", "add", server.url("/quay.xml"), "--name", "quay")
    run("feeds after add", "feeds", "list", "--json")
    run("feeds remove", "feeds", "remove", "quay")
    run("opml", "opml", "export")
    run("export", "export", str(folder / "export"), "--format", "jsonl")
    out["exported"] = "\n".join(
        sorted(p.read_text() for p in (folder / "export").rglob("*") if p.is_file())
    )
    for pattern, replacement in VOLATILE:
        out["exported"] = pattern.sub(replacement, out["exported"])
    return Run(out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, Run]]:
    work = tmp_path_factory.mktemp("engines")
    with postgres_server() as pg, LocalServer() as sqlite_site, LocalServer() as pg_site:
        sqlite = _scenario(sqlite_site, work / "sqlite", str(work / "sqlite" / "archive.db"))
        postgres = _scenario(pg_site, work / "postgres", pg.database())
        yield sqlite, postgres


COMMANDS = [
    "poll", "fetch", "poll again", "status", "feeds list", "history", "history text",
    "show", "show 1", "diff", "search", "search phrase", "search nothing", "warc check",
    "reextract", "feeds add", "feeds after add", "feeds remove", "opml", "export", "exported",
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_answers_the_same_on_both_engines(runs: tuple[Run, Run], command: str) -> None:
    sqlite, postgres = runs
    assert postgres.outputs[command] == sqlite.outputs[command]


def test_the_scenario_did_what_it_says(runs: tuple[Run, Run]) -> None:
    sqlite, _ = runs
    assert len(json.loads(sqlite.outputs["history"])) == 2
    assert "+++ version 2" in sqlite.outputs["diff"]
    assert [hit["url"] for hit in json.loads(sqlite.outputs["search phrase"])] == ["<site>/bridge"]
    assert json.loads(sqlite.outputs["warc check"])["problems"] == []
    # Both pages read back from their captures; the same extractor finds nothing new.
    assert sqlite.outputs["reextract"].strip() == "re-extracted 2 articles: 0 changed"
    assert "quay" in sqlite.outputs["feeds after add"]
