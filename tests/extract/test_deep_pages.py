"""Pages nested deeper than the parser reads keep their text (issue 15; see extract/tree.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from lxml import html

from ingester.errors import ExtractError
from ingester.extract import extract_page
from ingester.extract import page as page_module
from ingester.extract.tree import FLAT_DEPTH, Flattened

URL = "https://example.com/a"
TITLE = "The city reopens its oldest bridge after two years of repairs"


def paragraph(i: int) -> str:
    return (
        f"Paragraph {i} of the report: the engineers replaced the cables and the deck of the "
        f"bridge, and the council says the crossing will stay open to cyclists ({i})."
    )


OUTSIDE = tuple(paragraph(i) for i in range(4))
INSIDE = tuple(paragraph(i) for i in range(10, 15))
AFTER = tuple(paragraph(i) for i in range(20, 23))


def deep_page(depth: int, tag: str = "div", closed: bool = True, inside: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in INSIDE)
    nest = f"<{tag}>" * depth + inside + paragraphs + (f"</{tag}>" * depth if closed else "")
    return (
        f"<!DOCTYPE html><html><head><title>{TITLE}</title></head><body><article>"
        f"<h1>{TITLE}</h1>{''.join(f'<p>{p}</p>' for p in OUTSIDE)}{nest}"
        f"{''.join(f'<p>{p}</p>' for p in AFTER)}</article></body></html>"
    )


def depth_of(tree: Any) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


@pytest.mark.parametrize("depth", [300, 1_000, 10_000, 100_000])
def test_a_deep_nest_of_divs_keeps_every_paragraph_in_order(depth: int) -> None:
    extracted = extract_page(deep_page(depth).encode(), URL)

    assert extracted.title == TITLE
    assert extracted.body == OUTSIDE + INSIDE + AFTER


@pytest.mark.parametrize("tag", ["span", "section"])
def test_deep_nests_of_other_elements_keep_their_paragraphs(tag: str) -> None:
    body = extract_page(deep_page(100_000, tag).encode(), URL).body

    assert body == OUTSIDE + INSIDE + AFTER


@pytest.mark.parametrize("depth", [300, 100_000])
def test_an_unclosed_nest_keeps_its_paragraphs(depth: int) -> None:
    body = extract_page(deep_page(depth, closed=False).encode(), URL).body

    # Unclosed, the nest holds the paragraphs after it too; none is lost.
    assert body == OUTSIDE + INSIDE + AFTER


def test_markup_inside_scripts_of_a_deep_nest_is_left_as_it_is() -> None:
    ld = {"@type": "NewsArticle", "headline": "A </div> headline <div> from JSON-LD"}
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>'
    tree = html.fromstring(Flattened(deep_page(5_000, inside=script)).text)

    scripts = [e.text for e in tree.iter("script")]

    assert [json.loads(text or "") for text in scripts] == [ld]


def test_a_shallow_page_is_not_rescanned(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(markup: str) -> None:
        raise AssertionError("a page the parser read in full was flattened")

    before = extract_page(deep_page(240).encode(), URL)
    monkeypatch.setattr(page_module, "Flattened", refuse)

    # 240 levels and the html, body and article above them: the parser's limit is 256.
    assert extract_page(deep_page(240).encode(), URL) == before
    assert before.body == OUTSIDE + INSIDE + AFTER


def test_flattening_an_ordinary_page_changes_nothing() -> None:
    markup = (
        "<!DOCTYPE html><html><head><title>T</title><!-- a <div> in a comment -->"
        "<script>if (a < b) { s = '<div><div>'; }</script>"
        "<style>p > a { color: red }</style></head>"
        "<body><div class=\"a>b\" data-x='<p>'><p>One <b>two</b> &amp; three</p>"
        "<ul><li>four</li><li>five</li></ul><img src=x.png><br/>"
        "<table><tr><td>six</td></tr></table></div></body></html>"
    )

    assert Flattened(markup).text == markup


def test_a_flattened_page_is_shallow_and_holds_the_same_text_in_order() -> None:
    markup = deep_page(1_500, "span")  # deep, but within what huge_tree reads
    full: Any = html.fromstring(markup, parser=html.HTMLParser(huge_tree=True))
    flattened = Flattened(markup)
    flat: Any = html.fromstring(flattened.text)

    assert depth_of(full) > 1_500
    assert flattened.depth > 1_500
    assert depth_of(flat) <= FLAT_DEPTH + 5
    assert flat.text_content() == full.text_content()
    # The paragraphs deep in the nest are still paragraphs.
    assert [p.text_content() for p in flat.iter("p")] == [*OUTSIDE, *INSIDE, *AFTER]


def test_a_page_still_too_deep_after_flattening_fails_with_its_depth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Unflattened:
        def __init__(self, markup: str) -> None:
            self.text = markup
            self.depth = 100_004

    monkeypatch.setattr(page_module, "Flattened", Unflattened)

    with pytest.raises(ExtractError) as raised:
        extract_page(deep_page(100_000).encode(), URL)
    assert raised.value.message == (
        f"extract: page nests 100004 elements deep; read to depth {FLAT_DEPTH}"
    )
