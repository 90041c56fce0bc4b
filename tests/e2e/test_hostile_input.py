"""Hostile XML (entity bombs, XXE, external DTDs) through the real CLI: ``poll`` archives
such feeds without expanding or reading anything, ``opml import`` refuses such files in one
line. The samples and their rewriting are in tests/support/hostile.py."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import Archive
from tests.support.hostile import (
    CORPUS_FILES,
    DEFUSED,
    EXPANDED,
    PASSWD_MARKERS,
    hostile,
    need_corpus,
    wrap,
)
from tests.support.httpserver import LocalServer
from tests.support.samples import SamplePage, sentences

pytestmark = pytest.mark.corpus

PAGE = SamplePage("Harbour reopens after repairs", sentences("the harbour"))


def _feed_from(name: str, server: LocalServer) -> bytes:
    """A corpus bomb or XXE as an RSS feed whose one item links to a real page."""
    raw = hostile((DEFUSED / name).read_text(encoding="utf-8"), server, name)
    feed = wrap(raw, "rss").replace("http://example.com/1", server.url("/a/harbour"))
    return feed.encode("utf-8")


def _archive_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_poll_archives_bomb_and_xxe_feeds_without_expanding_or_reading(
    archive: Archive, server: LocalServer
) -> None:
    need_corpus()
    names = ["xmlbomb.xml", "cyclic.xml", "external.xml", "external_file.xml"]
    server.set_text("/a/harbour", PAGE.html(), "text/html")
    feeds = ""
    for name in names:
        server.set_text(
            f"/{name}", _feed_from(name, server).decode(), "application/rss+xml; charset=utf-8"
        )
        feeds += f'[[feeds]]\nurl = "{server.url("/" + name)}"\nname = "{name}"\n\n'
    archive.write_config(f"[settings]\nhost_gap = 0\n\n{feeds}")

    done = archive.cli("poll", "--all")

    assert done.returncode == 0
    text = _archive_text(archive.db)
    assert PAGE.paragraphs[0] in text  # the feeds were read and the page archived
    for marker in PASSWD_MARKERS:
        assert marker not in text
    for name in names:
        if name in EXPANDED:
            assert EXPANDED[name] not in text
        assert server.hits(f"/ext/{name}") == 0


@pytest.mark.e2e
@pytest.mark.timeout(120)
def test_poll_of_a_quadratic_blowup_feed_stores_no_expansion(
    archive: Archive, server: LocalServer
) -> None:
    need_corpus()
    server.set_text("/a/harbour", PAGE.html(), "text/html")
    feed = _feed_from("quadratic.xml", server)
    server.set_text("/q.xml", feed.decode(), "application/rss+xml; charset=utf-8")
    archive.write_config(f'[settings]\nhost_gap = 0\n\n[[feeds]]\nurl = "{server.url("/q.xml")}"\n')

    archive.cli("poll", "--all")

    assert archive.db.stat().st_size < 20 * len(feed)
    with sqlite3.connect(archive.db) as conn:
        longest = conn.execute("SELECT MAX(LENGTH(entry)) FROM feed_entries").fetchone()[0]
    assert longest < 2 * len(feed)


def _opml_from(name: str, server: LocalServer) -> str:
    """The sample's DOCTYPE in front of an OPML list whose outline titles use its entities."""
    raw = hostile((DEFUSED / name).read_text(encoding="utf-8"), server, name)
    found = re.search(r"<!DOCTYPE\s+\w+([^\[>]*)(\[.*?\])?\s*>", raw, re.S)
    doctype = f"<!DOCTYPE opml{found.group(1)}{found.group(2) or ''}>" if found else ""
    inner = re.search(r"<(\w+)[^>]*>(.*)</\1>", raw[found.end() :] if found else raw, re.S)
    body = (inner.group(2) if inner else "").replace('"', "")
    return (
        f'<?xml version="1.0"?>\n{doctype}\n<opml version="2.0"><head><title>{body}</title>'
        f'</head><body><outline text="x" title="{body}" xmlUrl="http://example.com/f.xml"/>'
        "</body></opml>\n"
    )


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_opml_import_refuses_hostile_files_in_one_line(
    archive: Archive, server: LocalServer
) -> None:
    need_corpus()
    archive.write_config("[settings]\n")
    before = archive.config.read_text(encoding="utf-8")
    files: list[Path] = []
    for name in CORPUS_FILES:
        if name.endswith(".xml") and name not in ("simple.xml", "simple-ns.xml"):
            as_opml = archive.dir / f"opml-{name}"
            as_opml.write_text(_opml_from(name, server), encoding="utf-8")
            files.append(as_opml)
        files.append(DEFUSED / name)  # as it is: no <opml><body>, or a DOCTYPE

    for path in files:
        done = archive.cli("opml", "import", str(path), check=False)
        err = done.stderr.decode(errors="replace")
        assert done.returncode == 1, f"{path.name}: exit {done.returncode}: {err}"
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert archive.config.read_text(encoding="utf-8") == before
    assert server.requests == []
