"""What a response's headers say about when to come back: the freshness hint
(Cache-Control max-age, Expires against the server's Date) and Retry-After, as pure
functions of the headers and ``now``.

Expected values are worked out from the rules as the issue states them, not read back
from the code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from ingester.fetch.headers import cache_interval, retry_after_seconds

NOW = datetime(2025, 7, 21, 12, 0, 0, tzinfo=UTC)

# -- what the response says about freshness ----------------------------------------------


@pytest.mark.parametrize(
    ("control", "expected"),
    [
        ("max-age=600", 600),
        ("public, max-age=3600, must-revalidate", 3600),
        ("Max-Age=120", 120),
        ('max-age="90"', 90),
        ("s-maxage=600, max-age=60", 60),
        ("private,max-age=45", 45),
    ],
)
def test_cache_control_max_age_is_the_hint(control: str, expected: int) -> None:
    assert cache_interval({"cache-control": control}, NOW) == expected


def test_s_maxage_alone_is_not_mistaken_for_max_age() -> None:
    assert cache_interval({"cache-control": "public, s-maxage=600"}, NOW) is None


@pytest.mark.parametrize(
    "control", ["no-cache", "no-store", "max-age=600, no-store", "no-cache, max-age=600"]
)
def test_no_cache_and_no_store_give_no_hint(control: str) -> None:
    expires = format_datetime(NOW + timedelta(hours=1), usegmt=True)

    assert cache_interval({"cache-control": control, "expires": expires}, NOW) is None


def test_max_age_wins_over_expires() -> None:
    expires = format_datetime(NOW + timedelta(hours=5), usegmt=True)

    assert cache_interval({"cache-control": "max-age=60", "expires": expires}, NOW) == 60


def test_expires_is_counted_from_the_servers_date_not_our_clock() -> None:
    served = NOW - timedelta(hours=3)  # the server's clock is three hours behind ours
    headers = {
        "date": format_datetime(served, usegmt=True),
        "expires": format_datetime(served + timedelta(minutes=90), usegmt=True),
    }

    assert cache_interval(headers, NOW) == 90 * 60


def test_expires_without_a_date_is_counted_from_now() -> None:
    headers = {"expires": format_datetime(NOW + timedelta(minutes=45), usegmt=True)}

    assert cache_interval(headers, NOW) == 45 * 60


@pytest.mark.parametrize("expires", ["0", "-1", "never", ""])
def test_an_invalid_expires_gives_no_hint(expires: str) -> None:
    assert cache_interval({"expires": expires, "date": format_datetime(NOW, True)}, NOW) is None


def test_an_expires_in_the_past_gives_no_hint() -> None:
    headers = {"expires": format_datetime(NOW - timedelta(hours=1), usegmt=True)}

    assert cache_interval(headers, NOW) is None


def test_no_caching_headers_give_no_hint() -> None:
    assert cache_interval({"content-type": "application/rss+xml"}, NOW) is None


# -- Retry-After ----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("120", 120), (" 7200 ", 7200), ("0", 0)])
def test_retry_after_in_seconds(value: str, expected: int) -> None:
    assert retry_after_seconds(value, NOW) == expected


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    value = format_datetime(NOW + timedelta(minutes=90), usegmt=True)

    assert retry_after_seconds(value, NOW) == 90 * 60


def test_retry_after_as_a_date_in_the_past_means_now() -> None:
    value = format_datetime(NOW - timedelta(minutes=5), usegmt=True)

    assert retry_after_seconds(value, NOW) == 0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5"])
def test_retry_after_that_is_neither_is_ignored(value: str | None) -> None:
    assert retry_after_seconds(value, NOW) is None
