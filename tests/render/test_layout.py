"""The article layout of ARTICLE_LAYOUT.md: golden pages, the render rules, the hash."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingester.extract import extract_page
from ingester.render import compose, render, text_hash, word_count
from ingester.render.layout import clean_line
from ingester.types import Article
from tests.support.cli import DATA

PAGES = DATA / "pages"
GOLDEN_PAGES = sorted(
    page for page in PAGES.glob("*.html") if page.with_suffix(".expected.txt").exists()
)


def render_page(page: Path) -> str:
    """The page as the pipeline renders it with no feed entry (pipeline.Pipeline._version)."""
    extracted = extract_page(page.read_bytes(), f"https://example.com/{page.stem}/")
    return render(compose(extracted, None, None))


# -- golden pages -------------------------------------------------------------------------


def test_golden_pages_are_present() -> None:
    assert any(page.stem == "kyiv-reference" for page in GOLDEN_PAGES)


@pytest.mark.parametrize("page", GOLDEN_PAGES, ids=lambda page: page.stem)
def test_page_renders_to_its_golden_text(page: Path) -> None:
    # read_bytes + strict decode translates no newlines: equal strings are equal bytes.
    expected = page.with_suffix(".expected.txt").read_bytes().decode("utf-8")

    assert render_page(page) == expected


@pytest.mark.parametrize("page", GOLDEN_PAGES, ids=lambda page: page.stem)
def test_golden_text_follows_the_layout_rules(page: Path) -> None:
    text = page.with_suffix(".expected.txt").read_bytes().decode("utf-8")

    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\r" not in text
    assert "\n\n\n" not in text
    assert unicodedata.is_normalized("NFC", text)


def test_reference_body_has_the_documented_word_count() -> None:
    # ARTICLE_LAYOUT.md: "the reference's body has 343 words: ceil(343 / 265) = 2".
    page = PAGES / "kyiv-reference.html"
    article = compose(extract_page(page.read_bytes(), "https://kyivindependent.com/"), None, None)

    assert word_count(article) == 343
    assert "\n\n2 min read\n" in render(article)


# -- render rules -------------------------------------------------------------------------


def words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


FULL = Article(
    title="Council approves new bridge",
    body=("First paragraph here.", "Second paragraph, longer than the first."),
    section="World",
    author="Olena Kovalenko",
    author_role="City Editor",
    author_bio="Olena covers the city council.",
    has_image=True,
    image_alt="The old bridge at dusk",
    image_caption="The old bridge at dusk. (Photo: A. Writer)",
)


def test_full_article_renders_every_block_in_order() -> None:
    assert render(FULL) == (
        "World\n"
        "\n"
        "Council approves new bridge\n"
        "\n"
        "1 min read\n"
        "The old bridge at dusk\n"
        "The old bridge at dusk. (Photo: A. Writer)\n"
        "\n"
        "First paragraph here.\n"
        "\n"
        "Second paragraph, longer than the first.\n"
        "\n"
        "Olena Kovalenko\n"
        "\n"
        "City Editor\n"
        "\n"
        "Olena covers the city council.\n"
    )


@pytest.mark.parametrize("n", [0, 1, 264, 265, 266, 530, 531, 1000])
def test_reading_time_is_words_over_265_rounded_up_and_at_least_one(n: int) -> None:
    article = Article(title="T", body=(words(n),) if n else ())

    assert f"\n\n{max(1, math.ceil(n / 265))} min read\n" in render(article)


def test_reading_time_counts_words_across_all_body_lines() -> None:
    article = Article(title="T", body=(words(200), words(66)))

    assert "\n\n2 min read\n" in render(article)
    assert word_count(article) == 266


def test_reading_time_counts_whitespace_separated_tokens() -> None:
    # "well-known" is one token, the dash is one: 3 + 263 padding words = 266 -> 2 min.
    article = Article(title="T", body=("well-known — yes " + words(263),))

    assert word_count(article) == 266
    assert "\n\n2 min read\n" in render(article)


def test_reading_time_counts_body_words_only() -> None:
    article = Article(
        title=words(300, "title"),
        body=("Short body.",),
        section="S",
        author=words(300, "name"),
        author_bio=words(300, "bio"),
        has_image=True,
        image_alt=words(300, "alt"),
        image_caption=words(300, "cap"),
    )

    assert "\n\n1 min read\n" in render(article)


def test_missing_section_is_left_out_with_its_blank_line() -> None:
    text = render(dataclasses.replace(FULL, section=None))

    assert text.startswith("Council approves new bridge\n\n1 min read\n")


def test_missing_title_is_left_out_with_its_blank_line() -> None:
    text = render(dataclasses.replace(FULL, title=None))

    assert text.startswith("World\n\n1 min read\n")


def test_missing_author_fields_are_left_out() -> None:
    text = render(dataclasses.replace(FULL, author=None, author_role=None, author_bio=None))

    assert text.endswith("\n\nSecond paragraph, longer than the first.\n")


def test_each_author_field_stands_alone_when_others_are_missing() -> None:
    text = render(dataclasses.replace(FULL, author=None, author_role=None))

    assert text.endswith(
        "\n\nSecond paragraph, longer than the first.\n\nOlena covers the city council.\n"
    )


def test_image_lines_are_left_out_when_there_is_no_image() -> None:
    # alt and caption are only shown for an article with a lead image.
    text = render(dataclasses.replace(FULL, has_image=False))

    assert "The old bridge at dusk" not in text
    assert "\n\n1 min read\n\nFirst paragraph here.\n" in text


def test_title_stands_in_for_missing_image_alt() -> None:
    text = render(dataclasses.replace(FULL, image_alt=None))

    assert (
        "\n\n1 min read\nCouncil approves new bridge\n"
        "The old bridge at dusk. (Photo: A. Writer)\n\n" in text
    )


def test_blank_image_alt_counts_as_missing() -> None:
    text = render(dataclasses.replace(FULL, image_alt=" \t "))

    assert "\n\n1 min read\nCouncil approves new bridge\nThe old bridge" in text


def test_image_without_caption_shows_alt_only() -> None:
    text = render(dataclasses.replace(FULL, image_caption=None))

    assert "\n\n1 min read\nThe old bridge at dusk\n\nFirst paragraph here.\n" in text


def test_image_without_alt_or_title_shows_reading_time_only() -> None:
    text = render(dataclasses.replace(FULL, title=None, image_alt=None, image_caption=None))

    assert text.startswith("World\n\n1 min read\n\nFirst paragraph here.\n")


def test_whitespace_inside_a_field_collapses_to_one_space() -> None:
    article = Article(
        title="  A \t title\nacross lines ",
        body=("  First\t\tparagraph \n with  breaks  ",),
        section="\nWorld\n",
        author="Olena\u00a0 Kovalenko",
    )

    assert render(article) == (
        "World\n\nA title across lines\n\n1 min read\n\nFirst paragraph with breaks\n\n"
        "Olena Kovalenko\n"
    )


def test_empty_and_blank_body_blocks_are_dropped() -> None:
    article = Article(title="T", body=("", "One.", "   ", "\n\t\n", "Two."))

    assert render(article) == "T\n\n1 min read\n\nOne.\n\nTwo.\n"


def test_text_is_normalised_to_nfc() -> None:
    article = Article(title="Cafe\u0301", body=("Zoe\u0308 said.",))

    assert render(article) == "Caf\u00e9\n\n1 min read\n\nZo\u00eb said.\n"


def test_characters_are_kept_as_the_source_has_them() -> None:
    line = '\u201cCurly\u201d and "straight" \u2018quotes\u2019 \u2014 dash -- and 2\u20133'
    article = Article(title="T", body=(line,))

    assert render(article).endswith(f"\n\n{line}\n")


def test_document_ends_with_exactly_one_newline() -> None:
    article = Article(title="T", body=("Body.",), author_bio="Bio ends in newlines.\n\n\n")

    assert render(article).endswith("Bio ends in newlines.\n")
    assert not render(article).endswith("\n\n")


def test_article_with_nothing_known_is_its_reading_time() -> None:
    assert render(Article(title=None, body=())) == "1 min read\n"


def test_dates_and_source_do_not_change_the_text() -> None:
    # The layout has no date lines: a re-fetch that only moves timestamps is no new version.
    moved = dataclasses.replace(
        FULL, published="2025-07-21T07:30:00+00:00", modified="2025-07-22", source="feed"
    )

    assert render(moved) == render(FULL)


# -- render: properties -------------------------------------------------------------------

TEXT = st.text(
    st.characters(codec="utf-8")
    | st.sampled_from([" ", "\t", "\n", "\r", "\u00a0", "\u2028", "\u0301"]),
    max_size=30,
)
OPTIONAL = st.none() | TEXT
ARTICLES = st.builds(
    Article,
    title=OPTIONAL,
    body=st.lists(TEXT, max_size=5).map(tuple),
    section=OPTIONAL,
    author=OPTIONAL,
    author_role=OPTIONAL,
    author_bio=OPTIONAL,
    has_image=st.booleans(),
    image_alt=OPTIONAL,
    image_caption=OPTIONAL,
)


@given(ARTICLES)
def test_render_is_deterministic(article: Article) -> None:
    assert render(article) == render(dataclasses.replace(article))


@given(ARTICLES)
def test_rendered_text_keeps_the_layout_invariants(article: Article) -> None:
    text = render(article)

    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\n\n\n" not in text
    assert unicodedata.is_normalized("NFC", text)
    for line in text[:-1].split("\n"):
        assert line == line.strip()
        assert "  " not in line


@given(TEXT)
def test_clean_line_is_idempotent(text: str) -> None:
    once = clean_line(text)

    assert clean_line(once) == once


@given(TEXT)
def test_clean_line_gives_one_trimmed_nfc_line(text: str) -> None:
    line = clean_line(text)

    assert line == line.strip()
    assert not any(ch.isspace() and ch != " " for ch in line)
    assert "  " not in line
    assert unicodedata.is_normalized("NFC", line)


def test_clean_line_of_nothing_is_empty() -> None:
    assert clean_line(None) == ""
    assert clean_line(" \n\t ") == ""


# -- text_hash ----------------------------------------------------------------------------


def test_text_hash_matches_the_sha256_test_vectors() -> None:
    # FIPS 180-2 appendix B.1 ("abc") and the well-known digest of the empty string.
    assert text_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert text_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_text_hash_hashes_the_utf8_bytes() -> None:
    # "é" is C3 A9 in UTF-8 (E9 in Latin-1).
    assert text_hash("\u00e9") == hashlib.sha256(b"\xc3\xa9").hexdigest()
    assert text_hash("\u00e9") != hashlib.sha256(b"\xe9").hexdigest()
