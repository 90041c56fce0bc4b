"""Page furniture out of a page's tree before its main text is extracted.

What the reader of an article does not read as the article (figures, related cards, share
and newsletter boxes, button widgets, hover cards, hidden markup, the headline's header)
is removed, so that a rotating sidebar or card never changes the text. Nothing that holds
the article itself is ever removed, whatever its class says: the headline, the element
marked as the article body and the parent of most paragraph text, with all their
ancestors, are protected.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from lxml import etree

from .blocks import clean, element_text

_SPACE = re.compile(r"\s+")

# Class or id tokens of page furniture: boxes that sit inside or beside an article
# but are not its text. Matched against whole hyphen/underscore-separated words.
_FURNITURE_WORDS = (
    "related|recommended|recirculation|more-stories|read-more|readmore|also-read|"
    "newsletter|subscribe|subscription|signup|sign-up|paywall-offer|"
    "share|sharing|social|share-buttons|"
    "bookmark-card|kg-bookmark-card|embed-card|card-embed|teaser|promo|"
    "advert|advertisement|ad-slot|ad-container|sponsored|"
    "comments|comment-list|"
    "author-card|author-box|author-bio|author-info|about-author|article-author|byline"
)
_FURNITURE = re.compile(rf"(?:^|[\s_-])(?:{_FURNITURE_WORDS})(?:$|[\s_-])", re.IGNORECASE)


def classes(element: Any) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}".strip()


def elements(tree: Any, xpath: str) -> Iterator[Any]:
    for element in tree.xpath(xpath):
        if isinstance(element, etree._Element):
            yield element


def drop(element: Any) -> None:
    """Remove an element but keep its tail text in the document."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _text_length(element: Any) -> int:
    """Characters of text, whitespace not counted (indentation is not text)."""
    return len(_SPACE.sub("", "".join(element.itertext())))


def _main_text_anchors(body: Any) -> list[Any]:
    """Elements that are certainly the article: the first <h1>, the element marked as the
    article body, and the parent holding the most paragraph text (readability's core idea).
    A box around any of them is a wrapper of the article, whatever its class says."""
    anchors = [next(elements(body, ".//h1"), None)]
    anchors.append(next(elements(body, './/*[@itemprop="articleBody"]'), None))
    anchors.append(_paragraph_parent(body))
    return [a for a in anchors if a is not None]


def _paragraph_parent(body: Any) -> Any:
    weight: dict[Any, int] = {}
    for paragraph in elements(body, ".//p"):
        parent = paragraph.getparent()
        if parent is not None:
            weight[parent] = weight.get(parent, 0) + _text_length(paragraph)
    return max(weight, key=weight.__getitem__) if weight else None


def _join_split_body(body: Any) -> None:
    """An article body cut into several containers of the same kind, with nothing but ad
    slots and rails between them, is one body: the later parts are moved into the first,
    so the extractor, which takes one container, sees all of it."""
    anchor = _paragraph_parent(body)
    if anchor is None or not anchor.get("class"):
        return
    parts = [
        e
        for e in elements(body, f".//{anchor.tag}")
        if e.get("class") == anchor.get("class") and e.find("p") is not None
    ]
    if len(parts) < 2 or any(a in parts for p in parts for a in p.iterancestors()):
        return
    if len({next(p.iterancestors("article"), None) for p in parts}) > 1:
        return  # each in an <article> of its own: separate pieces, not one cut-up body
    order = {element: i for i, element in enumerate(body.iter())}
    inside = {d for p in parts for d in p.iter()}
    for previous, part in pairwise(parts):
        between = (
            e
            for e in elements(body, _TEXT_BLOCKS)
            if order[previous] < order[e] < order[part] and e not in inside
        )
        if any(_text_length(e) for e in between):
            return  # headings or paragraphs between the parts: they are not one body
    for part in parts[1:]:
        parts[0].extend(list(part))


_TEXT_BLOCKS = ".//p | .//h2 | .//h3 | .//h4 | .//h5 | .//h6 | .//li | .//blockquote"


def strip_furniture(tree: Any) -> Any:
    cleaned = copy.deepcopy(tree)
    body = next(elements(cleaned, "//body"), None)
    if body is None:
        return cleaned
    for element in list(elements(body, ".//script | .//style | .//noscript | .//template")):
        drop(element)
    _join_split_body(body)
    protected: set[Any] = set()
    for anchor in _main_text_anchors(body):
        protected.add(anchor)
        protected.update(anchor.iterancestors())
    _keep_inline_parts(body)
    doomed = [e for e in elements(body, ".//*") if e not in protected and _is_furniture(e)]
    doomed += _widgets(body, protected)
    doomed += _title_header(body, protected)
    doomed += _link_blocks(body)
    doomed += _hover_cards(body)
    for element in doomed:
        if element.getparent() is not None:
            drop(element)
    return cleaned


def _hover_cards(body: Any) -> list[Any]:
    """Pop-up cards hidden inside a sentence (a person's name that shows their latest
    stories on hover): an inline element within a paragraph made of nothing but three or
    more links. The sentence reads on without them."""
    cards = [
        span
        for span in elements(body, ".//p//span[count(.//a) >= 3]")
        if sum(_text_length(a) for a in elements(span, ".//a")) >= _text_length(span)
    ]
    # The innermost such element is the card; the ones around it also hold the name.
    inner = set(cards)
    return [c for c in cards if not any(a in inner for a in c.iterdescendants())]


def _link_blocks(body: Any) -> list[Any]:
    """Paragraphs, list items and headings that are nothing but a link: a teaser for another
    page ("Read more: ...", a related headline, "Click here to get the app"), not text."""
    found = []
    for block in elements(body, ".//p | .//h2 | .//h3 | .//h4 | .//h5 | .//h6"):
        total = _text_length(block)
        linked = sum(_text_length(a) for a in elements(block, ".//a"))
        if total and linked >= total and not _ADDRESS.match(element_text(block)):
            found.append(block)
    return found


# A link that shows its address is a reference the article gives, not a teaser.
_ADDRESS = re.compile(r"^(?:https?://|www\.|[\w.+-]+@[\w-]+\.)\S*$", re.IGNORECASE)


def _widgets(body: Any, protected: set[Any]) -> list[Any]:
    """Boxes of buttons with a few words ("Was this helpful? Yes No", "Follow us"): the
    largest box around each button whose text, the buttons' own aside, stays short."""
    found = []
    for button in elements(body, ".//button"):
        widest = None
        for box in button.iterancestors():
            if box in protected or box.tag == "body":
                break
            others = _text_length(box) - sum(_text_length(b) for b in elements(box, ".//button"))
            if others > _WIDGET_TEXT:
                break
            widest = box
        if widest is not None:
            found.append(widest)
    return found


_WIDGET_TEXT = 80


def _title_header(body: Any, protected: set[Any]) -> list[Any]:
    """The <header> around the headline holds the kicker, byline, dates and standfirst,
    each of which has a field of its own or none; it is not body text."""
    headline = next(elements(body, ".//h1"), None)
    if headline is None:
        return []
    header = next((a for a in headline.iterancestors() if a.tag == "header"), None)
    if header is None or header.xpath("count(.//p)") > _HEADER_PARAGRAPHS:
        return []
    return [header]


# A header with more paragraphs than a standfirst and a byline is a wrapper of the article.
_HEADER_PARAGRAPHS = 3


_STRUCTURAL_FURNITURE = frozenset({"figure", "aside", "nav", "footer", "form"})


def _is_furniture(element: Any) -> bool:
    tag = element.tag
    if not isinstance(tag, str):
        return False
    if tag in _STRUCTURAL_FURNITURE or _is_hidden(element):
        return True
    names = classes(element)
    return bool(names) and bool(_FURNITURE.search(names))


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _is_hidden(element: Any) -> bool:
    """Markup the browser never shows the reader (the ``hidden`` attribute, an inline style
    that hides it): not what the publisher shows, whatever its text."""
    if element.get("hidden") is not None:
        return True
    style = element.get("style")
    return bool(style) and bool(_HIDDEN_STYLE.search(style))


def _keep_inline_parts(body: Any) -> None:
    """Undo markup that makes trafilatura drop article text it should keep: a <time> inside
    a sentence or heading is part of it, and a quoted post embedded in the article (a
    blockquote) is quoted text whatever its embed wrapper is called."""
    for time in list(elements(body, ".//time")):
        parent = time.getparent()
        if parent is not None and clean(_own_text(parent)):
            time.drop_tag()
    for quote in elements(body, ".//blockquote[@class]"):
        del quote.attrib["class"]
        for ancestor in quote.iterancestors():
            if len(clean(element_text(ancestor))) > len(clean(element_text(quote))) + 40:
                break
            ancestor.attrib.pop("class", None)
            ancestor.attrib.pop("id", None)


def _own_text(element: Any) -> str:
    """The text directly in an element (its text and its children's tails)."""
    return (element.text or "") + "".join(child.tail or "" for child in element)
