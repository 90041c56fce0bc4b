"""When to poll a feed next and when to re-check an article: pure functions of the clock.

Nothing here reads the clock or does I/O; the caller passes ``now`` and a random source,
so every rule can be tested at any instant.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from .config import Settings
from .types import FeedForUpdate, PollResult


def poll_interval(feed: FeedForUpdate, server_interval: int | None, settings: Settings) -> int:
    """The feed's interval, lengthened when the server asks for less frequent polling.

    A server's hint (Cache-Control max-age, Expires, RSS ttl, sy:updatePeriod) only ever
    lengthens the configured interval: it says when new content is worth asking for.
    The result is clamped to [min_interval, max_interval].
    """
    interval = max(feed.interval, server_interval or 0)
    return max(settings.min_interval, min(interval, settings.max_interval))


def next_poll_at(
    feed: FeedForUpdate,
    result: PollResult,
    now: datetime,
    settings: Settings,
    rng: random.Random,
) -> datetime | None:
    """None for a feed that is gone (HTTP 410); otherwise when it is due next.

    After a success: its interval. After a failure: the interval doubled per consecutive
    failure, capped at ``max_backoff``, and never sooner than a Retry-After. A failing
    feed is never dropped. Every wait is varied by up to ``jitter`` either way, so feeds
    that started together do not stay in lockstep.
    """
    if result.status == "gone":
        return None
    interval = poll_interval(feed, result.server_interval, settings)
    if result.status != "error":
        wait = _jittered(interval, settings.jitter, rng)
        # The bounds hold after the jitter too.
        wait = max(settings.min_interval, min(wait, settings.max_interval))
        return now + timedelta(seconds=wait)
    failures = feed.consecutive_failures + 1
    cap = max(settings.max_backoff, interval)
    wait = min(_jittered(interval * 2 ** min(failures - 1, 30), settings.jitter, rng), cap)
    if result.retry_after is not None:
        wait = max(wait, min(result.retry_after, cap))
    return now + timedelta(seconds=wait)


def next_check_at(
    first_seen: datetime, now: datetime, schedule: tuple[tuple[int, int], ...]
) -> datetime | None:
    """When to look at an article's page again, on a schedule that decays with its age.

    ``schedule`` is (every, until) pairs in seconds of age, e.g. every 15 minutes until
    3 hours old, then hourly until a day old; past the last pair, never (None).
    """
    age = (now - first_seen).total_seconds()
    for every, until in schedule:
        if age < until:
            return min(now + timedelta(seconds=every), first_seen + timedelta(seconds=until))
    return None


def _jittered(seconds: float, jitter: float, rng: random.Random) -> float:
    return seconds * (1 + rng.uniform(-jitter, jitter))


_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def cache_interval(headers: Mapping[str, str], now: datetime) -> int | None:
    """How long the response says it stays fresh: Cache-Control max-age, else Expires.

    ``no-store``/``no-cache`` say nothing about when to come back, so they give None.
    """
    control = headers.get("cache-control", "")
    if "no-store" in control.lower() or "no-cache" in control.lower():
        return None
    if match := _MAX_AGE.search(control):
        return int(match.group(1)) or None
    expires = http_date(headers.get("expires"))
    if expires is None:
        return None  # absent, or "0" and other invalid dates, which mean already expired
    # Against the server's own Date when it sends one, so a skewed clock does not matter.
    seconds = int((expires - (http_date(headers.get("date")) or now)).total_seconds())
    return seconds if seconds > 0 else None


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (RFC 9110 5.6.7) as an aware datetime; None when absent or invalid."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def daemon_health(daemon: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The daemon's heartbeat row, judged: running (not stopped cleanly) and healthy
    (running, with a heartbeat younger than three ticks and a minute's slack)."""
    if daemon is None:
        return {"running": False, "healthy": False}
    age = (now - datetime.fromisoformat(daemon["heartbeat_at"])).total_seconds()
    running = daemon["stopped_at"] is None
    healthy = running and age <= 3 * daemon["tick"] + 60
    return {**daemon, "heartbeat_age": round(age), "running": running, "healthy": healthy}
