"""Feeds of sample pages served by the test server, and the archive's config naming them,
for end-to-end tests that poll a small site through the real CLI."""

from __future__ import annotations

from tests.support.cli import Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss


def serve_feeds(
    archive: Archive, server: LocalServer, feeds: dict[str, dict[str, SamplePage]]
) -> None:
    """Serve each page at its path and each feed, by name, at ``/{name}.xml`` (its items
    the pages, in order); the config subscribes to them all, named, with no host gap."""
    config = "[settings]\nhost_gap = 0\n"
    for name, pages in feeds.items():
        items = []
        for path, page in pages.items():
            server.set_text(path, page.html(), "text/html")
            items.append(FeedItem(page.title, server.url(path)))
        url = server.url(f"/{name}.xml")
        server.set_text(
            f"/{name}.xml", rss(name.title(), server.url("/"), items), "application/rss+xml"
        )
        config += f'\n[[feeds]]\nurl = "{url}"\nname = "{name}"\n'
    archive.write_config(config)
