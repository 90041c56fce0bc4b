"""Time as the project passes it around: an injectable clock and one text form for storage.

Nothing reads the wall clock behind a caller's back: whoever needs ``now`` is handed a
``Clock`` (tests pass a fixed one), and every stored time is written by ``iso``; dates as
pages write them become ISO 8601 through ``iso_date`` (extraction, and the schema step that
normalised archives written before it).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Stored times are UTC ISO 8601 text, so comparing them as text orders them in time."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


# -- dates as pages write them ---------------------------------------------------------

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
_EARLIEST = datetime(1990, 1, 1)  # before the web's news sites: a misread number
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))


def iso_date(text: str | None) -> str | None:
    """A date or time as a page wrote it, as ISO 8601; None when it is not a date.

    A time with an offset keeps it ("2024-05-03T12:00:00+02:00"), one said to be UTC
    ("Z", "GMT") gets "+00:00", one without any zone stays without one (the page does not
    say which clock), a date alone stays a date. ISO 8601, RFC 2822 and what dateutil reads
    as a whole date (with common zone abbreviations) are understood; before 1990 is a
    misreading.
    """
    if not text or not text.strip():
        return None
    text = text.strip()
    if _ISO_DATE.match(text):
        return text if _plausible_day(text) else None
    when = _read(text)
    if when is None or when.replace(tzinfo=None) < _EARLIEST:
        return None
    return when.isoformat(timespec="seconds")


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
