"""Hostile XML: entity bombs, XXE and external DTDs, through ``parse_feed`` in-process (the
real CLI meets them in tests/e2e/test_hostile_input.py: poll, and OPML import).

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
import time
import tracemalloc

import pytest

from ingester.errors import ParseError
from ingester.parse import parse_feed
from ingester.types import ParsedFeed
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

# Bounds for one parse of an input of at most ~100 KB.
MAX_SECONDS = 2.0
MAX_PEAK_BYTES = 50 * 1024 * 1024

pytestmark = pytest.mark.corpus


def _corpus_params() -> list[object]:
    if not CORPUS_FILES:
        return [pytest.param("<absent>", "raw", id="corpus-absent")]
    params: list[object] = []
    for name in CORPUS_FILES:
        for kind in ("raw", "rss", "atom"):
            params.append(pytest.param(name, kind, id=f"{name}-{kind}"))
    return params


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
    need_corpus()
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
