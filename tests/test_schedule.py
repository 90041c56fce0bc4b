"""The schedule's rules as pure functions: every test passes ``now`` and the random source.

Expected values are worked out from the rules as the issue states them (interval =
max(configured, server hint) within [min, max]; backoff doubles per failure up to a cap;
Retry-After is never undercut; re-checks decay with age), not read back from the code.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingester.config import Settings
from ingester.schedule import interleave_hosts, next_check_at, next_poll_at, poll_interval
from ingester.types import FeedForUpdate, PollResult, PollStatus

NOW = datetime(2025, 7, 21, 12, 0, 0, tzinfo=UTC)
MINUTE, HOUR, DAY = 60, 3600, 86400


class StubRandom(random.Random):
    """``uniform(a, b)`` always lands at ``position`` (0 = a, 1 = b) of the range."""

    def __init__(self, position: float) -> None:
        super().__init__(0)
        self.position = position
        self.calls = 0

    def uniform(self, a: float, b: float) -> float:
        self.calls += 1
        return a + (b - a) * self.position


def feed(interval: int = 1800, failures: int = 0) -> FeedForUpdate:
    return FeedForUpdate(
        id=1,
        url="https://news.example.com/feed.xml",
        name="news",
        section=None,
        interval=interval,
        etag=None,
        last_modified=None,
        consecutive_failures=failures,
    )


def settings(**changes: object) -> Settings:
    """Settings with no jitter unless a test asks for it, so waits are exact."""
    values: dict[str, object] = {"jitter": 0.0, **changes}
    return Settings(**values)  # type: ignore[arg-type]


def result(
    status: PollStatus = "ok",
    server_interval: int | None = None,
    retry_after: int | None = None,
) -> PollResult:
    return PollResult("news", status, server_interval=server_interval, retry_after=retry_after)


def wait_after(
    due: datetime | None,
) -> float:
    assert due is not None
    return (due - NOW).total_seconds()


# -- the interval -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("configured", "hint", "low", "high", "expected"),
    [
        (1800, None, 300, DAY, 1800),  # no hint: as configured
        (1800, 2 * HOUR, 300, DAY, 2 * HOUR),  # the server asks for less: it gets it
        (1800, 10 * MINUTE, 300, DAY, 1800),  # a hint never makes polling more frequent
        (1800, 1800, 300, DAY, 1800),
        (60, None, 300, DAY, 300),  # below the minimum: raised to it
        (60, 120, 300, DAY, 300),
        (1800, 30 * DAY, 300, DAY, DAY),  # a hint past the maximum: cut to it
        (3 * DAY, None, 300, DAY, DAY),  # a configured interval past the maximum too
        (1800, 0, 300, DAY, 1800),  # max-age=0 says nothing about coming back
    ],
)
def test_interval_is_the_longer_of_configured_and_server_hint_within_bounds(
    configured: int, hint: int | None, low: int, high: int, expected: int
) -> None:
    chosen = poll_interval(feed(configured), hint, settings(min_interval=low, max_interval=high))

    assert chosen == expected


@given(
    configured=st.integers(1, 10 * DAY),
    hint=st.none() | st.integers(0, 100 * DAY),
    low=st.integers(1, DAY),
    span=st.integers(0, 10 * DAY),
)
def test_interval_always_lies_within_min_and_max(
    configured: int, hint: int | None, low: int, span: int
) -> None:
    high = low + span

    chosen = poll_interval(feed(configured), hint, settings(min_interval=low, max_interval=high))

    assert low <= chosen <= high
    # Never shorter than what was configured or asked for, unless the maximum says so.
    assert chosen >= min(max(configured, hint or 0), high)


@pytest.mark.parametrize("status", ["ok", "not_modified", "unchanged"])
def test_without_jitter_the_next_poll_is_exactly_one_interval_away(status: PollStatus) -> None:
    due = next_poll_at(feed(1800), result(status), NOW, settings(), random.Random(1))

    assert due == NOW + timedelta(seconds=1800)


@pytest.mark.parametrize("status", ["ok", "not_modified", "unchanged"])
def test_a_server_hint_after_a_success_sets_the_next_poll(status: PollStatus) -> None:
    due = next_poll_at(
        feed(1800), result(status, server_interval=2 * HOUR), NOW, settings(), random.Random(1)
    )

    assert due == NOW + timedelta(hours=2)


@pytest.mark.parametrize(("position", "factor"), [(0.0, 0.9), (0.5, 1.0), (1.0, 1.1)])
def test_jitter_varies_the_wait_by_at_most_its_fraction_either_way(
    position: float, factor: float
) -> None:
    rng = StubRandom(position)

    due = next_poll_at(feed(1000), result(), NOW, settings(jitter=0.1), rng)

    assert rng.calls >= 1
    assert wait_after(due) == pytest.approx(1000 * factor)


@given(seed=st.integers(0, 2**32 - 1), jitter=st.floats(0.0, 0.99), interval=st.integers(1, DAY))
def test_jittered_wait_stays_within_the_fraction_for_any_seed(
    seed: int, jitter: float, interval: int
) -> None:
    config = settings(jitter=jitter, min_interval=1, max_interval=DAY)

    wait = wait_after(next_poll_at(feed(interval), result(), NOW, config, random.Random(seed)))

    assert interval * (1 - jitter) - 1e-6 <= wait <= interval * (1 + jitter) + 1e-6


def test_jitter_spreads_feeds_that_share_an_interval() -> None:
    config = settings(jitter=0.1)

    dues = {next_poll_at(feed(1800), result(), NOW, config, random.Random(s)) for s in range(20)}

    assert len(dues) > 10


def test_the_same_seed_gives_the_same_schedule() -> None:
    config = settings(jitter=0.1)

    first = next_poll_at(feed(1800), result(), NOW, config, random.Random(42))
    again = next_poll_at(feed(1800), result(), NOW, config, random.Random(42))

    assert first == again


# -- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("before", range(12))
def test_backoff_doubles_per_consecutive_failure_up_to_max_backoff(before: int) -> None:
    # ``before`` failures already on the row; this poll is failure number before + 1.
    config = settings(max_backoff=DAY, min_interval=60)

    due = next_poll_at(feed(600, before), result("error"), NOW, config, random.Random(1))

    assert wait_after(due) == min(600 * 2**before, DAY)


def test_backoff_never_overflows_and_never_gives_up() -> None:
    config = settings(max_backoff=6 * HOUR)

    due = next_poll_at(feed(1800, failures=10_000), result("error"), NOW, config, random.Random(1))

    assert wait_after(due) == 6 * HOUR


def test_a_failing_feed_is_never_polled_more_often_than_a_healthy_one() -> None:
    config = settings(max_backoff=60, min_interval=60)

    due = next_poll_at(feed(HOUR, failures=3), result("error"), NOW, config, random.Random(1))

    assert wait_after(due) == HOUR


@given(
    seed=st.integers(0, 2**32 - 1),
    failures=st.integers(0, 40),
    jitter=st.floats(0.0, 0.5),
)
def test_jittered_backoff_stays_within_the_fraction_of_the_capped_wait(
    seed: int, failures: int, jitter: float
) -> None:
    config = settings(max_backoff=DAY, min_interval=60, jitter=jitter)

    wait = wait_after(
        next_poll_at(feed(600, failures), result("error"), NOW, config, random.Random(seed))
    )

    capped = min(600 * 2**failures, DAY)
    assert capped * (1 - jitter) - 1e-6 <= wait <= capped * (1 + jitter) + 1e-6


@pytest.mark.parametrize("position", [0.0, 0.5, 1.0])
def test_retry_after_is_never_undercut(position: float) -> None:
    config = settings(jitter=0.2)

    due = next_poll_at(
        feed(1800), result("error", retry_after=2 * HOUR), NOW, config, StubRandom(position)
    )

    assert wait_after(due) == 2 * HOUR


def test_a_backoff_longer_than_retry_after_wins() -> None:
    due = next_poll_at(
        feed(1800, failures=3), result("error", retry_after=60), NOW, settings(), random.Random(1)
    )

    assert wait_after(due) == 1800 * 2**3


def test_a_huge_retry_after_is_capped_at_max_backoff() -> None:
    config = settings(max_backoff=DAY)

    due = next_poll_at(
        feed(1800), result("error", retry_after=10**12), NOW, config, random.Random(1)
    )

    assert wait_after(due) == DAY


@given(
    seed=st.integers(0, 2**32 - 1),
    retry_after=st.integers(0, 10 * DAY),
    failures=st.integers(0, 20),
)
def test_retry_after_is_respected_unless_past_the_cap(
    seed: int, retry_after: int, failures: int
) -> None:
    config = settings(max_backoff=DAY, jitter=0.1)
    error = result("error", retry_after=retry_after)

    wait = wait_after(next_poll_at(feed(1800, failures), error, NOW, config, random.Random(seed)))

    assert wait >= min(retry_after, DAY)
    assert wait <= DAY * 1.1 + 1e-6


@pytest.mark.parametrize("retry_after", [None, 60])
def test_a_gone_feed_has_no_next_poll(retry_after: int | None) -> None:
    gone = result("gone", retry_after=retry_after)

    assert next_poll_at(feed(1800, failures=2), gone, NOW, settings(), random.Random(1)) is None


# -- re-checks ----------------------------------------------------------------------------

SCHEDULE = Settings().recheck  # every 15m to 3h, hourly to 1d, 6-hourly to 7d, daily to 30d
FIRST_SEEN = NOW - timedelta(days=40)


@pytest.mark.parametrize(
    ("age", "expected_from_first_seen"),
    [
        (timedelta(0), timedelta(minutes=15)),
        (timedelta(minutes=20), timedelta(minutes=35)),
        # A minute before the 3-hour boundary: the next look is at the boundary, not past it.
        (timedelta(hours=2, minutes=59), timedelta(hours=3)),
        (timedelta(hours=3), timedelta(hours=4)),
        (timedelta(hours=23), timedelta(hours=24)),
        (timedelta(hours=23, minutes=30), timedelta(hours=24)),
        (timedelta(days=6), timedelta(days=6, hours=6)),
        (timedelta(days=6, hours=20), timedelta(days=7)),
        (timedelta(days=29), timedelta(days=30)),
    ],
)
def test_recheck_schedule_decays_with_the_articles_age(
    age: timedelta, expected_from_first_seen: timedelta
) -> None:
    now = FIRST_SEEN + age

    assert next_check_at(FIRST_SEEN, now, SCHEDULE) == FIRST_SEEN + expected_from_first_seen


@pytest.mark.parametrize(
    "age", [timedelta(days=30), timedelta(days=30, seconds=1), timedelta(days=400)]
)
def test_an_article_past_the_schedule_is_never_checked_again(age: timedelta) -> None:
    assert next_check_at(FIRST_SEEN, FIRST_SEEN + age, SCHEDULE) is None


def test_an_empty_schedule_turns_rechecks_off() -> None:
    assert next_check_at(FIRST_SEEN, FIRST_SEEN, ()) is None


@given(age=st.integers(0, 30 * DAY - 1))
def test_a_recheck_never_jumps_past_a_step_boundary(age: int) -> None:
    now = FIRST_SEEN + timedelta(seconds=age)

    due = next_check_at(FIRST_SEEN, now, SCHEDULE)

    assert due is not None
    assert due > now
    assert due - now <= timedelta(seconds=max(every for every, _ in SCHEDULE))
    for _, until in SCHEDULE:
        boundary = FIRST_SEEN + timedelta(seconds=until)
        if now < boundary:
            assert due <= boundary


@given(age=st.integers(0, 30 * DAY - 1))
def test_a_recheck_is_at_most_one_step_of_the_current_age_away(age: int) -> None:
    now = FIRST_SEEN + timedelta(seconds=age)
    every = next(every for every, until in SCHEDULE if age < until)

    due = next_check_at(FIRST_SEEN, now, SCHEDULE)

    assert due is not None
    assert due - now <= timedelta(seconds=every)


# -- the order of a round: hosts in turn --------------------------------------------------


def test_interleaving_takes_each_hosts_feeds_in_turn() -> None:
    urls = ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://c/1", "http://b/2"]

    order = interleave_hosts(urls)

    assert [urls[i] for i in order] == [
        "http://a/1",
        "http://b/1",
        "http://c/1",
        "http://a/2",
        "http://b/2",
        "http://a/3",
    ]
