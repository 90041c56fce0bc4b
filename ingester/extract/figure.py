"""The lead figure: whether the article opens with an image, its alt text and caption."""

from __future__ import annotations

import copy
import re
from typing import Any

from ..blocks import element_text
from .furniture import classes, drop, elements
from .metadata import first

_CREDIT = re.compile(r"credit|copyright|attribution|photographer|source", re.IGNORECASE)

# An AMP page marks its images up as <amp-img>, with the same alt attribute.
_IMAGES = ".//img | .//amp-img"


def lead_figure(container: Any) -> Any:
    for figure in container.iterdescendants("figure"):
        if next(figure.iterdescendants(*_IMAGE_TAGS), None) is not None:
            return figure
    return None


_IMAGE_TAGS = ("img", "amp-img")


def image_fields(figure: Any, meta: dict[str, str]) -> tuple[str | None, str | None, bool]:
    if figure is None:
        if meta.get("og:image"):
            return meta.get("og:image:alt"), None, True
        return None, None, False
    image = next(elements(figure, _IMAGES), None)
    alt = image.get("alt") if image is not None else None
    caption_element = next(elements(figure, ".//figcaption"), None)
    credit_element = next(
        (e for e in elements(figure, ".//*[@class or @itemprop]") if _is_credit(e)), None
    )
    credit = element_text(credit_element) if credit_element is not None else ""
    caption = ""
    if caption_element is not None:
        trimmed = copy.deepcopy(caption_element)
        for element in list(elements(trimmed, ".//*[@class or @itemprop]")):
            if _is_credit(element):
                drop(element)
        caption = element_text(trimmed)
    if credit and credit not in caption:
        credit = credit.strip("()")
        caption = f"{caption} ({credit})" if caption else f"({credit})"
    return first(alt), first(caption), True


def _is_credit(element: Any) -> bool:
    return bool(_CREDIT.search(f"{classes(element)} {element.get('itemprop') or ''}"))
