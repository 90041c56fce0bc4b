"""The reading room in a real browser: Debian's headless Chromium, driven by Playwright,
against ``ingester serve`` on an archive the real CLI made, with a real edit in it. What is
asserted is what the browser shows: the headline, the timeline, the inserted word
highlighted, and a captured page whose script never runs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.cli import Archive
from tests.support.httpserver import LocalServer
from tests.support.serving import serving

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, in a sandbox with no network beyond loopback: no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEADLINE = "Harbour wall to be rebuilt in granite"
BEFORE = "Engineers will rebuild the harbour wall before the winter storms arrive this year."
AFTER = "Engineers will rebuild the old harbour wall before the winter storms arrive this year."
REST = (
    "The council approved the plan on Tuesday after a long debate about its cost.",
    "Fishing boats will moor at the north quay while the work goes on.",
)
# Would replace the page, and the reading room's title, if it ran.
SCRIPT = (
    "<script>document.body.innerHTML='<p id=ran>ran</p>';"
    "try { top.document.title = 'script ran' } catch (e) {}</script>"
)


def story(first: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in (first, *REST))
    return (
        f"<!DOCTYPE html><html><head><title>{HEADLINE}</title></head><body>"
        f"<article><h1>{HEADLINE}</h1><p class='byline'>By Ann Quayle</p>{paragraphs}"
        f"</article>{SCRIPT}</body></html>"
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def room(archive: Archive, server: LocalServer) -> Iterator[tuple[str, str]]:
    """The reading room on an archive where the story was fetched, edited, fetched again."""
    archive.write_config("[settings]\nhost_gap = 0\n")
    url = server.url("/local/harbour-wall")
    server.set_text("/local/harbour-wall", story(BEFORE), "text/html; charset=utf-8")
    archive.cli("fetch", url)
    server.set_text("/local/harbour-wall", story(AFTER), "text/html; charset=utf-8")
    archive.cli("fetch", url)
    with serving(archive) as base:
        yield base, url


def test_the_article_page_shows_the_story_and_its_timeline(
    browser: Browser, room: tuple[str, str]
) -> None:
    base, url = room
    page = browser.new_page()
    page.goto(f"{base}/-/article?url={quote(url, safe='')}")

    assert page.locator("h1.headline").inner_text() == HEADLINE
    assert page.locator(".body p").first.inner_text() == AFTER
    rows = page.locator("table.timeline tr").all_inner_texts()[1:]
    assert [row.split("\t")[2].strip() for row in rows] == ["first", "edit"]
    assert page.title() == HEADLINE
    page.close()


def test_the_captured_page_never_runs_its_script(browser: Browser, room: tuple[str, str]) -> None:
    base, url = room
    page = browser.new_page()
    page.goto(f"{base}/-/article?url={quote(url, safe='')}&version=1")

    frame_element = page.locator("iframe.capture")
    assert frame_element.get_attribute("sandbox") == ""
    page.wait_for_load_state("load")  # the frame's too: a script allowed to run has run
    capture = page.frame_locator("iframe.capture")
    # The script did not replace the captured page, which shows as it was fetched.
    assert capture.locator("#ran").count() == 0
    assert capture.locator("h1").inner_text(timeout=10_000) == HEADLINE
    assert page.title() == HEADLINE
    page.close()


def test_the_diff_page_highlights_the_inserted_word(
    browser: Browser, room: tuple[str, str]
) -> None:
    base, url = room
    page = browser.new_page()
    page.goto(f"{base}/-/diff?url={quote(url, safe='')}&a=1&b=2")

    inserted = page.locator("#body .inline ins")
    assert inserted.all_inner_texts() == ["old"]
    assert page.locator("#body .inline del").count() == 0
    background = inserted.first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(212, 247, 212)"  # the highlight, not the text around it
    around = page.locator("#body .inline p").first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert around != background
    page.close()


def test_the_front_page_links_the_edit_and_the_edits_feed(
    browser: Browser, room: tuple[str, str]
) -> None:
    base, _ = room
    page = browser.new_page()
    page.goto(f"{base}/")

    page.locator("ul.edited a.diff").first.click()
    assert page.url.startswith(f"{base}/-/diff?")
    assert page.locator("#body .inline ins").inner_text() == "old"
    page.goto(f"{base}/")
    assert page.locator("a", has_text="Subscribe to the edits (Atom)").count() == 1
    page.close()


def test_search_and_the_edits_feed_against_the_served_archive(
    browser: Browser, room: tuple[str, str]
) -> None:
    base, url = room
    page = browser.new_page()
    page.goto(f"{base}/")
    page.fill("input[name=q]", "old harbour")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(f"{base}/-/search?q=old+harbour")

    assert page.locator("ol.hits mark").all_inner_texts()[:2] == ["old", "harbour"]
    page.locator("ol.hits a").first.click()
    assert page.locator("h1.headline").inner_text() == HEADLINE

    atom = page.request.get(f"{base}/-/edits.atom")
    assert atom.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(atom.body())
    assert not feed.bozo and len(feed.entries) == 1
    assert feed.entries[0].link == f"{base}/-/diff?url={quote(url, safe='')}&a=1&b=2"
    assert "<ins>old</ins>" in feed.entries[0].content[0].value
    page.close()
