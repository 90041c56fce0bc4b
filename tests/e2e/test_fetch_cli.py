"""`ingester fetch`: feeds told from pages by content, --dry-run, advertised feeds, --add."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from tests.support.cli import Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

STORY = SamplePage("Tram depot to close for repairs", sentences("the tram depot"))

HOME = """<!DOCTYPE html><html><head><title>The Daily Sample</title>
<link rel="alternate" type="application/rss+xml" title="All news" href="/feed.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="{base}/comments.xml">
<link rel="stylesheet" href="/style.css">
</head><body><nav><a href="/story">Tram depot</a></nav></body></html>"""


@pytest.fixture
def site(archive: Archive, server: LocalServer) -> Archive:
    server.set_text("/story", STORY.html(), "text/html")
    server.set_text("/", HOME.format(base=server.base_url), "text/html")
    feed = rss("The Daily Sample", server.url("/"), [FeedItem(STORY.title, server.url("/story"))])
    server.set_text("/feed.xml", feed, "application/rss+xml")
    archive.write_config("[settings]\nhost_gap = 0\n")
    return archive


def count(archive: Archive, table: str) -> int:
    with closing(sqlite3.connect(archive.db)) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_dry_run_prints_the_layout_and_writes_nothing(site: Archive, server: LocalServer) -> None:
    out = site.out("fetch", "--dry-run", server.url("/story"))

    assert out.startswith(STORY.expected_layout())
    assert "not in the archive yet" in out
    assert count(site, "articles") == count(site, "versions") == count(site, "raw_pages") == 0


def test_dry_run_diffs_against_the_archived_version(site: Archive, server: LocalServer) -> None:
    site.cli("fetch", server.url("/story"))
    edited = STORY.edited(title="Tram depot to close for a year")
    server.set_text("/story", edited.html(), "text/html")

    out = site.out("fetch", "--dry-run", server.url("/story"))
    again = site.out("fetch", "--dry-run", server.url("/story"))

    assert out.startswith(edited.expected_layout())
    assert "[-repairs-] {+a year+}" in out
    assert count(site, "versions") == 1
    assert again == out  # the first dry run stored nothing to diff against
    server.set_text("/story", STORY.html(), "text/html")
    assert "identical to version 1" in site.out("fetch", "--dry-run", server.url("/story"))


def test_dry_run_of_a_feed_lists_its_entries(site: Archive, server: LocalServer) -> None:
    before = site.out("fetch", "--dry-run", server.url("/feed.xml"))
    site.cli("fetch", server.url("/story"))
    after = site.out("fetch", "--dry-run", server.url("/feed.xml"))

    assert before.split() == ["new", server.url("/story"), *STORY.title.split()]
    assert after.split()[0] == "archived"
    assert count(site, "feeds") == 0


def test_a_page_that_advertises_feeds_lists_them_and_add_subscribes(
    site: Archive, server: LocalServer
) -> None:
    out = site.out("fetch", server.url("/"), "--add")

    assert f"advertises feed: {server.url('/feed.xml')}" in out
    assert f"advertises feed: {server.url('/comments.xml')}" in out
    assert f"subscribed: {server.url('/feed.xml')}" in out
    assert server.url("/feed.xml") in site.config.read_text(encoding="utf-8")
    assert "comments.xml" not in site.config.read_text(encoding="utf-8")


def test_fetch_add_subscribes_to_a_feed_url(site: Archive, server: LocalServer) -> None:
    out = site.out("fetch", server.url("/feed.xml"), "--add")
    again = site.out("fetch", server.url("/feed.xml"), "--add")

    assert out.startswith("feed:") and "new articles: 1" in out
    assert "subscribed" in out and "already subscribed" in again
    listed = site.out("feeds", "list")
    assert server.url("/feed.xml") in listed


def test_add_on_a_home_page_subscribes_to_its_feed_and_archives_only_the_feed(
    site: Archive, server: LocalServer
) -> None:
    out = site.out("fetch", server.url("/"), "--add")

    config = site.config.read_text(encoding="utf-8")
    assert f'url = "{server.url("/feed.xml")}"\nname = "the-daily-sample"\n' in config
    assert f"subscribed: {server.url('/feed.xml')} added to {site.config}" in out
    assert "article:" not in out  # the home page is no article
    assert "new articles: 1" in out  # the feed was polled at once
    assert count(site, "articles") == count(site, "versions") == 1
    assert site.out("show", server.url("/story")) == STORY.expected_layout()
    [listed] = site.out("feeds", "list").splitlines()
    assert listed.split()[0] == "the-daily-sample" and listed.split()[-1] == "ok"


def test_add_on_a_page_that_advertises_no_feed_archives_nothing(
    site: Archive, server: LocalServer
) -> None:
    done = site.cli("fetch", server.url("/story"), "--add", check=False)

    assert done.returncode == 1
    assert b"nothing to subscribe to: the page advertises no feed" in done.stderr
    assert not site.db.exists() or count(site, "articles") == 0


def test_add_on_a_feed_url_names_it_from_its_title(site: Archive, server: LocalServer) -> None:
    site.cli("fetch", server.url("/feed.xml"), "--add")

    assert 'name = "the-daily-sample"' in site.config.read_text(encoding="utf-8")
