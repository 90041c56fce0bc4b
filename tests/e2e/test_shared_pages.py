"""Several stories of one feed linking one page (store/identity.py), through the real CLI
on a local site: posts that are anchors of a day page, podcast episodes that all link the
show's home page, an entry that comes to share a page it was archived under, and an
archive an earlier release merged such stories in (tests/data/archive-merged-v4.sql)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from ingester.store.migrations import MIGRATIONS
from tests.support.cli import PROJECT, Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

NOTES = {
    "a100632": "The ferry timetable for the summer has two extra crossings on weekends.",
    "a100633": "The library on the square closes for three weeks in July for a new roof.",
    "a100634": "Swimmers are asked to keep clear of the north beach until Friday evening.",
}
EPISODES = {
    "ep-1": "The harbour master on how the tides decide when the big ships come in.",
    "ep-2": "Two fishermen on the quotas, the weather and the new cold store.",
    "ep-3": "The lighthouse keeper's daughter on growing up on the rock.",
}
HOME = SamplePage("Harbour Talk, a podcast", sentences("the podcast"))
DAY = SamplePage("Notes of 24 June", sentences("the day's notes"))


def rows(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def kinds(db: Path) -> list[tuple[object, ...]]:
    """Each article's URL and its versions' kinds."""
    return rows(
        db,
        """SELECT a.url, group_concat(v.kind, ',') FROM articles a
           JOIN (SELECT * FROM versions ORDER BY number) v ON v.article_id = a.id
           GROUP BY a.id ORDER BY a.url""",
    )


def notes(server: LocalServer, ids: list[str]) -> list[FeedItem]:
    return [
        FeedItem(f"Note {i}", server.url(f"/2017/06/24.html#{i}"), guid=i, summary=NOTES[i])
        for i in ids
    ]


def episodes(server: LocalServer, ids: list[str]) -> list[FeedItem]:
    return [
        FeedItem(f"Episode {i}", server.url("/show/"), guid=i, summary=EPISODES[i]) for i in ids
    ]


def serve(server: LocalServer, path: str, items: list[FeedItem]) -> None:
    server.set_text(path, rss("Harbour", server.url("/"), items), "application/rss+xml")


def configure(archive: Archive, server: LocalServer, path: str) -> None:
    archive.write_config(f'[settings]\nhost_gap = 0\n\n[[feeds]]\nurl = "{server.url(path)}"\n')


def test_posts_that_are_anchors_of_one_page_are_articles_of_their_own(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/2017/06/24.html", DAY.html(), "text/html")
    serve(server, "/notes.xml", notes(server, ["a100632", "a100633"]))
    configure(archive, server, "/notes.xml")
    archive.cli("poll")
    serve(server, "/notes.xml", notes(server, list(NOTES)))
    archive.cli("poll", "--all")

    assert kinds(archive.db) == [
        (server.url(f"/2017/06/24.html#{i}"), "first") for i in sorted(NOTES)
    ]
    assert server.hits("/2017/06/24.html") == 0  # the day page is no post's to version
    shown = archive.out("show", server.url("/2017/06/24.html#a100633"))
    assert NOTES["a100633"] in shown and NOTES["a100632"] not in shown


def test_episodes_that_all_link_the_home_page_are_never_edits_of_each_other(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/show/", HOME.html(), "text/html")
    serve(server, "/podcast.xml", episodes(server, ["ep-1", "ep-2"]))
    configure(archive, server, "/podcast.xml")
    archive.cli("poll")
    serve(server, "/podcast.xml", episodes(server, list(EPISODES)))
    archive.cli("poll", "--all")

    found = kinds(archive.db)
    assert [k for _, k in found] == ["first"] * 3
    assert all(str(url).startswith("urn:ingester:entry:") for url, _ in found)
    assert server.hits("/show/") == 0
    hits = json.loads(archive.out("search", "lighthouse", "--json"))
    assert len(hits) == 1


def test_the_same_story_twice_under_two_guids_stays_one_article(
    archive: Archive, server: LocalServer
) -> None:
    story = SamplePage("Harbour wall to be rebuilt", sentences("the harbour wall"))
    server.set_text("/a/wall", story.html(), "text/html")
    twice = [
        FeedItem(story.title, server.url("/a/wall"), guid=guid, summary="The wall.")
        for guid in ("old-guid", "new-guid")
    ]
    serve(server, "/news.xml", twice)
    configure(archive, server, "/news.xml")
    archive.cli("poll")

    assert kinds(archive.db) == [(server.url("/a/wall"), "first")]
    assert server.hits("/a/wall") >= 1


def test_an_entry_that_comes_to_share_a_page_takes_the_earlier_one_apart(
    archive: Archive, server: LocalServer
) -> None:
    # The feed shows one episode at a time: the first is archived as the home page's
    # article; the next one, linking the same page, shows that page is nobody's.
    server.set_text("/show/", HOME.html(), "text/html")
    serve(server, "/podcast.xml", episodes(server, ["ep-1"]))
    configure(archive, server, "/podcast.xml")
    archive.cli("poll")
    assert kinds(archive.db) == [(server.url("/show/"), "first")]

    serve(server, "/podcast.xml", episodes(server, ["ep-2"]))
    archive.cli("poll", "--all")

    found = kinds(archive.db)
    assert "edit" not in ",".join(str(k) for _, k in found)
    entries = rows(
        archive.db,
        "SELECT e.entry_key, a.url FROM feed_entries e JOIN articles a ON a.id = e.article_id",
    )
    assert sorted(str(key) for key, _ in entries) == ["ep-1", "ep-2"]
    assert all(str(url).startswith("urn:ingester:entry:") for _, url in entries)
    # The home page keeps the version it was archived with, and is not looked at again.
    home = rows(
        archive.db, "SELECT next_check_at FROM articles WHERE url = ?", server.url("/show/")
    )
    assert home == [(None,)]


# -- an archive made before the rule ------------------------------------------------------


@pytest.fixture
def merged_archive(archive: Archive) -> Archive:
    """tests/data/archive-merged-v4.sql, written by the release before this rule."""
    dump = (PROJECT / "tests/data/archive-merged-v4.sql").read_text(encoding="utf-8")
    with closing(sqlite3.connect(archive.db)) as conn:
        conn.executescript(dump)
    archive.write_config("[settings]\n")
    return archive


def test_an_archive_with_merged_stories_is_split_keeping_every_version(
    merged_archive: Archive,
) -> None:
    db = merged_archive.db
    before = rows(db, "SELECT sha256, text FROM versions ORDER BY id")
    [(day_page,)] = rows(db, "SELECT url FROM articles WHERE url LIKE '%/24.html'")
    [(home,)] = rows(db, "SELECT url FROM articles WHERE url LIKE '%/show/'")
    assert rows(db, "SELECT count(*) FROM articles") == [(3,)]

    merged_archive.out("status")  # opening the archive upgrades it

    assert rows(db, "PRAGMA user_version") == [(len(MIGRATIONS),)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "PRAGMA foreign_key_check") == []
    after = rows(db, "SELECT sha256, text FROM versions")
    assert set(before) <= set(after)  # nothing lost
    owners = {
        str(key): str(url)
        for key, url in rows(
            db,
            "SELECT e.entry_key, a.url FROM feed_entries e JOIN articles a ON a.id = e.article_id",
        )
    }
    # Each note is its anchor; each episode its own article; the story is untouched.
    for note in ("note-100632", "note-100633", "note-100634", "note-100635"):
        assert owners[note] == f"{day_page}#a{note.removeprefix('note-')}"
    episode_urls = {owners[f"episode-{n}"] for n in (1, 2, 3)}
    assert len(episode_urls) == 3 and all(u.startswith("urn:ingester:entry:") for u in episode_urls)
    assert str(owners["story-1"]).endswith("/2017/06/bridge.html")
    # Every episode holds the version its own text made, as its first; the home page,
    # whose every version was an episode's, is gone.
    for n in (1, 2, 3):
        [(kind, title)] = rows(
            db,
            """SELECT v.kind, v.title FROM versions v JOIN articles a ON a.id = v.article_id
               WHERE a.url = ?""",
            owners[f"episode-{n}"],
        )
        assert (kind, title) == ("first", f"Episode {n}")
    assert rows(db, "SELECT 1 FROM articles WHERE url = ?", home) == []
    # The day page keeps its own two versions (two notes added are the page's change).
    assert rows(
        db,
        """SELECT v.number, v.kind FROM versions v JOIN articles a ON a.id = v.article_id
           WHERE a.url = ? ORDER BY v.number""",
        day_page,
    ) == [(1, "first"), (2, "edit")]
    hits = json.loads(merged_archive.out("search", "lighthouse", "--json"))
    assert [hit["url"] for hit in hits] == [owners["episode-3"]]


def test_an_episode_archived_alone_is_taken_apart_when_the_next_poll_lists_two(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/show/", HOME.html(), "text/html")
    serve(server, "/podcast.xml", episodes(server, ["ep-1"]))
    configure(archive, server, "/podcast.xml")
    archive.cli("poll")
    serve(server, "/podcast.xml", episodes(server, ["ep-1", "ep-2"]))  # both in one poll
    archive.cli("poll", "--all")

    entries = rows(
        archive.db,
        "SELECT e.entry_key, a.url FROM feed_entries e JOIN articles a ON a.id = e.article_id",
    )
    assert sorted(str(key) for key, _ in entries) == ["ep-1", "ep-2"]
    assert all(str(url).startswith("urn:ingester:entry:") for _, url in entries)
    assert "edit" not in ",".join(str(k) for _, k in kinds(archive.db))
