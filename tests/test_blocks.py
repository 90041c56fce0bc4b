"""Text out of markup, one line per block: the helpers every stage reads text with."""

from __future__ import annotations

import re

from lxml import etree, html

from ingester.blocks import clean, element_text, fragment_lines, text_lines, xml_blocks


def test_loose_text_after_a_nested_block_is_kept() -> None:
    xml = etree.fromstring(
        "<body><quote><p>Our first water plaza is open!</p>"
        "— City of Westhaven (@WesthavenCity) September 3, 2025</quote></body>"
    )

    assert [b.text for b in xml_blocks(xml)] == [
        "Our first water plaza is open!",
        "— City of Westhaven (@WesthavenCity) September 3, 2025",
    ]


def test_tail_text_after_an_inline_element_is_kept() -> None:
    xml = etree.fromstring("<body><p>Before <hi>bold</hi> after.</p>Loose tail.<p>Next.</p></body>")

    assert [b.text for b in xml_blocks(xml)] == ["Before bold after.", "Loose tail.", "Next."]


def test_article_body_is_split_into_paragraphs_at_blank_lines() -> None:
    assert text_lines("One.\n\nTwo,\nstill two.\n \nThree.") == (
        "One.",
        "Two, still two.",
        "Three.",
    )


def test_article_body_without_blank_lines_is_split_at_line_breaks() -> None:
    assert text_lines("One.\nTwo.\n") == ("One.", "Two.")


def test_comments_in_a_feed_fragment_are_not_text() -> None:
    # Found by fuzzing: a comment beside loose text made element_text raise.
    assert fragment_lines("Boats <!-- ad slot --> and more<?pi x?>") == ("Boats and more",)
    assert element_text(html.fromstring("<p>a<!-- c -->b</p>")) == "ab"


def test_clean_collapses_every_whitespace_the_regex_knew() -> None:
    text = "\u00a0 one\u2003two\x1c\tthree \u3000"
    assert clean(text) == re.sub(r"\s+", " ", text).strip() == "one two three"
