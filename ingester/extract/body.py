"""The article's body lines: trafilatura's main text of the page with its furniture taken
out, one line per block, or the publisher's JSON-LD ``articleBody`` where that reads better.
"""

from __future__ import annotations

import re
from typing import Any

import trafilatura

from ..blocks import clean, overlap, shingles, text_lines, words, xml_blocks
from .furniture import Survey, strip_furniture
from .metadata import unescaped


def article_body(
    tree: Any, url: str, title: str | None, ld: dict[str, Any], surveyed: Survey | None
) -> tuple[str, ...]:
    page = _page_lines(tree, url, surveyed)
    if title:
        heading = clean(title)
        page = [line for i, line in enumerate(page) if i >= _TITLE_LINES or line != heading]
    page = [line for line in page if not _RELATIVE_TIME.match(line)]
    return _prefer_publisher_text(tuple(page), _ld_body(ld))


# How far down the body a repeat of the headline is still the headline.
_TITLE_LINES = 3

# "4 minutes ago" labels are the clock of the fetch, never the article's text.
_RELATIVE_TIME = re.compile(
    r"^(?:(?:updated|posted|published)\s+)?(?:\d+|an?|one)\s+"
    r"(?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|days?|weeks?|months?|years?)\s+ago\.?$",
    re.IGNORECASE,
)


def _page_lines(tree: Any, url: str, surveyed: Survey | None) -> list[str]:
    document = trafilatura.bare_extraction(
        strip_furniture(tree, surveyed),
        url=url,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        with_metadata=False,
    )
    body = getattr(document, "body", None)
    return [] if body is None else [block.text for block in xml_blocks(body)]


def _ld_body(ld: dict[str, Any]) -> tuple[str, ...]:
    text = ld.get("articleBody")
    # Publishers escape their JSON-LD like their meta tags ("Robotnik&#039;s").
    return text_lines(unescaped(text)) if isinstance(text, str) else ()


def _prefer_publisher_text(page: tuple[str, ...], published: tuple[str, ...]) -> tuple[str, ...]:
    """The page's text, or the publisher's own ``articleBody`` where the page shows none, or
    where both say the same and the publisher's version keeps the paragraphs apart better
    (a script-rendered page often reaches the extractor as one run of text)."""
    if not published:
        return page
    if len(words(" ".join(page))) < _SHORT_PAGE:
        return published
    page_in_published, published_in_page = overlap(shingles(page), shingles(published))
    if max(page_in_published, published_in_page) < _UNRELATED and len(
        words(" ".join(published))
    ) > len(words(" ".join(page))):
        # The extractor found something other than the longer article the publisher
        # describes: a shell page whose article is rendered by script, read as navigation.
        return published
    agree = min(page_in_published, published_in_page) >= _AGREEMENT
    return published if agree and len(published) > len(page) else page


_SHORT_PAGE = 25  # words: a page with less shows a shell, not its article
_AGREEMENT = 0.9  # share of 4-word shingles each text finds in the other
_UNRELATED = 0.2
