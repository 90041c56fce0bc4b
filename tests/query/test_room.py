"""The reading room (ingester/query/room/) in Datasette, through its test client, on the
hand-built archive of tests/support/news.py: what each page shows is derived from what was
saved. The same pages in a real browser are in tests/browser/."""

from __future__ import annotations

import asyncio
import html
import json
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import feedparser
import httpx
import pytest
from datasette.app import Datasette

from ingester.query import browse
from ingester.query.room.pages import RAW_PAGE_POLICY
from ingester.render.diff import word_segments
from ingester.store import Store
from ingester.types import Article, ArticleUrls, PageToStore
from tests.support.news import (
    BUDGET_2,
    BUDGET_3,
    FEED_OK,
    URL_BUDGET,
    URL_HARBOUR,
    URL_HEAT,
)
from tests.support.versions import T0, version_of


def get(db: Path, *paths: str) -> list[httpx.Response]:
    async def main() -> list[httpx.Response]:
        datasette = Datasette([str(db)], metadata=browse.metadata(db))
        await datasette.invoke_startup()
        return [await datasette.client.get(path) for path in paths]

    return asyncio.run(main())


def page(db: Path, path: str) -> str:
    (response,) = get(db, path)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:500]}"
    return response.text


def article_path(url: str, version: int | None = None) -> str:
    return f"/-/article?url={quote(url, safe='')}" + (f"&version={version}" if version else "")


def edit_count(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT count(*) FROM versions WHERE kind = 'edit'").fetchone()[0])


# -- the front page ----------------------------------------------------------------------------


def test_the_front_page_leads_into_the_archive(news: Path) -> None:
    text = page(news, "/")

    assert 'action="/-/search"' in text
    for url in (URL_HEAT, URL_BUDGET, URL_HARBOUR):
        assert html.escape(article_path(url)) in text
    # The budget's last edit, with the link to what changed in it.
    assert html.escape(f"/-/diff?url={quote(URL_BUDGET, safe='')}&a=2&b=3") in text
    assert "alpha-news" in text and "zeta" in text  # feed health
    assert text.count("<svg") == 2 and 'class="edits"' in text  # the two charts


# -- an article ---------------------------------------------------------------------------------


def test_the_article_page_typesets_the_version_and_its_timeline(news: Path) -> None:
    text = html.unescape(page(news, article_path(URL_BUDGET)))

    assert f'<h1 class="headline">{BUDGET_3.title}</h1>' in text
    for paragraph in BUDGET_3.body:
        assert f"<p>{paragraph}</p>" in text
    assert re.findall(r"<td>(first|edit|reextraction)</td>", text) == ["first", "edit", "edit"]
    assert f"/-/diff?url={quote(URL_BUDGET, safe='')}&a=1&b=2" in text
    assert f"/-/diff?url={quote(URL_BUDGET, safe='')}&a=2&b=3" in text


def test_an_older_version_is_shown_when_asked_for(news: Path) -> None:
    text = html.unescape(page(news, article_path(URL_BUDGET, 2)))

    assert f'<h1 class="headline">{BUDGET_2.title}</h1>' in text
    assert BUDGET_3.body[0] not in text.split("<h2>Versions</h2>")[0]


@pytest.mark.parametrize(
    "path",
    [
        "/-/article?url=https%3A%2F%2Fnews.example.com%2Fnowhere",
        "/-/article",
        article_path(URL_BUDGET) + "&version=9",
        article_path(URL_BUDGET) + "&version=two",
    ],
)
def test_an_unknown_article_or_version_is_not_found(news: Path, path: str) -> None:
    (response,) = get(news, path)
    assert response.status_code == 404


# -- a diff -----------------------------------------------------------------------------------


def test_the_diff_marks_each_word_the_publisher_changed(news: Path) -> None:
    text = page(news, f"/-/diff?url={quote(URL_BUDGET, safe='')}&a=2&b=3")

    expected = word_segments(str(BUDGET_2.title), str(BUDGET_3.title))
    added = [t for op, t in expected if op == "added"]
    removed = [t for op, t in expected if op == "removed"]
    assert added and removed
    inline = text.split('<div class="inline">')[1].split("</div>")[0]
    assert re.findall(r"<ins>(.*?)</ins>", inline) == [html.escape(t) for t in added]
    assert re.findall(r"<del>(.*?)</del>", inline) == [html.escape(t) for t in removed]
    assert 'class="side-by-side"' in text
    assert '<section class="field" id="author">' not in text  # unchanged fields stay out


# -- the edits feed ---------------------------------------------------------------------------


def test_the_edits_feed_is_atom_with_one_entry_per_edit(news: Path) -> None:
    (response,) = get(news, "/-/edits.atom")

    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert len(feed.entries) == edit_count(news) == 3
    newest = feed.entries[0]
    link = urlsplit(newest.link)
    assert link.path == "/-/diff"
    assert parse_qs(link.query) == {"url": [URL_HEAT], "a": ["1"], "b": ["2"]}
    assert "<ins>" in newest.content[0].value


def test_the_edits_feed_narrows_to_a_feed_or_an_article(news: Path) -> None:
    by_feed, by_url, other = get(
        news,
        "/-/edits.atom?feed=alpha-news",
        f"/-/edits.atom?url={quote(URL_BUDGET, safe='')}",
        "/-/edits.atom?feed=zeta",
    )

    budget = [
        parse_qs(urlsplit(e.link).query)["url"] for e in feedparser.parse(by_url.content).entries
    ]
    assert budget == [[URL_BUDGET], [URL_BUDGET]]
    assert len(feedparser.parse(by_feed.content).entries) == 3  # alpha-news carried them all
    assert feedparser.parse(other.content).entries == []  # zeta carried only the harbour
    assert FEED_OK  # the feed named alpha-news


# -- tables and search ------------------------------------------------------------------------


def test_tables_and_saved_queries_lead_inward(news: Path) -> None:
    articles, latest, versions, table = get(
        news,
        "/archive/articles",
        "/archive/latest_articles",
        "/archive/versions",
        "/archive/feeds",
    )

    assert html.escape(article_path(URL_BUDGET)) in articles.text
    assert html.escape(article_path(URL_BUDGET)) in latest.text
    assert "<details><summary>What each column holds</summary>" in versions.text
    assert 'data-column="kind"' in versions.text and "kind" in versions.text
    assert html.escape(article_path(FEED_OK)) not in table.text  # a feed is no article
    # A version's title opens the article at that version.
    with closing(sqlite3.connect(news)) as conn:
        article_id, number = conn.execute(
            "SELECT article_id, number FROM versions WHERE title = ?", (BUDGET_2.title,)
        ).fetchone()
    link = f"/-/article?id={article_id}&version={number}"
    assert html.escape(link) in versions.text
    (shown,) = get(news, link)
    assert f'<h1 class="headline">{html.escape(str(BUDGET_2.title))}</h1>' in shown.text


def test_search_marks_the_words_it_matched(news: Path) -> None:
    text = page(news, "/-/search?q=quokka")
    assert "<mark>quokka</mark>" in text
    assert html.escape(article_path(URL_BUDGET)) in text
    assert "No article has every word" in page(news, "/-/search?q=nothingmatches")
    saved = page(news, "/archive/search?q=quokka")
    assert "<mark>quokka</mark>" in saved and "[quokka]" not in saved


# -- what comes from a page is never live markup ---------------------------------------------

HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """An article whose every field, and whose captured page, carries markup."""
    db = tmp_path / "archive.db"
    store = Store(db)
    try:
        article = Article(
            title=f"Headline {HOSTILE}",
            body=(f"A paragraph {HOSTILE}", "Second paragraph."),
            section=HOSTILE,
            author=HOSTILE,
        )
        content = f"<html><head><title>t</title></head><body>{HOSTILE}</body></html>".encode()
        page_ = PageToStore(content, "ab" * 32, None, None)
        version = replace(version_of(article, T0), raw_sha256=page_.sha256)
        store.save(ArticleUrls("https://evil.example/a"), version, T0, page=page_)
        edited = Article(title=f"Headline {HOSTILE}", body=(f"Changed {HOSTILE}",), section="x")
        store.save(ArticleUrls("https://evil.example/a"), version_of(edited, T0), T0)
    finally:
        store.close()
    return db


def test_nothing_from_a_page_is_rendered_as_markup(hostile: Path) -> None:
    url = quote("https://evil.example/a", safe="")
    pages: list[Any] = get(
        hostile, "/", f"/-/article?url={url}&version=1", f"/-/diff?url={url}&a=1&b=2"
    )
    for response in pages:
        assert response.status_code == 200
        assert "<script>document.title" not in response.text
        assert "<img src=x" not in response.text
        assert "&lt;script&gt;" in response.text


def test_the_captured_page_is_served_sandboxed(hostile: Path) -> None:
    url = quote("https://evil.example/a", safe="")
    framed, as_text, from_feed = get(
        hostile,
        f"/-/raw?url={url}&version=1",
        f"/-/raw?url={url}&version=1&as=text",
        f"/-/raw?url={url}&version=2",
    )

    assert framed.headers["content-security-policy"] == RAW_PAGE_POLICY
    assert "sandbox" in RAW_PAGE_POLICY and "default-src 'none'" in RAW_PAGE_POLICY
    assert framed.headers["x-content-type-options"] == "nosniff"
    assert as_text.headers["content-type"].startswith("text/plain")
    assert HOSTILE in as_text.text
    assert from_feed.status_code == 404  # version 2 has no captured page
    article = page(hostile, f"/-/article?url={url}&version=1")
    assert '<iframe class="capture" sandbox=""' in article


def test_foreign_keys_show_labels_and_raw_pages_open_in_the_sandbox(hostile: Path) -> None:
    versions, raw_pages = get(hostile, "/archive/versions", "/archive/raw_pages")

    # article_id shows the article by its title, escaped like everything from a page.
    label = re.search(r'<a href="/archive/articles/1">(.*?)</a>', versions.text)
    assert label is not None and html.unescape(label.group(1)) == "Headline " + HOSTILE
    assert "<script>document" not in versions.text
    assert "&lt;Binary" not in raw_pages.text and "<Binary" not in raw_pages.text
    sha = re.search(r'/-/raw\?sha=([0-9a-f]{64})"', raw_pages.text)
    assert sha is not None
    (framed,) = get(hostile, f"/-/raw?sha={sha.group(1)}")
    assert framed.headers["content-security-policy"] == RAW_PAGE_POLICY
    assert HOSTILE.encode() in framed.content


def test_plain_datasette_loads_the_reading_room_through_its_entry_point(news: Path) -> None:
    def datasette_get(path: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "datasette", str(news), "--get", path],
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()

    plugins = json.loads(datasette_get("/-/plugins.json"))
    assert [p["name"] for p in plugins] == ["ingester"]
    assert "Latest articles" in datasette_get("/")
    assert "Recently edited articles" in datasette_get("/archive")  # the saved queries


def test_an_archive_from_before_the_title_step_still_reads(news: Path) -> None:
    # As a plain `datasette archive.db` meets an archive no newer release has opened yet.
    with closing(sqlite3.connect(news)) as conn:
        conn.execute("DROP TRIGGER articles_title")
        conn.execute("ALTER TABLE articles DROP COLUMN title")
        conn.execute("PRAGMA user_version = 5")
        conn.commit()

    async def main() -> httpx.Response:
        datasette = Datasette([str(news)])
        await datasette.invoke_startup()
        response: httpx.Response = await datasette.client.get("/archive/versions")
        return response

    versions = asyncio.run(main())
    assert versions.status_code == 200
    assert f'/archive/articles/3">{URL_BUDGET}</a>' in versions.text  # labelled by its URL


def test_the_front_page_leaves_datasettes_connection_as_it_found_it(news: Path) -> None:
    # The front page reads rows by name; Datasette reads its own with the same
    # connection after it (and failed, when the front page changed its row factory).
    paths = ["/", "/archive/versions", "/", "/archive", "/-/search?q=quokka", "/archive/feeds"]
    assert [r.status_code for r in get(news, *paths)] == [200] * len(paths)
