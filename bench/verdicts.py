"""What `make bench` holds the daemon to: ratios to figures measured in the same run.

The machines are shared and noisy, so no verdict rests on an absolute rate: each rate is
judged against a ceiling (what the machine and nginx allow, bench/baselines.py) and
against reader (bench/reader_peer.py), both measured minutes apart on the same site in
the same state. Memory is judged in megabytes, since it does not move with the load.

A figure that is missing (a phase or a comparison that could not be measured) is never a
pass: the verdict is then FAIL, so a broken comparison cannot hide a slow daemon.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

REPOLL_VS_CEILING = 0.75  # unchanged feeds (304s) against bare aiohttp conditional GETs
CHANGED_VS_CEILING = 0.4  # changed feeds, no new entry, against bare aiohttp GETs
INGEST_VS_EXTRACTION = 0.85  # new articles on real pages against extract_page alone
VS_READER = 10.0  # both re-polls against reader's, in feeds/s
MAIN_MEMORY_MB = 150.0  # the daemon's main process, peak resident, with 10,000 feeds
PROCESS_MEMORY_MB = 200.0  # each poller process and each extraction worker, peak resident


@dataclass(frozen=True, slots=True)
class Floor:
    """Ours must be at least ``factor`` times ``theirs``, a figure of the same run."""

    name: str  # what theirs is: "ceiling", "reader", "extraction"
    factor: float
    theirs: float | None


def holds(floor: Floor, ours: float | None) -> bool:
    """A floor with either figure missing, or a comparison that measured nothing (0/s),
    does not hold."""
    if ours is None or floor.theirs is None or floor.theirs <= 0:
        return False
    return ours >= floor.factor * floor.theirs


def rate_verdict(ours: float | None, floors: Sequence[Floor]) -> bool:
    """PASS only when every floor holds."""
    return bool(floors) and all(holds(floor, ours) for floor in floors)


def floors_text(floors: Sequence[Floor]) -> str:
    return " and ".join(f">= {floor.factor:g}x {floor.name}" for floor in floors)


def below(value_mb: float | None, limit_mb: float) -> bool:
    return value_mb is not None and value_mb < limit_mb


def each_below(values_mb: Sequence[float], limit_mb: float) -> bool | None:
    """Every process of a kind under the limit; None when there is none of that kind
    (nothing to judge: the caller says whether that is itself a failure)."""
    if not values_mb:
        return None
    return all(below(value, limit_mb) for value in values_mb)
