"""The versioned archive through the real CLI: identity, dedupe, versions, re-extraction,
search, diffs, and upgrading an archive made by an older release."""

from __future__ import annotations

import itertools
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from ingester.render import render, text_hash
from ingester.store import Store
from ingester.store.migrations import MIGRATIONS
from ingester.types import Article, ArticleUrls, VersionToStore
from tests.support.cli import PROJECT, Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

STORY = SamplePage("Harbour wall to be rebuilt", sentences("the harbour wall"))
OTHER = SamplePage("Library opens late on Thursdays", sentences("the library"), section="Culture")


def query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def scalar(db: Path, sql: str, *params: object) -> object:
    [(value,)] = query(db, sql, *params)
    return value


def serve_page(server: LocalServer, path: str, page: SamplePage) -> None:
    server.set_text(path, page.html(), "text/html; charset=utf-8")


_builds = itertools.count(1)


def serve_feed(server: LocalServer, path: str, items: list[FeedItem]) -> None:
    """Serve a feed; each call is a new build of it, as a CMS rebuilds its feed."""
    build = format_datetime(datetime(2025, 7, 21, tzinfo=UTC) + timedelta(minutes=next(_builds)))
    server.set_text(
        path, rss("Harbour News", server.url("/"), items, build=build), "application/rss+xml"
    )


def configure(archive: Archive, server: LocalServer, *paths: str) -> None:
    archive.write_config(
        "[settings]\nhost_gap = 0\n\n"
        + "".join(f'[[feeds]]\nurl = "{server.url(p)}"\nname = "{p.strip("/")}"\n\n' for p in paths)
    )


def edit_story(server: LocalServer, page: SamplePage) -> None:
    """The publisher changes the story; its feed is rebuilt."""
    serve_page(server, "/story", page)
    serve_feed(
        server,
        "/feed.xml",
        [FeedItem(STORY.title, server.url("/story")), FeedItem(OTHER.title, server.url("/other"))],
    )


def look_again(archive: Archive, server: LocalServer) -> None:
    """What a due re-check does: fetch the story's page again. (A feed poll skips the
    entries it has already archived as they are; edits are the re-checks' to find.)"""
    archive.cli("fetch", server.url("/story"))


@pytest.fixture
def one_story(archive: Archive, server: LocalServer) -> Archive:
    serve_page(server, "/other", OTHER)
    edit_story(server, STORY)
    configure(archive, server, "/feed.xml")
    return archive


# -- identity and dedupe ---------------------------------------------------------------------


def test_repolling_identical_content_adds_no_versions_and_no_captures(one_story: Archive) -> None:
    one_story.cli("poll", "--all")
    tables = ("versions", "captures", "raw_pages")
    counts = {t: scalar(one_story.db, f"SELECT COUNT(*) FROM {t}") for t in tables}

    one_story.cli("poll", "--all")
    one_story.cli("poll", "--all")

    after = {t: scalar(one_story.db, f"SELECT COUNT(*) FROM {t}") for t in tables}
    # The two pages' and the feed's responses; the pages' bytes are in the WARC files only.
    assert after == counts == {"versions": 2, "captures": 3, "raw_pages": 0}


def test_one_article_from_two_feeds_is_stored_once_and_linked_to_both(
    archive: Archive, server: LocalServer
) -> None:
    serve_page(server, "/story", STORY)
    serve_feed(server, "/world.xml", [FeedItem(STORY.title, server.url("/story"), guid="w-1")])
    # The second feed links the same page with tracking parameters and its own guid.
    tracked = server.url("/story?utm_source=rss&utm_campaign=local")
    serve_feed(server, "/local.xml", [FeedItem(STORY.title, tracked, guid="l-9")])
    configure(archive, server, "/world.xml", "/local.xml")

    archive.cli("poll", "--all")

    assert scalar(archive.db, "SELECT COUNT(*) FROM articles") == 1
    assert scalar(archive.db, "SELECT COUNT(*) FROM versions") == 1
    linked = query(
        archive.db,
        "SELECT f.name FROM feed_entries e JOIN feeds f ON f.id = e.feed_id ORDER BY f.name",
    )
    assert linked == [("local.xml",), ("world.xml",)]


def test_a_guid_that_changes_while_the_link_stays_is_the_same_article(
    archive: Archive, server: LocalServer
) -> None:
    serve_page(server, "/story", STORY)
    serve_feed(server, "/feed.xml", [FeedItem(STORY.title, server.url("/story"), guid="cms-1")])
    configure(archive, server, "/feed.xml")
    archive.cli("poll", "--all")

    serve_feed(server, "/feed.xml", [FeedItem(STORY.title, server.url("/story"), guid="cms-2")])
    out = archive.out("poll", "--all")

    assert "new articles: 0" in out
    assert scalar(archive.db, "SELECT COUNT(*) FROM articles") == 1
    keys = query(archive.db, "SELECT entry_key FROM feed_entries ORDER BY entry_key")
    assert keys == [("cms-1",), ("cms-2",)]


def test_the_feed_entry_is_kept_as_last_seen(one_story: Archive, server: LocalServer) -> None:
    one_story.cli("poll", "--all")

    entry = json.loads(
        str(
            scalar(
                one_story.db,
                "SELECT entry FROM feed_entries WHERE entry_key = ?",
                server.url("/story"),
            )
        )
    )

    assert entry["title"] == STORY.title and entry["link"] == server.url("/story")


# -- versions ----------------------------------------------------------------------------------


def test_a_page_flipping_between_two_renderings_costs_two_versions(
    one_story: Archive, server: LocalServer
) -> None:
    variant = STORY.edited(title="Harbour wall rebuild approved")
    for page in [STORY, variant] * 3:
        edit_story(server, page)
        look_again(one_story, server)

    url = server.url("/story")
    history = json.loads(one_story.out("history", url, "--json"))
    assert [v["number"] for v in history] == [1, 2]
    assert [v["current"] for v in history] == [False, True]
    assert scalar(one_story.db, "SELECT revisits FROM articles WHERE url = ?", url) == 4
    assert one_story.out("show", url) == variant.expected_layout()


def test_a_version_records_its_fields_source_extractor_and_changes(
    one_story: Archive, server: LocalServer
) -> None:
    one_story.cli("poll", "--all")
    edit_story(server, STORY.edited(author="Petro Shevchenko", section="Local"))
    look_again(one_story, server)

    [first, second] = query(
        one_story.db,
        "SELECT number, title, author, section, body, source, extractor, kind, changed_fields,"
        " capture_id IN (SELECT id FROM captures WHERE url = ?)"
        " FROM versions WHERE title = ? ORDER BY number",
        server.url("/story"),
        STORY.title,
    )
    body = "\n".join(STORY.paragraphs)
    assert first[:6] == (1, STORY.title, STORY.author, STORY.section, body, "page")
    assert str(first[6]).startswith("trafilatura ") and first[7] == "first"
    assert second[2:4] == ("Petro Shevchenko", "Local") and second[7] == "edit"
    assert json.loads(str(second[8])) == ["section", "author"]
    assert first[9] == second[9] == 1  # each version points at the response it came from


# -- re-extraction -------------------------------------------------------------------------------


def pretend_an_older_extractor_read(db: Path, url: str) -> None:
    """Rewrite the current version as an older extractor might have rendered the same page."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            """UPDATE versions SET extractor = 'trafilatura 0.9',
                   body = body || char(10) || 'Share',
                   text = replace(text, ?, ? || char(10) || char(10) || 'Share'),
                   sha256 = 'old-extractor'
               WHERE id = (SELECT current_version_id FROM articles WHERE url = ?)""",
            (STORY.paragraphs[-1], STORY.paragraphs[-1], url),
        )


def test_reextract_records_a_reextraction_not_an_edit(
    one_story: Archive, server: LocalServer
) -> None:
    one_story.cli("poll", "--all")
    url = server.url("/story")
    pretend_an_older_extractor_read(one_story.db, url)
    hits = len(server.requests)

    out = one_story.out("reextract", "--all")

    assert out.strip() == "re-extracted 2 articles: 1 changed"
    assert len(server.requests) == hits  # no network
    history = json.loads(one_story.out("history", url, "--json"))
    assert [(v["number"], v["kind"]) for v in history] == [(1, "first"), (2, "reextraction")]
    assert history[1]["changed_fields"] == ["body"]
    assert one_story.out("show", url) == STORY.expected_layout()
    edits = scalar(one_story.db, "SELECT COUNT(*) FROM versions WHERE kind = 'edit'")
    assert edits == 0


def test_an_extractor_upgrade_is_not_mistaken_for_an_edit(
    one_story: Archive, server: LocalServer
) -> None:
    one_story.cli("poll", "--all")
    url = server.url("/story")
    pretend_an_older_extractor_read(one_story.db, url)
    # The publisher edits the headline; the page's bytes change, so it is extracted again.
    edited = STORY.edited(title="Harbour wall rebuild delayed")
    edit_story(server, edited)

    look_again(one_story, server)

    history = json.loads(one_story.out("history", url, "--json"))
    assert [v["kind"] for v in history] == ["first", "reextraction", "edit"]
    assert history[2]["changed_fields"] == ["title"]  # the edit is only what the publisher did
    assert one_story.out("show", url) == edited.expected_layout()


# -- search and diff ---------------------------------------------------------------------------


def test_search_finds_current_versions_only(one_story: Archive, server: LocalServer) -> None:
    one_story.cli("poll", "--all")
    edit_story(server, STORY.edited(title="Seawall to be replaced"))
    look_again(one_story, server)

    def urls(q: str) -> list[str]:
        return [hit["url"] for hit in json.loads(one_story.out("search", q, "--json"))]

    assert urls("seawall") == [server.url("/story")]
    assert urls("rebuilt") == []  # only in the old headline
    assert urls("library") == [server.url("/other")]
    assert urls('"the library"') == [server.url("/other")]
    assert sorted(urls("library OR seawall")) == sorted(
        [server.url("/story"), server.url("/other")]
    )
    assert urls('council "') != []  # not FTS5 syntax: searched as words, no error


def test_diff_shows_the_changed_words_of_the_last_two_versions(
    one_story: Archive, server: LocalServer
) -> None:
    one_story.cli("poll", "--all")
    paragraphs = list(STORY.paragraphs)
    paragraphs[1] = paragraphs[1].replace("next month", "next week")
    edit_story(server, STORY.edited(paragraphs=tuple(paragraphs)))
    look_again(one_story, server)
    url = server.url("/story")

    out = one_story.out("diff", url)

    assert out.splitlines()[0].startswith("--- version 1")
    assert out.splitlines()[1].startswith("+++ version 2")
    changed = [line for line in out.splitlines() if line.startswith("~ ")]
    assert len(changed) == 1
    assert "[-month,-] {+week,+}" in changed[0]
    assert one_story.out("diff", url, "2", "1").count("[-week,-] {+month,+}") == 1
    assert one_story.out("diff", url, "1", "1") == ""


def test_diff_of_an_article_with_one_version_is_a_one_line_error(
    one_story: Archive, server: LocalServer
) -> None:
    one_story.cli("poll", "--all")

    done = one_story.cli("diff", server.url("/story"), check=False)

    assert done.returncode == 1
    assert len(done.stderr.decode().strip().splitlines()) == 1


# -- schema upgrades ---------------------------------------------------------------------------


@pytest.fixture
def v1_archive(archive: Archive) -> Archive:
    """An archive file written by the first release's schema (tests/data/archive-v1.sql)."""
    dump = (PROJECT / "tests/data/archive-v1.sql").read_text(encoding="utf-8")
    with closing(sqlite3.connect(archive.db)) as conn:
        conn.executescript(dump)
    assert scalar(archive.db, "PRAGMA user_version") == 1
    return archive


def test_an_archive_from_the_first_schema_is_upgraded_in_place(v1_archive: Archive) -> None:
    before = query(
        v1_archive.db, "SELECT article_id, number, sha256, text FROM versions ORDER BY id"
    )
    bridge = str(scalar(v1_archive.db, "SELECT url FROM articles WHERE url LIKE '%/a/bridge'"))

    history = json.loads(v1_archive.out("history", bridge, "--json"))

    assert scalar(v1_archive.db, "PRAGMA user_version") == len(MIGRATIONS)
    after = query(
        v1_archive.db, "SELECT article_id, number, sha256, text FROM versions ORDER BY id"
    )
    assert after == before
    assert [(v["number"], v["kind"], v["current"]) for v in history] == [
        (1, "first", False),
        (2, "edit", True),
    ]
    assert v1_archive.out("show", bridge) == before[2][3]
    hits = json.loads(v1_archive.out("search", "Correction", "--json"))
    assert [hit["url"] for hit in hits] == [bridge]


def test_an_upgraded_archive_keeps_versioning(v1_archive: Archive) -> None:
    bridge = str(scalar(v1_archive.db, "SELECT url FROM articles WHERE url LIKE '%/a/bridge'"))
    article = Article(title="Bridge opening date set", body=("The bridge opens in May.",))
    text = render(article)
    version = VersionToStore(article, text, text_hash(text), 5, "test", "2026-01-01T00:00:00+00:00")

    store = Store(v1_archive.db)
    try:
        outcome = store.save(ArticleUrls(linked=bridge), version, datetime.now(UTC))
    finally:
        store.close()

    assert outcome.new_version and not outcome.new_article
    history = json.loads(v1_archive.out("history", bridge, "--json"))
    assert [(v["number"], v["kind"]) for v in history][-1] == (3, "edit")
    assert "title" in history[-1]["changed_fields"]
    hits = json.loads(v1_archive.out("search", "May", "--json"))
    assert [hit["url"] for hit in hits] == [bridge]
    assert json.loads(v1_archive.out("search", "Correction", "--json")) == []


def test_an_archive_from_a_newer_release_is_refused(archive: Archive) -> None:
    with closing(sqlite3.connect(archive.db)) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")

    done = archive.cli("history", "http://127.0.0.1/x", check=False)

    assert done.returncode == 1
    assert "newer than this release" in done.stderr.decode()
