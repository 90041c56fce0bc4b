"""Time as the project passes it around: an injectable clock and one text form for storage.

Nothing reads the wall clock behind a caller's back: whoever needs ``now`` is handed a
``Clock`` (tests pass a fixed one), and every stored time is written by ``iso``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """Stored times are UTC ISO 8601 text, so comparing them as text orders them in time."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
