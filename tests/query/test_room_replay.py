"""The reading room and the WARC captures (ingester/query/room/): each captured version
links to its replay in ``ingester replay`` (pywb), and the page as captured is read back
from its WARC record; a version from before captures were kept still reads from
raw_pages."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from datasette.app import Datasette

from ingester.fetch.capture import Captures, Exchange
from ingester.query import browse
from ingester.query.replay import replay_url
from ingester.store import Store
from ingester.types import Article, ArticleUrls, CaptureRef, PageToStore
from tests.support.versions import T0, version_of

URL = "https://news.example/ferry?id=7&lang=en"


def page_html(title: str) -> bytes:
    body = "".join(f"<p>Paragraph {i} about the ferry timetable.</p>" for i in range(20))
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


@dataclass(frozen=True)
class Archived:
    db: Path
    pages: dict[int, bytes]  # the page each version was extracted from, decoded
    captures: dict[int, CaptureRef]  # the versions captured (2 and 3)


def capture(captures: Captures, content: bytes) -> CaptureRef:
    """The page's exchange written as the fetcher writes it: gzip on the wire, kept."""
    ref = captures.exchange(
        Exchange(
            url=URL,
            request_headers=[("Host", "news.example"), ("Accept-Encoding", "gzip")],
            status=200,
            reason="OK",
            response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
            body=gzip.compress(content, mtime=0),
            path="/ferry?id=7&lang=en",
        )
    )
    assert ref is not None
    return ref


@pytest.fixture
def archived(tmp_path: Path) -> Iterator[Archived]:
    """Version 1 fetched before captures were kept (its page in raw_pages); versions 2
    and 3 captured, their pages in the WARC folder beside the archive."""
    db = tmp_path / "archive.db"
    store = Store(db)
    writer = Captures(db.with_suffix(".warcs"), user_agent="test", robots=True, max_bytes=10**9)
    pages, refs = {}, {}
    try:
        for number in (1, 2, 3):
            title = f"Ferry timetable, take {number}"
            content = page_html(title)
            sha = hashlib.sha256(content).hexdigest()
            version = version_of(Article(title=title, body=(f"Take {number}.",)), T0)
            if number == 1:
                page = PageToStore(content, sha, None, None)
                version = replace(version, raw_sha256=sha)
            else:
                refs[number] = capture(writer, content)
                page = PageToStore(content, sha, None, None, capture=refs[number])
                version = replace(version, capture=refs[number])
            store.save(ArticleUrls(URL), version, T0, page=page)
            pages[number] = content
    finally:
        writer.close()
        store.close()
    yield Archived(db, pages, refs)


def get(db: Path, *paths: str, metadata: dict[str, Any] | None = None) -> list[httpx.Response]:
    async def main() -> list[httpx.Response]:
        shown = browse.metadata(db) if metadata is None else metadata
        datasette = Datasette([str(db)], metadata=shown)
        await datasette.invoke_startup()
        return [await datasette.client.get(path) for path in paths]

    return asyncio.run(main())


def replay_links(text: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'class="replay" href="([^"]+)"', text)]


def article_path(version: int | None = None) -> str:
    return f"/-/article?url={quote(URL, safe='')}" + (f"&version={version}" if version else "")


def raw_path(version: int, as_text: bool = False) -> str:
    return f"/-/raw?url={quote(URL, safe='')}&version={version}" + ("&as=text" if as_text else "")


def test_each_captured_version_links_to_its_replay(archived: Archived) -> None:
    (response,) = get(archived.db, article_path())

    assert response.status_code == 200
    expected = [replay_url(browse.REPLAY_BASE, c.date, c.url) for c in archived.captures.values()]
    assert replay_links(response.text) == expected  # none for version 1: it has no capture
    [second, third] = expected
    stamp = re.sub(r"\D", "", archived.captures[2].date[:19])
    assert second == f"http://127.0.0.1:8090/archive/{stamp}id_/{URL}"
    assert len(stamp) == 14 and third.endswith(f"id_/{URL}")


def test_the_replay_links_go_where_the_plugin_is_told(archived: Archived) -> None:
    elsewhere = "http://replay.example:9000/archive/"
    (told,) = get(archived.db, article_path(), metadata=browse.metadata(archived.db, elsewhere))
    (plain,) = get(archived.db, article_path(), metadata={})  # plain `datasette`: the default

    assert all(link.startswith(elsewhere) for link in replay_links(told.text))
    assert len(replay_links(told.text)) == 2
    assert replay_links(plain.text) == replay_links(get(archived.db, article_path())[0].text)


def test_the_raw_view_reads_a_captured_page_from_its_warc_record(archived: Archived) -> None:
    first, second, third, as_text = get(
        archived.db, raw_path(1), raw_path(2), raw_path(3), raw_path(3, as_text=True)
    )

    assert first.content == archived.pages[1]  # from raw_pages
    assert second.content == archived.pages[2]  # from the WARC, decoded from its gzip
    assert third.content == archived.pages[3]
    assert as_text.content == archived.pages[3]
    assert as_text.headers["content-type"].startswith("text/plain")
    for response in (first, second, third):
        assert response.headers["content-security-policy"].startswith("sandbox")
    (article,) = get(archived.db, article_path(2))
    assert html.escape(raw_path(2)) in article.text and '<iframe class="capture"' in article.text


def test_a_capture_whose_warc_file_is_gone_is_not_found(archived: Archived) -> None:
    for path in archived.db.with_suffix(".warcs").iterdir():
        path.unlink()

    gone, kept = get(archived.db, raw_path(2), raw_path(1))

    assert gone.status_code == 404
    assert kept.status_code == 200 and kept.content == archived.pages[1]
