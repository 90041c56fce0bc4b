"""Pages on private addresses through the real CLI: refused for what they are, and a URL
typed to `ingester fetch` trusted as a feed you configured is (`private_feeds`)."""

from __future__ import annotations

import pytest

from tests.support.cli import Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

STORY = SamplePage("Tram depot to close for repairs", sentences("the tram depot"))
REFUSED = "is a private or local address"


@pytest.fixture
def site(server: LocalServer) -> LocalServer:
    server.set_text("/story", STORY.html(), "text/html")
    items = [FeedItem(STORY.title, server.url("/story"))]
    server.set_text("/feed.xml", rss("Trams", server.url("/"), items), "application/rss+xml")
    return server


def test_a_page_refused_as_private_says_so_on_the_poll_line(
    archive: Archive, site: LocalServer
) -> None:
    feed = site.url("/feed.xml")
    archive.write_config(  # private_pages stays off: the feed may be local, its pages not
        f'[settings]\nhost_gap = 0\nprivate_pages = false\n\n[[feeds]]\nurl = "{feed}"\n'
        'name = "trams"\n'
    )

    out = archive.out("poll", "--all")

    assert "page errors: 1" in out
    story = site.url("/story")
    assert f"(first: {story}: fetch: refused: 127.0.0.1 {REFUSED}; set private_pages" in out
    assert "set private_pages = true to allow it" in out
    assert "robots" not in out
    assert site.hits("/story") == site.hits("/robots.txt") == 0


def test_an_article_url_typed_to_fetch_is_trusted_like_a_configured_feed(
    archive: Archive, site: LocalServer
) -> None:
    archive.write_config("[settings]\nhost_gap = 0\nprivate_pages = false\n")

    out = archive.out("fetch", site.url("/story"))

    assert out.startswith(f"article: new version  {site.url('/story')}")
    assert archive.out("show", site.url("/story")) == STORY.expected_layout()


def test_a_typed_url_is_refused_when_private_feeds_is_off(
    archive: Archive, site: LocalServer
) -> None:
    archive.write_config("[settings]\nhost_gap = 0\nprivate_pages = false\nprivate_feeds = false\n")

    done = archive.cli("fetch", site.url("/story"), check=False)

    assert done.returncode == 1
    [line] = done.stderr.decode().splitlines()
    assert REFUSED in line and "set private_feeds = true to allow it" in line
    assert site.hits("/story") == 0
