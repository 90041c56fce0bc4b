"""When the article was published and last modified, as ISO 8601.

Candidates come in the order of how deliberately a publisher states them: JSON-LD
(``datePublished``, ``dateModified``), the article meta tags (``article:published_time``),
the other meta names publishers and their CMSs use (Dublin Core, ``pubdate``, …),
microdata and ``<time datetime>`` inside the article; htmldate's reading of the page is
the last resort, for the publishing date only.

Every value is normalised: a time with its offset is kept at that offset (the page's own
clock: "2024-05-03T12:00:00+02:00"), a time the page says is UTC ("Z", "GMT") at
``+00:00``; a time without any zone stays without one, since the page does not say which
clock it is; a date alone stays a date ("2024-05-03"). A value that does not read as a date
is passed over for the next candidate.
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from dateutil import parser as dateutil_parser
from htmldate import find_date

from .furniture import elements

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
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Zone abbreviations that pages print after a time ("Fri Apr 28 19:20:36 CEST 2023"); an
# abbreviation not here leaves the time without an offset.
_ZONES = {
    name: timezone(timedelta(hours=hours))
    for name, hours in {
        "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2,
        "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "JST": 9, "KST": 9, "AEST": 10,
        "AEDT": 11, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6,
        "PST": -8, "PDT": -7,
    }.items()
}  # fmt: skip
_EARLIEST = datetime(1990, 1, 1)
_DEFAULTS = (
    datetime(2000, 1, 1),
    datetime(2001, 2, 2),
)  # before the web's news sites: a misread number


def normalised(text: str | None) -> str | None:
    """``text`` as ISO 8601 (see the module docstring), or None when it is not a date."""
    if not text or not text.strip():
        return None
    text = text.strip()
    if _ISO_DATE.match(text):
        return text if _plausible_day(text) else None
    when = _read(text)
    if when is None or when.replace(tzinfo=None) < _EARLIEST:
        return None
    return when.isoformat(timespec="seconds")


def published(ld: dict[str, Any], meta: dict[str, str], container: Any, tree: Any) -> str | None:
    """The publishing date, from the first candidate that reads as a date."""
    for value in (_ld(ld, "datePublished"), *(meta.get(name) for name in _PUBLISHED_META)):
        if found := normalised(value):
            return found
    if found := _first_normalised(_marked_times(container, "datePublished")):
        return found
    return _htmldate(tree)


def modified(ld: dict[str, Any], meta: dict[str, str], container: Any) -> str | None:
    for value in (_ld(ld, "dateModified"), *(meta.get(name) for name in _MODIFIED_META)):
        if found := normalised(value):
            return found
    return _first_normalised(_marked_times(container, "dateModified", visible=False))


def _read(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        rfc_2822 = parsedate_to_datetime(text)  # as in RSS: "Fri, 28 Apr 2023 ..."
    except (TypeError, ValueError, IndexError):
        rfc_2822 = None
    if rfc_2822 is not None and rfc_2822.tzinfo is not None:
        return rfc_2822
    # dateutil knows zone abbreviations ("CEST") that RFC 2822 leaves without an offset.
    return _dateutil(text) or rfc_2822


def _dateutil(text: str) -> datetime | None:
    """dateutil's reading, only when the text gives the whole date: dateutil fills what is
    missing from its default, so a text read alike with two defaults gave it all itself."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dateutil warns of zone names it does not know
            one = dateutil_parser.parse(text, default=_DEFAULTS[0], tzinfos=_ZONES)
            other = dateutil_parser.parse(text, default=_DEFAULTS[1], tzinfos=_ZONES)
    except (ValueError, OverflowError, TypeError):
        return None
    same_day = (one.year, one.month, one.day) == (other.year, other.month, other.day)
    return one if same_day else None


def _plausible_day(text: str) -> bool:
    try:
        return date.fromisoformat(text) >= _EARLIEST.date()
    except ValueError:
        return False


def _ld(ld: dict[str, Any], key: str) -> str | None:
    value = ld.get(key)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    return value if isinstance(value, str) else None


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


def _first_normalised(values: list[str]) -> str | None:
    return next((found for value in values if (found := normalised(value))), None)


def _htmldate(tree: Any) -> str | None:
    """htmldate's publishing date of the page (no pattern search in the text: a date in a
    sentence is as often another event's), as a date."""
    try:
        found = find_date(tree, extensive_search=False, original_date=True)
    except Exception:  # htmldate's parsers fail in many ways on hostile markup
        return None
    return normalised(found) if isinstance(found, str) else None
