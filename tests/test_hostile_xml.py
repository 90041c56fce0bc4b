"""Hostile XML: entity bombs, XXE and external DTDs, in feeds and in OPML.

The cases are defusedxml's own test files (../shared/corpora/malicious-input/defusedxml),
fed as they are and wrapped into an RSS and an Atom feed with their DOCTYPE kept, so that
feedparser's strict (expat) and loose (sgmllib) paths both see the entities where a feed's
text is read. Every http URL in them is pointed at a LocalServer on 127.0.0.1 and every
file URL at /etc/passwd, so network and file access show up as requests and as "root:".

What feedparser 6.0.x does, measured rather than assumed (see the module's report):
``replace_doctype`` strips every ``<!ENTITY`` from the prolog and keeps only "safe" ones
(a literal value without ``&``), so nested and external entities are never declared; expat
runs with external general entities off. A safe entity of 100 KB referenced a thousand
times (quadratic blowup) is kept, though: expat stops it at its amplification limit, and
feedparser then falls back to its loose parser, which expands it with no limit.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sqlite3
import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import PROJECT, Archive
from httpserver import LocalServer
from samples import SamplePage, sentences

from ingester.errors import ParseError
from ingester.parse import parse_feed
from ingester.types import ParsedFeed

_root = Path(os.environ.get("INGESTER_CORPORA", "../shared/corpora"))
CORPORA = _root if _root.is_absolute() else (PROJECT / _root).resolve()
DEFUSED = CORPORA / "malicious-input" / "defusedxml"
CORPUS_FILES = sorted(p.name for p in DEFUSED.glob("*") if p.is_file() and p.name != "LICENSE")

# Bounds for one parse of an input of at most ~100 KB.
MAX_SECONDS = 2.0
MAX_PEAK_BYTES = 50 * 1024 * 1024

# What an expansion would put in the text, per bomb; absent when nothing was expanded.
EXPANDED = {
    "xmlbomb.xml": "1234567890" * 2,  # &c; is 64 copies
    "cyclic.xml": "123 123",
    "quadratic.xml": "B" * 1000,  # &a; alone is ~100 KB of B
}
PASSWD_MARKERS = ("root:", "/bin/sh", "nologin")

pytestmark = pytest.mark.corpus


def _need_corpus() -> None:
    if not DEFUSED.is_dir():
        pytest.skip(f"defusedxml corpus not found at {DEFUSED} (set INGESTER_CORPORA)")


def _corpus_params() -> list[object]:
    if not CORPUS_FILES:
        return [pytest.param("<absent>", "raw", id="corpus-absent")]
    params: list[object] = []
    for name in CORPUS_FILES:
        for wrap in ("raw", "rss", "atom"):
            params.append(pytest.param(name, wrap, id=f"{name}-{wrap}"))
    return params


def hostile(raw: str, server: LocalServer, name: str) -> str:
    """Point the sample's URLs where a fetch would show: our server, and /etc/passwd."""
    raw = re.sub(r"file:///[^\"'\s]+", "file:///etc/passwd", raw)
    return re.sub(r"https?://[^\"'\s]+", server.url(f"/ext/{name}"), raw)


def wrap(raw: str, kind: str) -> str:
    """The sample's DOCTYPE in front of a feed whose titles and summary hold its root's
    content, entity references included."""
    if kind == "raw":
        return raw
    found = re.search(r"<!DOCTYPE\s+\w+([^\[>]*)(\[.*?\])?\s*>", raw, re.S)
    doctype = f"<!DOCTYPE {kind}{found.group(1)}{found.group(2) or ''}>" if found else ""
    rest = raw[found.end() :] if found else raw
    inner = re.search(r"<(\w+)[^>]*>(.*)</\1>", rest, re.S)
    body = inner.group(2) if inner else ""
    head = f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}\n'
    if kind == "rss":
        return (
            f'{head}<rss version="2.0"><channel><title>T {body}</title>'
            "<link>http://example.com/</link><description>D</description>"
            f"<item><title>I {body}</title><link>http://example.com/1</link>"
            f"<description>{body}</description></item></channel></rss>\n"
        )
    return (
        f'{head}<feed xmlns="http://www.w3.org/2005/Atom"><title>T {body}</title>'
        "<id>urn:x</id><updated>2025-01-01T00:00:00Z</updated>"
        f"<entry><title>I {body}</title><id>urn:1</id><updated>2025-01-01T00:00:00Z</updated>"
        f'<link href="http://example.com/1"/><summary>{body}</summary></entry></feed>\n'
    )


@dataclasses.dataclass(frozen=True)
class Measured:
    outcome: ParsedFeed | ParseError
    seconds: float
    peak: int

    @property
    def text(self) -> str:
        if isinstance(self.outcome, ParseError):
            return self.outcome.message
        return json.dumps(dataclasses.asdict(self.outcome), ensure_ascii=False)


def measure(content: bytes) -> Measured:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome: ParsedFeed | ParseError = parse_feed(content, {}, "http://example.com/feed")
    except ParseError as e:
        outcome = e
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Measured(outcome, seconds, peak)


def assert_harmless(name: str, content: bytes, measured: Measured, server: LocalServer) -> None:
    text = measured.text
    assert server.requests == [], f"{name}: the parser fetched {server.requests}"
    for marker in PASSWD_MARKERS:
        assert marker not in text, f"{name}: file contents in the result"
    if name in EXPANDED:
        assert EXPANDED[name] not in text, f"{name}: the entities were expanded"
    # Nothing expanded anywhere: the result is never much larger than the input.
    assert len(text) <= 2 * len(content) + 1000, f"{name}: {len(text)} chars of output"
    assert measured.seconds < MAX_SECONDS, f"{name}: {measured.seconds:.2f}s"
    assert measured.peak < MAX_PEAK_BYTES, f"{name}: {measured.peak / 1e6:.0f} MB peak"


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("name", "kind"), _corpus_params())
def test_hostile_xml_is_not_expanded_fetched_or_read(
    name: str, kind: str, server: LocalServer
) -> None:
    _need_corpus()
    content = wrap(hostile((DEFUSED / name).read_text(encoding="utf-8"), server, name), kind)
    data = content.encode("utf-8")

    measured = measure(data)

    assert isinstance(measured.outcome, ParsedFeed | ParseError)
    assert_harmless(name, data, measured, server)


EXTRA_CASES = {
    # An external DTD named in the DOCTYPE, and one pulled in by a parameter entity.
    "external-dtd-system": '<!DOCTYPE rss SYSTEM "{url}">',
    "external-dtd-parameter": '<!DOCTYPE rss [\n<!ENTITY % ext SYSTEM "{url}">\n%ext;\n]>',
    # An XXE whose entity is declared on the DOCTYPE's own line, past feedparser's regex.
    "xxe-one-line": '<!DOCTYPE rss [<!ENTITY ee SYSTEM "{url}"><!ENTITY pw SYSTEM '
    '"file:///etc/passwd">]>',
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", sorted(EXTRA_CASES))
def test_external_dtds_and_entities_are_never_fetched(case: str, server: LocalServer) -> None:
    doctype = EXTRA_CASES[case].format(url=server.url(f"/ext/{case}.dtd"))
    server.set_text(f"/ext/{case}.dtd", '<!ENTITY ee "EXTERNAL-DTD-TEXT">', "text/plain")
    data = (
        f'<?xml version="1.0" encoding="utf-8"?>\n{doctype}\n<rss version="2.0"><channel>'
        "<title>T &ee; &pw;</title><link>http://example.com/</link><description>D</description>"
        "<item><title>I &ee;</title><link>http://example.com/1</link>"
        "<description>&pw;</description></item></channel></rss>\n"
    ).encode()

    measured = measure(data)

    assert "EXTERNAL-DTD-TEXT" not in measured.text
    assert_harmless(case, data, measured, server)


# -- end to end: the real CLI --------------------------------------------------------------

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
    _need_corpus()
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
    _need_corpus()
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
    _need_corpus()
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
