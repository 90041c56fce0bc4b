"""What the commands print for people: intervals as written in the config, columns that
line up, counts that agree with their nouns, and a search that found nothing saying so."""

from __future__ import annotations

import pytest

from tests.support.cli import Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

FERRY = SamplePage("Ferry timetable changes in winter", sentences("the ferry"))
MARKET = SamplePage("Night market returns to the square", sentences("the market"))


@pytest.fixture
def site(archive: Archive, server: LocalServer) -> Archive:
    server.set_text("/ferry", FERRY.html(), "text/html")
    server.set_text("/market", MARKET.html(), "text/html")
    ferry = [FeedItem(FERRY.title, server.url("/ferry"))]
    market = [FeedItem(MARKET.title, server.url("/market"))]
    server.set_text("/h.xml", rss("Harbour", server.url("/"), ferry), "application/rss+xml")
    server.set_text("/market-news.xml", rss("M", server.url("/"), market), "application/rss+xml")
    archive.write_config(
        "[settings]\nhost_gap = 0\n\n"
        f'[[feeds]]\nurl = "{server.url("/h.xml")}"\nname = "harbour-and-shipping"\n'
        'interval = "2h"\n\n'
        f'[[feeds]]\nurl = "{server.url("/market-news.xml")}"\nname = "m"\n'
    )
    return archive


def columns(line: str) -> list[int]:
    """Where each column of a line starts: after a run of two or more spaces."""
    starts, gap = [0], 0
    for i, char in enumerate(line):
        if char == " ":
            gap += 1
        else:
            if gap >= 2:
                starts.append(i)
            gap = 0
    return starts


def test_feeds_list_shows_intervals_as_durations_in_columns(site: Archive) -> None:
    before = site.out("feeds", "list").splitlines()
    site.cli("poll", "--all")
    after = site.out("feeds", "list").splitlines()

    for lines in (before, after):
        assert len(lines) == 2
        assert "every" not in "".join(lines)
        assert lines[0].split()[2] == "2h" and lines[1].split()[2] == "30m"
        assert columns(lines[0]) == columns(lines[1])
    assert [line.split()[3] for line in after] == ["ok", "ok"]


def test_status_lines_up_its_feeds_and_says_the_tick_as_a_duration(site: Archive) -> None:
    site.cli("poll", "--all")

    lines = site.out("status").splitlines()[1:]

    assert len(lines) == 2
    assert columns(lines[0])[:3] == columns(lines[1])[:3]


def test_a_search_that_matches_nothing_says_so(site: Archive) -> None:
    site.cli("poll", "--all")

    assert site.out("search", "quokka") == "no articles match 'quokka'\n"
    assert site.out("search", "quokka", "--json") == "[]\n"


def test_counts_agree_with_their_nouns(site: Archive, server: LocalServer) -> None:
    site.cli("poll", "--all")

    one = site.out("reextract", server.url("/ferry"))
    every = site.out("reextract", "--all")
    exported = site.out("export", str(site.dir / "out"), "--feed", "m")

    assert one == "re-extracted 1 article: 0 changed\n"
    assert every == "re-extracted 2 articles: 0 changed\n"
    assert exported == f"exported 1 version to {site.dir / 'out'}\n"
