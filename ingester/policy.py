"""When a feed is due next: a pure function of its interval, its failures and the clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from .types import FeedForUpdate, PollResult


def next_poll_at(
    feed: FeedForUpdate, result: PollResult, now: datetime, max_backoff: int
) -> datetime:
    """The feed's interval after a success; doubling per consecutive failure after an error.

    A failing feed is never dropped: its wait is capped at ``max_backoff``.
    """
    if result.status != "error":
        return now + timedelta(seconds=feed.interval)
    failures = feed.consecutive_failures + 1
    wait = min(feed.interval * 2 ** min(failures - 1, 20), max(max_backoff, feed.interval))
    return now + timedelta(seconds=wait)
