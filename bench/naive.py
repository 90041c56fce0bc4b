"""The naive baseline: the archiver anyone would write first, run as its own process.

One request at a time with ``httpx.Client``, ``feedparser.parse`` with default options,
``trafilatura.extract`` on the raw HTML, and an ``INSERT`` and a commit per row into a plain
SQLite file that keeps raw HTML and text uncompressed. Each stage is bounded by a count and
a time, and its rate is taken over what it did. Its peak memory is its own
(``getrusage(RUSAGE_SELF)``), so the harness runs it as ``python -m bench.naive``.

Input: a JSON file ``{"feeds": [urls], "pages": [urls]}``. Output: a JSON file of figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import feedparser
import httpx
import trafilatura


def bounded(
    items: Sequence[str], limit: int, seconds: float, step: Callable[[str], str]
) -> dict[str, Any]:
    """Run ``step`` on items in order until ``limit`` are done or ``seconds`` have passed."""
    outcomes: Counter[str] = Counter()
    started = time.monotonic()
    done = 0
    for item in items[:limit]:
        if time.monotonic() - started >= seconds:
            break
        outcomes[step(item)] += 1
        done += 1
    elapsed = time.monotonic() - started
    return {
        "done": done,
        "seconds": elapsed,
        "per_second": done / elapsed if elapsed > 0 else 0.0,
        "outcomes": dict(outcomes),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=Path, required=True, help="JSON: feeds and pages")
    parser.add_argument("--workdir", type=Path, required=True, help="its SQLite files go here")
    parser.add_argument("--out", type=Path, required=True, help="JSON figures written here")
    parser.add_argument("--max-feeds", type=int, default=1000)
    parser.add_argument("--feed-seconds", type=float, default=20.0)
    parser.add_argument("--max-pages", type=int, default=150)
    parser.add_argument("--page-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)

    urls = json.loads(args.urls.read_text(encoding="utf-8"))
    feeds: list[str] = urls["feeds"]
    pages: list[str] = urls["pages"]
    client = httpx.Client(timeout=30, trust_env=False)
    validators: dict[str, dict[str, str]] = {}

    def learn(url: str) -> str:
        response = client.get(url)
        headers = {}
        if "etag" in response.headers:
            headers["If-None-Match"] = response.headers["etag"]
        if "last-modified" in response.headers:
            headers["If-Modified-Since"] = response.headers["last-modified"]
        validators[url] = headers
        return str(response.status_code)

    def conditional(url: str) -> str:
        return str(client.get(url, headers=validators.get(url, {})).status_code)

    feed_db = sqlite3.connect(args.workdir / "naive-feeds.sqlite")
    feed_db.execute(
        "CREATE TABLE entries (feed TEXT, guid TEXT, title TEXT, link TEXT, summary TEXT)"
    )

    def parse_and_store(url: str) -> str:
        response = client.get(url)
        parsed = feedparser.parse(response.content)
        for entry in parsed.entries:
            feed_db.execute(
                "INSERT INTO entries VALUES (?, ?, ?, ?, ?)",
                (url, entry.get("id"), entry.get("title"), entry.get("link"), entry.get("summary")),
            )
            feed_db.commit()
        return str(response.status_code)

    page_db = sqlite3.connect(args.workdir / "naive-articles.sqlite")
    page_db.execute("CREATE TABLE articles (url TEXT, html TEXT, text TEXT)")

    def archive(url: str) -> str:
        response = client.get(url)
        text = trafilatura.extract(response.text)
        page_db.execute("INSERT INTO articles VALUES (?, ?, ?)", (url, response.text, text))
        page_db.commit()
        return "ok" if text else "no text"

    figures: dict[str, Any] = {}
    # Untimed: the first pass that gives the conditional pass its validators.
    figures["learn"] = bounded(feeds, args.max_feeds, args.feed_seconds, learn)
    known = [url for url in feeds if url in validators]
    figures["conditional"] = bounded(known, args.max_feeds, args.feed_seconds, conditional)
    figures["parse"] = bounded(feeds, args.max_feeds, args.feed_seconds, parse_and_store)
    figures["pages"] = bounded(pages, args.max_pages, args.page_seconds, archive)
    client.close()
    feed_db.close()
    page_db.close()
    rows = figures["pages"]["done"]
    size = (args.workdir / "naive-articles.sqlite").stat().st_size
    figures["bytes_per_article"] = size / rows if rows else None
    figures["peak_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    args.out.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
