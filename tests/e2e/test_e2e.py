"""The whole pipeline through the real CLI, against a real HTTP server and a real archive."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.cli import Archive
from tests.support.httpserver import LocalServer, Route
from tests.support.samples import FeedItem, SamplePage, atom, rss, sentences

pytestmark = pytest.mark.e2e

BRIDGE = SamplePage(
    "Council approves new bridge over the river",
    sentences("the bridge"),
    image_alt="The old bridge at dusk",
    image_caption="The old bridge at dusk. (Photo: A. Writer)",
)
BUDGET = SamplePage("City budget passes after long debate", sentences("the budget", 7), author=None)
HEAT = SamplePage("Heat warning issued for the weekend", sentences("the heat"), section="Weather")
RAIL = SamplePage("Rail line to reopen in spring", sentences("the railway", 3), section=None)


@dataclass
class Site:
    server: LocalServer
    edits: int = 0
    titles: dict[str, str] = field(default_factory=dict)  # entries renamed in the feeds

    def url(self, path: str) -> str:
        return self.server.url(path)

    def page(self, path: str, page: SamplePage) -> None:
        self.server.set_text(path, page.html(), "text/html; charset=utf-8")

    def edit(self, path: str, page: SamplePage) -> None:
        """The publisher changes a page, and its feeds say they were rebuilt."""
        self.page(path, page)
        self.publish()

    def publish(self) -> None:
        """Serve the feeds, with a new build time each call."""
        self.edits += 1
        s = self.url
        build = f"Mon, 21 Jul 2025 {10 + self.edits:02d}:00:00 GMT"
        self.server.set_text(
            "/rss.xml",
            rss(
                "The Daily Sample",
                s("/"),
                [
                    FeedItem(
                        self.titles.get("/a/bridge", BRIDGE.title),
                        s("/a/bridge?utm_source=rss&utm_medium=feed"),
                    ),
                    FeedItem(BUDGET.title, s("/r/budget")),
                    FeedItem("A page that is gone", s("/a/missing"), summary="Gone soon."),
                    FeedItem("A page that never answers", s("/a/slow")),
                ],
                build=build,
            ),
            "application/rss+xml; charset=utf-8",
        )
        self.server.set_text(
            "/atom.xml",
            atom(
                "The Weekly Sample",
                s("/"),
                [
                    FeedItem(self.titles.get("/b/heat", HEAT.title), s("/b/heat")),
                    FeedItem(RAIL.title, s("/b/rail")),
                ],
                updated=f"2025-07-21T{10 + self.edits:02d}:00:00Z",
            ),
            "application/atom+xml",
        )


@pytest.fixture
def site(server: LocalServer) -> Iterator[Site]:
    """A news site: an RSS feed and an Atom feed, their pages, one missing and one slow."""
    s = Site(server)
    s.page("/a/bridge", BRIDGE)
    s.page("/a/budget", BUDGET)
    s.page("/b/heat", HEAT)
    s.page("/b/rail", RAIL)
    server.set("/r/budget", Route(b"", status=301, headers={"Location": "/a/budget"}))
    server.set_text("/a/slow", BRIDGE.html(), "text/html", delay=30)
    s.publish()
    yield s


@pytest.fixture
def configured(archive: Archive, site: Site) -> Archive:
    archive.write_config(
        f"""
[settings]
timeout = 1.0
host_gap = 0

[[feeds]]
url = "{site.url("/rss.xml")}"
name = "daily"

[[feeds]]
url = "{site.url("/atom.xml")}"
name = "weekly"
"""
    )
    return archive


def rows(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def count_versions(db: Path) -> int:
    [(count,)] = rows(db, "SELECT COUNT(*) FROM versions")
    assert isinstance(count, int)
    return count


def test_poll_archives_rss_and_atom_in_the_article_layout(configured: Archive, site: Site) -> None:
    out = configured.out("poll", "--all")

    lines = out.splitlines()
    assert len(lines) == 2
    daily, weekly = lines
    # The two pages that failed are still recorded, from what the feed says about them.
    assert "daily" in daily and "new articles: 4" in daily and "page errors: 2" in daily
    assert "weekly" in weekly and "new articles: 2" in weekly and "new versions: 2" in weekly
    assert configured.out("show", site.url("/a/bridge")) == BRIDGE.expected_layout()
    assert configured.out("show", site.url("/b/heat")) == HEAT.expected_layout()
    assert configured.out("show", site.url("/b/rail")) == RAIL.expected_layout()


def test_an_article_is_found_under_every_url_it_was_seen_under(
    configured: Archive, site: Site
) -> None:
    configured.cli("poll", "--all")

    expected = BUDGET.expected_layout()
    assert configured.out("show", site.url("/r/budget")) == expected  # as linked
    assert configured.out("show", site.url("/a/budget")) == expected  # after the redirect
    tracked = site.url("/a/bridge?utm_source=rss&utm_medium=feed")
    assert configured.out("show", tracked) == configured.out("show", site.url("/a/bridge"))


def test_show_writes_the_stored_text_byte_for_byte(configured: Archive, site: Site) -> None:
    configured.cli("poll", "--all")

    shown = configured.cli("show", site.url("/a/bridge")).stdout
    stored = rows(configured.db, "SELECT text FROM versions WHERE title = ?", BRIDGE.title)
    assert shown == str(stored[0][0]).encode("utf-8")


def test_a_second_poll_of_unchanged_content_adds_no_version(
    configured: Archive, site: Site
) -> None:
    configured.cli("poll", "--all")
    before = count_versions(configured.db)

    out = configured.out("poll", "--all")

    assert count_versions(configured.db) == before
    assert all("new articles: 0, new versions: 0" in line for line in out.splitlines())


def test_an_edited_page_adds_exactly_one_version(configured: Archive, site: Site) -> None:
    configured.cli("poll", "--all")
    before = count_versions(configured.db)
    paragraphs = list(BRIDGE.paragraphs)
    paragraphs[2] = "Correction: the council approved the bridge by a vote of seven to two."
    edited = BRIDGE.edited(paragraphs=tuple(paragraphs))
    site.edit("/a/bridge", edited)
    url = site.url("/a/bridge")

    configured.cli("fetch", url)  # a re-check: the feed's entry is as it was
    configured.cli("fetch", url)

    assert count_versions(configured.db) == before + 1
    history = json.loads(configured.out("history", url, "--json"))
    assert [v["number"] for v in history] == [1, 2]
    assert history[1]["changed_fields"] == ["body"]
    assert configured.out("show", url, "--version", "1") == BRIDGE.expected_layout()
    assert configured.out("show", url) == edited.expected_layout()


def test_a_rebuilt_feed_fetches_again_only_the_entries_that_changed(
    configured: Archive, site: Site
) -> None:
    configured.cli("poll", "--all")
    before = {path: site.server.hits(path) for path in ("/a/bridge", "/b/heat")}
    site.publish()  # a new build time, the same entries

    out = configured.out("poll", "--all")

    assert "new articles: 0, new versions: 0" in out
    assert {path: site.server.hits(path) for path in before} == before
    site.titles["/b/heat"] = "Heat warning extended to Monday"
    site.edit("/b/heat", HEAT.edited(title=site.titles["/b/heat"]))

    configured.cli("poll", "--all")

    assert site.server.hits("/a/bridge") == before["/a/bridge"]
    assert site.server.hits("/b/heat") > before["/b/heat"]
    assert len(json.loads(configured.out("history", site.url("/b/heat"), "--json"))) == 2


def test_history_lists_versions_with_hash_words_and_changes(
    configured: Archive, site: Site
) -> None:
    configured.cli("poll", "--all")
    site.edit("/b/heat", HEAT.edited(title="Heat warning extended to Monday"))
    configured.cli("fetch", site.url("/b/heat"))

    lines = configured.out("history", site.url("/b/heat")).splitlines()

    hashes = rows(configured.db, "SELECT sha256 FROM versions ORDER BY id")
    assert len(lines) == 2
    assert lines[0].split()[0] == "1" and "first version" in lines[0]
    # "*" marks the version the article shows now.
    assert lines[1].split()[:2] == ["*", "2"] and "title" in lines[1]
    words = sum(len(p.split()) for p in HEAT.paragraphs)
    assert f"{words} words" in lines[1]
    assert any(str(h[0])[:16] in lines[1] for h in hashes)


def test_failed_pages_do_not_stop_the_poll_and_are_on_record(
    configured: Archive, site: Site
) -> None:
    done = configured.cli("poll", "daily")

    assert done.returncode == 0
    assert configured.out("show", site.url("/a/bridge")) == BRIDGE.expected_layout()
    [(page_errors,)] = rows(configured.db, "SELECT page_errors FROM polls")
    errors = json.loads(str(page_errors))
    assert any("/a/missing" in e and "404" in e for e in errors)
    assert any("/a/slow" in e and "timed out" in e for e in errors)
    # The missing page is kept from what the feed said about it, marked as such.
    missing = site.url("/a/missing")
    assert json.loads(configured.out("history", missing, "--json"))[0]["source"] == "feed"
    assert "Gone soon." in configured.out("show", missing)
    [(last_error,)] = rows(
        configured.db,
        "SELECT a.last_error FROM articles a JOIN article_urls u ON u.article_id = a.id"
        " WHERE u.url = ?",
        missing,
    )
    assert "404" in str(last_error)


def test_a_feed_that_fails_is_reported_and_the_others_still_polled(
    configured: Archive, site: Site
) -> None:
    site.server.set_text("/atom.xml", "<html><body>Maintenance</body></html>", "text/html")

    out = configured.out("poll", "--all")

    daily, weekly = out.splitlines()
    assert daily.startswith("ok")
    assert weekly.startswith("error") and "not an RSS or Atom feed" in weekly
    [(status, failures, error)] = rows(
        configured.db,
        "SELECT last_status, consecutive_failures, last_error FROM feeds WHERE name = 'weekly'",
    )
    assert (status, failures) == ("error", 1)
    assert "not an RSS or Atom feed" in str(error)


def test_poll_without_all_polls_only_due_feeds(configured: Archive, site: Site) -> None:
    configured.cli("poll", "--all")
    hits = site.server.hits("/rss.xml")

    out = configured.out("poll")

    assert "no feeds due" in out
    assert site.server.hits("/rss.xml") == hits


def test_fetch_archives_an_article_url_alone(configured: Archive, site: Site) -> None:
    lone = SamplePage("A story no feed carries", sentences("a lone story"))
    site.page("/c/lone", lone)

    out = configured.out("fetch", site.url("/c/lone"))

    assert out.startswith("article: new version")
    assert configured.out("show", site.url("/c/lone")) == lone.expected_layout()
    assert site.server.hits("/rss.xml") == 0


def test_fetch_polls_a_feed_url(configured: Archive, site: Site) -> None:
    out = configured.out("fetch", site.url("/atom.xml"))

    assert out.startswith("feed:") and "new articles: 2" in out
    assert configured.out("show", site.url("/b/rail")) == RAIL.expected_layout()


def test_show_of_an_unknown_url_is_a_one_line_error(configured: Archive, site: Site) -> None:
    configured.cli("poll", "--all")

    done = configured.cli("show", site.url("/never/seen"), check=False)

    assert done.returncode == 1
    assert done.stdout == b""
    assert len(done.stderr.decode().strip().splitlines()) == 1
    assert "no article archived" in done.stderr.decode()


def test_a_bad_config_is_refused_in_one_line_and_nothing_is_written(
    archive: Archive, site: Site
) -> None:
    archive.write_config(f'[[feeds]]\nurl = "{site.url("/rss.xml")}"\nintervall = "5m"\n')

    done = archive.cli("poll", "--all", check=False)

    assert done.returncode == 1
    message = done.stderr.decode().strip()
    assert len(message.splitlines()) == 1
    assert str(archive.config) in message and "feed 1" in message and "intervall" in message
    assert not archive.db.exists()
    assert site.server.hits("/rss.xml") == 0


def test_a_page_that_later_fails_keeps_its_page_version(configured: Archive, site: Site) -> None:
    configured.cli("poll", "daily")
    before = count_versions(configured.db)
    site.server.set_text("/a/bridge", "Service Unavailable", "text/plain", status=503)
    site.titles["/a/bridge"] = "Bridge vote: what happens next"  # so the poll looks again
    site.publish()

    out = configured.out("poll", "daily")

    # The feed's text is a fallback for pages never seen, not a new version of one seen.
    assert "new versions: 0" in out
    assert count_versions(configured.db) == before
    assert configured.out("show", site.url("/a/bridge")) == BRIDGE.expected_layout()
    [(last_error,)] = rows(
        configured.db, "SELECT last_error FROM articles WHERE url LIKE '%/a/bridge'"
    )
    assert "503" in str(last_error)
