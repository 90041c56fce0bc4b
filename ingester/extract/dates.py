"""When the article was published and last modified, as ISO 8601.

Candidates come in the order of how deliberately a publisher states them: JSON-LD
(``datePublished``, ``dateModified``), the article meta tags (``article:published_time``),
the other meta names publishers and their CMSs use (Dublin Core, ``pubdate``, …),
microdata and ``<time datetime>`` inside the article; htmldate's reading of the page is
the last resort, for the publishing date only.

Every value is normalised by ``clock.iso_date`` (ISO 8601 at the page's own offset), and
a value that does not read as a date is passed over for the next candidate.
"""

from __future__ import annotations

from typing import Any

from htmldate import find_date

from ..clock import iso_date
from .furniture import elements
from .metadata import ld_str

_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.issued",
    "dcterms.created",
    "sailthru.date",
    "parsely-pub-date",
)
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified")


def published(ld: dict[str, Any], meta: dict[str, str], container: Any, tree: Any) -> str | None:
    """The publishing date, from the first candidate that reads as a date."""
    for value in (ld_str(ld, "datePublished"), *(meta.get(name) for name in _PUBLISHED_META)):
        if found := iso_date(value):
            return found
    if found := _first_iso_date(_marked_times(container, "datePublished")):
        return found
    return _htmldate(tree)


def modified(ld: dict[str, Any], meta: dict[str, str], container: Any) -> str | None:
    for value in (ld_str(ld, "dateModified"), *(meta.get(name) for name in _MODIFIED_META)):
        if found := iso_date(value):
            return found
    return _first_iso_date(_marked_times(container, "dateModified", visible=False))


def _marked_times(container: Any, prop: str, visible: bool = True) -> list[str]:
    """Dates the article marks up for machines: microdata, then (for the publishing date)
    the first ``<time datetime>`` of the article."""
    found = [
        element.get("content") or element.get("datetime") or ""
        for element in elements(container, f'.//*[@itemprop="{prop}"]')
    ]
    if visible:
        first_time = next(container.iterdescendants("time"), None)
        if first_time is not None and first_time.get("datetime"):
            found.append(first_time.get("datetime"))
    return found


def _first_iso_date(values: list[str]) -> str | None:
    return next((found for value in values if (found := iso_date(value))), None)


def _htmldate(tree: Any) -> str | None:
    """htmldate's publishing date of the page (no pattern search in the text: a date in a
    sentence is as often another event's), as a date."""
    try:
        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception:  # htmldate's parsers fail in many ways on hostile markup
        return None
    return iso_date(found) if isinstance(found, str) else None
