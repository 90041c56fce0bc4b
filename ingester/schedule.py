"""Pure timing rules: when to poll a feed next, when to re-check an article, in which
order to take a run's feeds.

Nothing here reads the clock or does I/O; the caller passes ``now`` and a random source,
so every rule can be tested at any instant. What a response's headers say about freshness
is read in ``fetch.headers``; this module only weighs it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from .config import Settings
from .types import FeedForUpdate, PollResult
from .urls import host_key


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
    if result.more_entries and (result.new_articles or result.new_versions):
        # The rest of a long feed's new entries, soon; not when the poll got nowhere (its
        # entries' pages keep failing): that feed waits its interval like any other.
        interval = settings.min_interval
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


def interleave_hosts(urls: Sequence[str]) -> list[int]:
    """Positions of ``urls`` in an order where each host's come round in turn: a host's
    second URL only after every host's first, so no run of one host's feeds waits on its
    gate while other hosts sit idle. Order within a host is kept."""
    rank: dict[str, int] = {}
    keyed = []
    for index, url in enumerate(urls):
        host = host_key(url)
        rank[host] = rank.get(host, -1) + 1
        keyed.append((rank[host], index))
    return [index for _, index in sorted(keyed)]
