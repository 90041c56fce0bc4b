"""The field metric of ../shared/corpora/README.md ("Field accuracy (fundus-dev)"): titles
equal after NFC and whitespace collapsing, authors equal as sets of case-folded names,
dates the same instant within 60 s (the same day where one side has only a date), the
body by the shingle metric's F1."""

from __future__ import annotations

import email.utils
import importlib
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import ModuleType

from bench.eval_extraction import (
    Counts,
    aggregate,
    document_precision,
    document_recall,
    f1_score,
    normalise_space,
    score_document,
    tokens,
)

DATE_TOLERANCE = timedelta(seconds=60)


# -- titles and authors ----------------------------------------------------------------


def normalise_title(text: str) -> str:
    return normalise_space(unicodedata.normalize("NFC", text))


def titles_match(expected: str, given: str | None) -> bool:
    return given is not None and normalise_title(expected) == normalise_title(given)


# Our author line joins several names as "A, B and C" (ingester/extract/metadata.py).
_OUR_SEPARATORS = re.compile(r",|&|\sand\s")
# trafilatura joins names with "; "; bylines and annotations use either form.
_ANY_SEPARATORS = re.compile(r",|&|;|\sand\s")


def split_names(line: str | None, separators: re.Pattern[str] = _OUR_SEPARATORS) -> frozenset[str]:
    """The case-folded, NFC, whitespace-collapsed names of one author line."""
    if not line:
        return frozenset()
    folded = normalise_title(line).casefold()
    return frozenset(name.strip() for name in separators.split(folded) if name.strip())


def listed_names(authors: Sequence[str]) -> frozenset[str]:
    """A ground truth's list of names, each one name whatever punctuation it holds."""
    return frozenset(n for n in (normalise_title(a).casefold() for a in authors) if n)


def byline_names(line: str | None) -> frozenset[str]:
    """A byline's names (readability's ``byline``, trafilatura's annotations)."""
    return split_names(line, _ANY_SEPARATORS)


def our_names(line: str | None) -> frozenset[str]:
    return split_names(line, _OUR_SEPARATORS)


def trafilatura_names(line: str | None) -> frozenset[str]:
    return split_names(line, _ANY_SEPARATORS)


# -- dates -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class When:
    """A parsed date as the page wrote it: its wall-clock reading (tz-aware when the
    string gave an offset) and whether a time of day was given at all."""

    at: datetime
    has_time: bool
    iso: bool  # read by datetime.fromisoformat, not by a fallback


def _load_dateutil() -> ModuleType | None:
    # python-dateutil is in the virtualenv as a dependency of trafilatura's htmldate, not
    # one of ours: without it the formats below still parse.
    try:
        return importlib.import_module("dateutil.parser")
    except ImportError:
        return None


_DATEUTIL = _load_dateutil()
# dateutil fills what a string leaves out from its default: parsed against two defaults
# apart in every field, a date whose day differs was never given in full, and one whose
# hour differs gave no time of day.
_DEFAULT_A = datetime(2000, 1, 1, 0, 0, 0)
_DEFAULT_B = datetime(2001, 2, 2, 23, 59, 59)


def _iso(text: str) -> When | None:
    text = re.sub(r"[Zz]$", "+00:00", text)
    try:
        return When(datetime.combine(date.fromisoformat(text), datetime.min.time()), False, True)
    except ValueError:
        pass
    try:
        return When(datetime.fromisoformat(text), True, True)
    except ValueError:
        return None


def _rfc2822(text: str) -> When | None:
    try:
        return When(email.utils.parsedate_to_datetime(text), True, False)
    except (TypeError, ValueError, IndexError):
        return None


def _dateutil(text: str) -> When | None:
    assert _DATEUTIL is not None
    try:
        with warnings.catch_warnings():  # unknown zone names warn and are dropped
            warnings.simplefilter("ignore")
            a = _DATEUTIL.parse(text, default=_DEFAULT_A)
            b = _DATEUTIL.parse(text, default=_DEFAULT_B)
    except (ValueError, OverflowError, TypeError):
        return None
    if a.date() != b.date():  # "March 2015", "10:30": no day to compare
        return None
    return When(a, a.hour == b.hour, False)


def parse_date(text: str | None) -> When | None:
    """ISO 8601 first (what most pages write), then dateutil where installed, else
    RFC 2822 alone: dateutil reads RFC 2822 too, and tells a date without a time."""
    if not text or not text.strip():
        return None
    text = text.strip()
    return _iso(text) or (_dateutil(text) if _DATEUTIL is not None else _rfc2822(text))


def dates_match(expected: str, given: str | None) -> bool:
    """The same instant within 60 s; the same calendar day where either side has only a
    date. Where only one side carries an offset, the wall-clock readings are compared:
    a date without one is the local time of a zone nobody named."""
    truth, ours = parse_date(expected), parse_date(given)
    if truth is None or ours is None:
        return False
    if not (truth.has_time and ours.has_time):
        return truth.at.date() == ours.at.date()
    a, b = truth.at, ours.at
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return abs(a - b) <= DATE_TOLERANCE


def date_form(text: str | None) -> str:
    """How a date string reads: "missing", "iso", "other" (a fallback parsed it) or
    "unparseable"."""
    if not text or not text.strip():
        return "missing"
    when = parse_date(text)
    if when is None:
        return "unparseable"
    return "iso" if when.iso else "other"


# -- the body ----------------------------------------------------------------------------


def page_f1(counts: Counts) -> float:
    """One page's F1 from its shingle counts, 1 when nothing was expected or given."""
    tp, fp, fn = counts
    if tp + fp + fn == 0:
        return 1.0
    precision = document_precision(*counts) if tp + fp > 0 else 0.0
    recall = document_recall(*counts) if tp + fn > 0 else 0.0
    return f1_score(precision, recall)


def body_f1(pairs: Sequence[tuple[str, str]]) -> float:
    """The corpus F1 of the shingle metric over (truth, prediction) pairs."""
    counts = [score_document(truth, pred) for truth, pred in pairs]
    identical = [tokens(truth) == tokens(pred) for truth, pred in pairs]
    return aggregate(counts, identical).f1
