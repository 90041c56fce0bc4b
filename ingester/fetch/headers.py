"""What HTTP headers mean (RFC 9110, RFC 9111, RFC 9309): dates, freshness, Retry-After,
redirect chains, status lines and the robots.txt product token. Pure functions: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus


def status_message(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase.lower()
    except ValueError:
        phrase = "unexpected status"
    return f"fetch: {status} {phrase}"


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


def retry_after_seconds(value: str | None, now: datetime | None = None) -> int | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    when = http_date(value)
    if when is None:
        return None
    return max(0, int((when - (now or datetime.now(UTC))).total_seconds()))


def moved_to(hops: list[tuple[int, str]]) -> str | None:
    """The URL that a leading chain of permanent redirects (301, 308) points at."""
    moved = None
    for status, to in hops:
        if status not in (301, 308):
            break
        moved = to
    return moved


def product_token(user_agent: str) -> str:
    """``ingester/0.1 (+https://...)`` -> ``ingester``: what robots.txt groups are matched
    against (RFC 9309 2.2.1), not every word of the header."""
    words = user_agent.split()
    return words[0].split("/", 1)[0] if words else user_agent
