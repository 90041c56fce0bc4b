"""The SSRF guard: pages may not lead to private addresses; configured feeds may."""

from __future__ import annotations

import asyncio

import pytest

from ingester.config import Settings
from ingester.errors import FetchError
from ingester.fetch import Fetcher
from ingester.fetch.guard import GuardedResolver, PrivateAddressError, is_public
from tests.support.httpserver import LocalServer, Route


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.8",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.251",
        "::1",
        "fe80::1",
        "fd00:ec2::254",  # a cloud's IPv6 metadata address
        "::ffff:127.0.0.1",  # IPv4 loopback in IPv6 clothing
    ],
)
def test_private_local_and_metadata_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_global_addresses_are_public(address: str) -> None:
    assert is_public(address)


def fetch(settings: Settings, call: str, url: str) -> bytes:
    async def go() -> bytes:
        async with Fetcher(settings) as fetcher:
            result = await getattr(fetcher, call)(url)
            return bytes(result.content)

    return asyncio.run(go())


@pytest.fixture
def local(server: LocalServer) -> LocalServer:
    server.set("/feed.xml", Route(b"<rss version='2.0'><channel/></rss>"))
    server.set("/page", Route(b"<html><body><p>hello</p></body></html>"))
    return server


def test_a_page_on_a_private_address_is_refused_by_default(local: LocalServer) -> None:
    settings = Settings(robots=False, host_gap=0.0)

    with pytest.raises(FetchError, match="private or local address"):
        fetch(settings, "get_page", local.url("/page"))

    assert local.hits("/page") == 0  # refused before connecting


def test_a_configured_feed_may_be_private_unless_the_setting_says_no(local: LocalServer) -> None:
    assert b"rss" in fetch(Settings(host_gap=0.0), "get_feed", local.url("/feed.xml"))
    with pytest.raises(FetchError, match="private or local address"):
        fetch(Settings(host_gap=0.0, private_feeds=False), "get_feed", local.url("/feed.xml"))


def test_private_pages_can_be_allowed(local: LocalServer) -> None:
    settings = Settings(robots=False, host_gap=0.0, private_pages=True)

    assert b"hello" in fetch(settings, "get_page", local.url("/page"))


def test_a_name_is_checked_by_what_it_resolves_to(local: LocalServer) -> None:
    port = int(local.base_url.rsplit(":", 1)[1])

    async def resolve() -> None:
        await GuardedResolver().resolve("localhost", port)

    with pytest.raises(PrivateAddressError, match="localhost"):
        asyncio.run(resolve())


def test_a_page_under_a_name_for_a_private_address_is_refused(local: LocalServer) -> None:
    url = local.url("/page").replace("127.0.0.1", "localhost")
    settings = Settings(robots=False, host_gap=0.0)
    with pytest.raises(FetchError, match="localhost is a private or local address") as caught:
        fetch(settings, "get_page", url)
    assert "\n" not in str(caught.value)
    assert local.hits("/page") == 0


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/feed.xml", "javascript:alert(1)", "gopher://x"]
)
def test_other_schemes_are_refused_with_a_clear_error(url: str) -> None:
    with pytest.raises(FetchError, match="only http and https URLs are fetched") as caught:
        fetch(Settings(), "get_feed", url)
    assert "\n" not in str(caught.value)


def test_a_private_page_is_refused_as_private_not_as_disallowed_by_robots(
    local: LocalServer,
) -> None:
    settings = Settings(host_gap=0.0)  # robots.txt honoured: its own fetch is refused first

    with pytest.raises(FetchError, match="private or local address") as caught:
        fetch(settings, "get_page", local.url("/page"))

    assert "robots" not in str(caught.value)
    assert "private_pages = true" in str(caught.value)
    assert local.hits("/robots.txt") == local.hits("/page") == 0


def test_a_refused_feed_names_the_setting_that_allows_feeds(local: LocalServer) -> None:
    settings = Settings(host_gap=0.0, private_feeds=False)

    with pytest.raises(FetchError, match="private or local address") as caught:
        fetch(settings, "get_feed", local.url("/feed.xml"))

    assert "private_feeds = true" in str(caught.value)
    assert "private_pages" not in str(caught.value)
