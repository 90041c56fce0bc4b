"""Page furniture out of a page's tree before its main text is extracted.

What the reader of an article does not read as the article (figures, related cards, share
and newsletter boxes, button widgets, hover cards, hidden markup, the headline's header)
is removed, so that a rotating sidebar or card never changes the text. Nothing that holds
the article itself is ever removed, whatever its class says: the headline, the element
marked as the article body and the parent of most paragraph text, with all their
ancestors, are protected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any, NamedTuple

from lxml import etree

from ..blocks import clean, element_text

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
# Class or id tokens of an author box, furniture to the body and the source of the author's
# role and bio for authorbox.py (page.py finds it in the same walk, see Survey).
_AUTHOR_BOX_WORDS = (
    "author-card|author-box|author-bio|author-info|about-author|"
    "article-author|author-profile|c-author|authorbox|author"
)


class Names:
    """Whole words in a class or id value, in any case: each word stands between the
    value's ends or the separators whitespace, "_" and "-"."""

    def __init__(self, words: str) -> None:
        pattern = rf"(?:^|[\s_-])(?:{words})(?:$|[\s_-])"
        self._any_case = re.compile(pattern, re.IGNORECASE)
        self._lower_case = re.compile(pattern)

    def search(self, value: str) -> bool:
        # A case-blind match costs about three times a plain one. The words are lower-case
        # ASCII, and lower-casing an ASCII value moves no character and makes no separator,
        # so for the usual ASCII value the plain match of its lower case is the same match.
        if value.isascii():
            return self._lower_case.search(value.lower()) is not None
        return self._any_case.search(value) is not None


_FURNITURE = Names(_FURNITURE_WORDS)
AUTHOR_BOX = Names(_AUTHOR_BOX_WORDS)


def classes(element: Any) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}".strip()


def elements(tree: Any, xpath: str) -> Iterator[Any]:
    for element in tree.xpath(xpath):
        if isinstance(element, etree._Element):
            yield element


def _matches(xpath: etree.XPath, node: Any) -> list[Any]:
    """The elements a compiled XPath finds (compiled once: the expression is not parsed
    again for every page)."""
    found = xpath(node)
    return [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []


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
    """Characters of text, whitespace not counted (indentation is not text). str.split()
    splits on exactly the characters the regex \\s matches, and is several times faster."""
    return len("".join("".join(element.itertext()).split()))


# Descendant walks below go through lxml's iterdescendants(tag, ...), which picks the tags
# in C and makes a Python object only for the elements it yields. A search by attribute
# (an XPath such as .//*[@class]) visits every element in libxml2's XPath engine at about
# the cost of a Python walk, so the searches of that kind, for furniture, for the element
# marked as the article body and for the author box, are one walk (survey).


def _main_text_anchors(body: Any, article_body: Any, paragraph_parent: Any) -> list[Any]:
    """Elements that are certainly the article: the first <h1>, the element marked as the
    article body, and the parent holding the most paragraph text (readability's core idea).
    A box around any of them is a wrapper of the article, whatever its class says."""
    anchors = [next(body.iterdescendants("h1"), None), article_body, paragraph_parent]
    return [a for a in anchors if a is not None]


def _paragraph_parent(body: Any) -> Any:
    weight: dict[Any, int] = {}
    for paragraph in body.iterdescendants("p"):
        parent = paragraph.getparent()
        if parent is not None:
            weight[parent] = weight.get(parent, 0) + _text_length(paragraph)
    return max(weight, key=weight.__getitem__) if weight else None


def _join_split_body(body: Any, anchor: Any) -> bool:
    """An article body cut into several containers of the same kind, with nothing but ad
    slots and rails between them, is one body: the later parts are moved into the first,
    so the extractor, which takes one container, sees all of it. ``anchor`` is the
    paragraph parent; True when parts were moved (and so the paragraph parent may differ)."""
    if anchor is None or not anchor.get("class"):
        return False
    parts = [
        e
        for e in body.iterdescendants(anchor.tag)
        if e.get("class") == anchor.get("class") and e.find("p") is not None
    ]
    if len(parts) < 2 or any(a in parts for p in parts for a in p.iterancestors()):
        return False
    if len({next(p.iterancestors("article"), None) for p in parts}) > 1:
        return False  # each in an <article> of its own: separate pieces, not one cut-up body
    order = {element: i for i, element in enumerate(body.iter())}
    inside = {d for p in parts for d in p.iter()}
    for previous, part in pairwise(parts):
        between = (
            e
            for e in body.iterdescendants(*_TEXT_BLOCKS)
            if order[previous] < order[e] < order[part] and e not in inside
        )
        if any(_text_length(e) for e in between):
            return False  # headings or paragraphs between the parts: they are not one body
    for part in parts[1:]:
        parts[0].extend(list(part))
    return True


_TEXT_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote")
_INVISIBLE = ("script", "style", "noscript", "template")


def strip_furniture(tree: Any, surveyed: Survey | None = None) -> Any:
    """Take the furniture out of ``tree`` itself and return it. The tree is changed in
    place: a copy costs as much as a sweep, and the extractor copies its input anyway.
    ``surveyed`` is ``survey(body)`` of the tree's (first) body as it is now, if made."""
    body = next(tree.iter("body"), None)
    if body is None:
        return tree
    for element in list(body.iterdescendants(*_INVISIBLE)):
        drop(element)
    paragraph_parent = _paragraph_parent(body)
    joined = _join_split_body(body, paragraph_parent)
    if joined:
        paragraph_parent = _paragraph_parent(body)
    if surveyed is None or joined:  # moved elements are out of the survey's order
        surveyed = survey(body)
    # A survey made before the invisible parts went still lists what was inside them, now
    # out of the page; dropping a marked one there changes nothing, an anchor must be in.
    article_body = next((e for e in surveyed.article_body if _inside(e, body)), None)
    protected: set[Any] = set()
    for anchor in _main_text_anchors(body, article_body, paragraph_parent):
        protected.add(anchor)
        protected.update(anchor.iterancestors())
    _keep_inline_parts(body)
    # _keep_inline_parts only takes names off elements, so what it leaves furniture was
    # marked before it ran; each marked element is checked again as it is now.
    doomed = [e for e in surveyed.marked if e not in protected and _is_furniture(e)]
    doomed += _widgets(body, protected)
    doomed += _title_header(body, protected)
    doomed += _link_blocks(body)
    doomed += _hover_cards(body)
    for element in doomed:
        if element.getparent() is not None:
            drop(element)
    return tree


_LINKED_SPANS = etree.XPath(".//p//span[count(.//a) >= 3]")


def _hover_cards(body: Any) -> list[Any]:
    """Pop-up cards hidden inside a sentence (a person's name that shows their latest
    stories on hover): an inline element within a paragraph made of nothing but three or
    more links. The sentence reads on without them."""
    cards = [
        span
        for span in _matches(_LINKED_SPANS, body)
        if sum(_text_length(a) for a in span.iterdescendants("a")) >= _text_length(span)
    ]
    # The innermost such element is the card; the ones around it also hold the name.
    inner = set(cards)
    return [c for c in cards if not any(a in inner for a in c.iterdescendants())]


def _link_blocks(body: Any) -> list[Any]:
    """Paragraphs and headings that are nothing but a link, or a short label and a link: a
    teaser for another page ("Read more: ...", "Related: <a>…</a>", a related headline),
    not text."""
    found = []
    for block in body.iterdescendants(*_LINK_BLOCKS):
        links = list(block.iterdescendants("a"))
        if not links:
            continue  # most blocks: no link, so nothing to weigh
        total = _text_length(block)
        linked = sum(_text_length(a) for a in links)
        text = element_text(block)
        teaser = linked >= total or _labelled(text, total - linked)
        if total and teaser and not _ADDRESS.match(text):
            found.append(block)
    return found


def _labelled(text: str, unlinked: int) -> bool:
    """The text outside the links is a label that opens the block ("Les også:",
    "SEE MORE:", "Related:")."""
    label, colon, _ = text.partition(":")
    words = label.split()
    return bool(colon) and len(words) <= _LABEL_WORDS and len("".join(words)) + 1 >= unlinked


_LINK_BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6")
_LABEL_WORDS = 3


# A link that shows its address is a reference the article gives, not a teaser.
_ADDRESS = re.compile(r"^(?:https?://|www\.|[\w.+-]+@[\w-]+\.)\S*$", re.IGNORECASE)


def _widgets(body: Any, protected: set[Any]) -> list[Any]:
    """Boxes of buttons with a few words ("Was this helpful? Yes No", "Follow us"): the
    largest box around each button whose text, the buttons' own aside, stays short."""
    found = []
    # Buttons share their boxes (a toolbar of five); each box is measured once.
    others_of: dict[Any, int] = {}
    for button in body.iterdescendants("button"):
        widest = None
        for box in button.iterancestors():
            if box in protected or box.tag == "body":
                break
            others = others_of.get(box)
            if others is None:
                buttons = sum(_text_length(b) for b in box.iterdescendants("button"))
                others = others_of[box] = _text_length(box) - buttons
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
    headline = next(body.iterdescendants("h1"), None)
    if headline is None:
        return []
    header = next((a for a in headline.iterancestors() if a.tag == "header"), None)
    if header is None or header.xpath("count(.//p)") > _HEADER_PARAGRAPHS:
        return []
    return [header]


# A header with more paragraphs than a standfirst and a byline is a wrapper of the article.
_HEADER_PARAGRAPHS = 3


_STRUCTURAL_FURNITURE = frozenset({"figure", "aside", "nav", "footer", "form"})


class Survey(NamedTuple):
    """What one walk over a body's elements finds, each list in document order."""

    marked: list[Any]  # furniture by tag, name or hidden style (as _is_furniture says)
    article_body: list[Any]  # elements marked itemprop="articleBody"
    author_named: list[Any]  # elements whose class or id names an author box (AUTHOR_BOX)


def survey(body: Any) -> Survey:
    """Walk the body's elements once. A walk over every element is the costliest part of
    finding furniture and the author box, so both are found in one, which reads each
    element's attribute names once and only the values it needs."""
    found = Survey([], [], [])
    # A page gives the same few class values to hundreds of elements: each is matched once.
    # An id value is unique to its element and matched where it stands.
    class_names: dict[str, tuple[bool, bool]] = {}
    for element in body.iterdescendants():
        keys = element.keys()
        if not keys:  # a comment, or an element with no attribute: only its tag can tell
            if element.tag in _STRUCTURAL_FURNITURE:
                found.marked.append(element)
            continue
        get = element.get
        furniture = author = False
        if "class" in keys:
            value = get("class")
            names = class_names.get(value)
            if names is None:
                names = class_names[value] = _names(value)
            furniture, author = names
        if "id" in keys:
            id_furniture, id_author = _names(get("id"))
            furniture, author = furniture or id_furniture, author or id_author
        if (
            furniture
            or element.tag in _STRUCTURAL_FURNITURE
            or "hidden" in keys
            or ("style" in keys and _HIDDEN_STYLE.search(get("style")))
        ):
            found.marked.append(element)
        if "itemprop" in keys and get("itemprop") == "articleBody":
            found.article_body.append(element)
        if author:
            found.author_named.append(element)
    return found


def _names(value: str) -> tuple[bool, bool]:
    """Whether a class or id value names furniture, and whether it names an author box.
    The words hold no space, so matching class and id apart is matching them joined."""
    return _FURNITURE.search(value), AUTHOR_BOX.search(value)


def _inside(element: Any, body: Any) -> bool:
    return any(a is body for a in element.iterancestors())


def _is_furniture(element: Any) -> bool:
    tag = element.tag
    if not isinstance(tag, str):
        return False
    if tag in _STRUCTURAL_FURNITURE or _is_hidden(element):
        return True
    names = classes(element)
    return bool(names) and _FURNITURE.search(names)


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
    for time in list(body.iterdescendants("time")):
        parent = time.getparent()
        if parent is not None and clean(_own_text(parent)):
            time.drop_tag()
    quotes = [q for q in body.iterdescendants("blockquote") if q.get("class") is not None]
    for quote in quotes:
        del quote.attrib["class"]
        for ancestor in quote.iterancestors():
            if len(clean(element_text(ancestor))) > len(clean(element_text(quote))) + 40:
                break
            ancestor.attrib.pop("class", None)
            ancestor.attrib.pop("id", None)


def _own_text(element: Any) -> str:
    """The text directly in an element (its text and its children's tails)."""
    return (element.text or "") + "".join(child.tail or "" for child in element)
