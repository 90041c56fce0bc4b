"""The author box: the element a page names for its author, and the name, role and bio
inside it."""

from __future__ import annotations

import re
from typing import Any

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
