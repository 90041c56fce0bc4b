"""The author box: the element a page names for its author, and the name, role and bio
inside it; and the bylines: the short elements that name the author where the reader sees
it (authors.py reads names from their text)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from ..blocks import element_text
from .furniture import AUTHOR_BOX, Survey, classes, elements

_ROLE = re.compile(r"role|job|position|title", re.IGNORECASE)
_BIO = re.compile(r"bio|description|about|summary", re.IGNORECASE)
_NAME = re.compile(r"name", re.IGNORECASE)


def find_author_box(bodies: list[Any], surveyed: Survey | None) -> Any:
    """The page's author box: an element named for the author that holds a name and more,
    the first in document order (the first body's are in ``surveyed``)."""
    named = surveyed.author_named if surveyed is not None else []
    for element in named:
        if _holds_author(element):
            return element
    for body in bodies[1:]:  # libxml2 makes one <body>; a second one is searched in full
        for element in body.iterdescendants():
            if not isinstance(element.tag, str):
                continue
            if AUTHOR_BOX.search(classes(element)) and _holds_author(element):
                return element
    return None


def _holds_author(element: Any) -> bool:
    return element.tag not in _NOT_AN_AUTHOR_BOX and len(element_text(element)) > 40


_NOT_AN_AUTHOR_BOX = frozenset({"a", "span", "img", "meta", "link", "time"})


def _part_classes(element: Any, box: Any) -> str:
    """An element's class and id words with the box's own name taken off their front, so
    that in a box called "author-bio" the part "author-bio__name" reads as "__name" (BEM
    and most component CSS name a box's parts after the box)."""
    prefixes = sorted(classes(box).split(), key=len, reverse=True)
    parts = []
    for word in classes(element).split():
        prefix = next((p for p in prefixes if word.startswith(p) and len(word) > len(p)), "")
        parts.append(word[len(prefix) :])
    return " ".join(parts)


def box_name(box: Any) -> str | None:
    return _box_part(box, _NAME)


def box_role(box: Any) -> str | None:
    return _box_part(box, _ROLE)


def _box_part(box: Any, pattern: re.Pattern[str]) -> str | None:
    if box is None:
        return None
    for element in elements(box, ".//*[@class]"):
        classes = _part_classes(element, box)
        if pattern.search(classes) and not _BIO.search(classes):
            text = element_text(element)
            if text and len(text) < 120:
                return text
    return None


def box_bio(box: Any) -> str | None:
    if box is None:
        return None
    for element in elements(box, ".//*[@class]"):
        if _BIO.search(_part_classes(element, box)) and element_text(element):
            return element_text(element)
    paragraphs = [element_text(p) for p in elements(box, ".//p")]
    return max(paragraphs, key=len) if paragraphs and max(map(len, paragraphs)) > 40 else None


# -- bylines -------------------------------------------------------------------------------


_BYLINE = re.compile(r"byline", re.IGNORECASE)
_AUTHOR_PAGE = re.compile(r"/(?:author|autor|auteur)", re.IGNORECASE)
_AUTHOR_WORD = re.compile(r"author(?!it|iz|is|ed)|byline", re.IGNORECASE)
# Class words of elements that name an author but hold something else (a photo credit, a
# commenter, the author's picture, bio or social links) or stand in another article's card.
_NOT_A_BYLINE = re.compile(
    r"comment|avatar|image|img|photo|foto|picture|bio|desc|social|twitter|facebook|"
    r"follow|note|caption|credit|teaser|related|recommend|promo|card-|gallery|contact|"
    r"mail",
    re.IGNORECASE,
)
_NOT_INSIDE = re.compile(
    r"comment|teaser|related|recommend|promo|sidebar|widget|gallery|caption|credit|"
    r"most-?read|popular|trending|newsletter",
    re.IGNORECASE,
)
_NOT_INSIDE_TAGS = frozenset(
    {"aside", "nav", "figure", "figcaption", "form", "button", "select", "label", "option"}
)
_LONGEST_BYLINE = 100
_WALK = etree.XPath(
    "//body//*[@rel='author' or contains(@itemprop, 'author')"
    " or contains(@class, 'uthor') or contains(@class, 'yline')"
    " or contains(@id, 'uthor') or contains(@id, 'yline')]"
    " | //body//a[contains(@href, '/author') or contains(@href, '/autor')"
    " or contains(@href, '/auteur')]"
)


def surveyed_bylines(surveyed: Survey | None) -> list[tuple[str, str]]:
    """The kind and text of each byline of the body that its survey found: elements whose
    class or id names a byline or an author (furniture.py finds both in its one walk)."""
    if surveyed is None:
        return []
    bylines = [e for e in surveyed.marked if _BYLINE.search(classes(e))]
    return list(_bylines(sorted([*bylines, *surveyed.author_named], key=_line)))


def walked_bylines(tree: Any) -> list[tuple[str, str]]:
    """The kind and text of every element that names an author, ``rel="author"``,
    ``itemprop="author"`` and links to an author's page among them: a search of the whole
    tree, for pages where nothing cheaper named one."""
    matches = _WALK(tree)
    elements = matches if isinstance(matches, list) else []
    return list(_bylines(e for e in elements if isinstance(e, etree._Element)))


def _line(element: Any) -> int:
    return element.sourceline or 0


def _bylines(elements: Iterable[Any]) -> Iterator[tuple[str, str]]:
    for element in elements:
        names = classes(element)
        kind = _kind(element)
        if element.tag == "link" or _NOT_A_BYLINE.search(names):
            continue
        if element.tag == "meta" and not (kind == "itemprop" and element.get("content")):
            continue
        if kind in ("byline", "author") and not _AUTHOR_WORD.search(names):
            continue  # "authority", "co-authored"
        if _inside_furniture(element):
            continue
        if kind == "itemprop":
            content = element.get("content")
            parts = element.xpath(".//*[@itemprop='name']")
            if content or parts:
                yield kind, content or ", ".join(element_text(p) for p in parts)
                continue
        text = element_text(element)
        if 0 < len(text) <= _LONGEST_BYLINE:
            yield kind, text


def _kind(element: Any) -> str:
    if "author" in (element.get("itemprop") or ""):
        return "itemprop"
    if element.get("rel") == "author":
        return "rel"
    if element.tag == "a" and _AUTHOR_PAGE.search(element.get("href") or ""):
        return "link"  # a link to the author's page: /author/name, /autoren/name
    return "byline" if _BYLINE.search(classes(element)) else "author"


def _inside_furniture(element: Any) -> bool:
    for ancestor in element.iterancestors():
        if ancestor.tag == "body":
            return False
        if ancestor.tag in _NOT_INSIDE_TAGS or _NOT_INSIDE.search(classes(ancestor)):
            return True
    return False
