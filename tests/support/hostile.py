"""defusedxml's hostile XML samples (../shared/corpora/malicious-input/defusedxml, or
$INGESTER_CORPORA), and the rewriting that turns one into a feed whose every fetch or file
read would show: http URLs go to a LocalServer on 127.0.0.1, file URLs to /etc/passwd."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.cli import PROJECT
from tests.support.httpserver import LocalServer

_root = Path(os.environ.get("INGESTER_CORPORA", "../shared/corpora"))
CORPORA = _root if _root.is_absolute() else (PROJECT / _root).resolve()
DEFUSED = CORPORA / "malicious-input" / "defusedxml"
CORPUS_FILES = sorted(p.name for p in DEFUSED.glob("*") if p.is_file() and p.name != "LICENSE")

# What an expansion would put in the text, per bomb; absent when nothing was expanded.
EXPANDED = {
    "xmlbomb.xml": "1234567890" * 2,  # &c; is 64 copies
    "cyclic.xml": "123 123",
    "quadratic.xml": "B" * 1000,  # &a; alone is ~100 KB of B
}
PASSWD_MARKERS = ("root:", "/bin/sh", "nologin")


def need_corpus() -> None:
    if not DEFUSED.is_dir():
        pytest.skip(f"defusedxml corpus not found at {DEFUSED} (set INGESTER_CORPORA)")


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
