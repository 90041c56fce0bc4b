"""Dates (ingester/extract/dates.py): ISO 8601 at the page's offset, from the first
candidate that reads as a date."""

from __future__ import annotations

import pytest
from lxml import html

from ingester.clock import iso_date
from ingester.extract import extract_page
from ingester.extract.dates import modified, published


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("2024-05-03T12:00:00+02:00", "2024-05-03T12:00:00+02:00"),
        ("2024-05-03T10:00:00Z", "2024-05-03T10:00:00+00:00"),
        ("2024-05-03T10:00:00.000Z", "2024-05-03T10:00:00+00:00"),
        ("2024-05-03", "2024-05-03"),
        ("Fri, 28 Apr 2023 19:20:36 +0200", "2023-04-28T19:20:36+02:00"),
        ("Fri Apr 28 19:20:36 CEST 2023", "2023-04-28T19:20:36+02:00"),
        ("2024-05-03 12:00:00", "2024-05-03T12:00:00"),  # no zone given: none invented
    ],
)
def test_dates_are_stored_as_iso_8601_at_the_pages_offset(written: str, stored: str) -> None:
    assert iso_date(written) == stored


@pytest.mark.parametrize("junk", ["", "  ", "yesterday-ish", "2024-13-45", "0001-01-01", "12"])
def test_what_does_not_read_as_a_date_is_none(junk: str) -> None:
    assert iso_date(junk) is None


def tree(head: str, body: str) -> object:
    return html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def test_structured_data_comes_before_meta_tags_and_the_page() -> None:
    page = tree("", "<article><time datetime='2020-01-01'>1 Jan</time></article>")
    ld = {"datePublished": "2024-05-03T12:00:00+02:00"}
    meta = {"article:published_time": "2023-01-01T00:00:00Z"}
    container = page.find(".//article")  # type: ignore[attr-defined]
    assert published(ld, meta, container, page) == "2024-05-03T12:00:00+02:00"
    assert published({}, meta, container, page) == "2023-01-01T00:00:00+00:00"
    assert published({}, {}, container, page) == "2020-01-01"


def test_an_unreadable_candidate_is_passed_over_for_the_next() -> None:
    page = tree("", "<article></article>")
    container = page.find(".//article")  # type: ignore[attr-defined]
    meta = {"article:published_time": "soon", "dc.date": "2022-02-02"}
    assert published({"datePublished": "n/a"}, meta, container, page) == "2022-02-02"


def test_microdata_gives_the_modified_date() -> None:
    page = tree("", "<article><meta itemprop='dateModified' content='2024-06-01T08:00:00Z'>")
    container = page.find(".//article")  # type: ignore[attr-defined]
    assert modified({}, {}, container) == "2024-06-01T08:00:00+00:00"


def test_a_page_with_only_a_visible_time_gets_its_date() -> None:
    markup = (
        "<html><head><title>Harbour</title></head><body><article><h1>Harbour deepens</h1>"
        "<time datetime='2025-03-04T09:30:00+01:00'>4 March</time>"
        + "<p>The harbour authority approved the plan on Monday evening.</p>" * 5
        + "</article></body></html>"
    )
    page = extract_page(markup.encode(), "https://example.com/harbour")
    assert page.published == "2025-03-04T09:30:00+01:00"


@pytest.mark.parametrize("wrap", ["<![CDATA[{}]]>", "//<![CDATA[\n{}\n//]]>", "{}"])
def test_json_ld_wrapped_in_cdata_is_read(wrap: str) -> None:
    block = '{"@type": "NewsArticle", "headline": "Real", "datePublished": "2015-10-15T02:19Z"}'
    page = (
        '<html><head><meta property="article:published_time" content="2015-12-11T14:28Z">'
        f'<script type="application/ld+json">{wrap.format(block)}</script></head>'
        "<body><article><h1>Real</h1><p>Text of the article.</p></article></body></html>"
    )
    found = extract_page(page, "https://example.org/a")
    assert found.published == "2015-10-15T02:19:00+00:00"
