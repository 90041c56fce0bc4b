"""Politeness: the per-host gate, the robots.txt cache, and how the Fetcher uses both.

HostGate tests count what is inside the gate from within async tasks and read start times
from the event loop's own clock: a gap of 50 ms asserted as "starts at least 50 ms apart"
checks what the gate does, it does not sleep to wait for it. RobotsCache tests use a fake
fetch and a fake monotonic clock, so the TTLs are crossed without waiting.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TypeVar

import httpx
import pytest
import respx

from ingester.config import DEFAULT_USER_AGENT, Settings
from ingester.errors import FetchError
from ingester.fetch import Fetcher
from ingester.fetch.politeness import ROBOTS_ERROR_TTL, ROBOTS_TTL, HostGate, RobotsCache
from ingester.types import FetchResult

T = TypeVar("T")

SITE = "https://news.example.com"
FEED = f"{SITE}/feed.xml"
ROBOTS = f"{SITE}/robots.txt"
RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
HTML = b"<html><body><p>Hello</p></body></html>"
# Starts measured by the loop clock may be early by the loop's clock resolution.
SLACK = 0.002


# -- HostGate -----------------------------------------------------------------------------


@dataclass
class Occupancy:
    """How many tasks are inside the gate at once, and when each one got in."""

    inside: int = 0
    most: int = 0
    starts: list[float] = field(default_factory=list)

    async def visit(self, gate: HostGate, url: str, hold: float) -> None:
        async with gate.slot(url):
            self.starts.append(asyncio.get_running_loop().time())
            self.inside += 1
            self.most = max(self.most, self.inside)
            await asyncio.sleep(hold)
            self.inside -= 1


def test_no_more_than_host_concurrency_requests_to_one_host_at_once() -> None:
    async def go() -> Occupancy:
        gate, seen = HostGate(concurrency=2, gap=0.0), Occupancy()
        await asyncio.gather(*(seen.visit(gate, f"{SITE}/a/{i}", 0.02) for i in range(8)))
        return seen

    seen = asyncio.run(go())

    assert seen.most == 2
    assert len(seen.starts) == 8


def test_each_host_has_its_own_concurrency_limit() -> None:
    async def go() -> tuple[Occupancy, Occupancy, Occupancy]:
        gate = HostGate(concurrency=2, gap=0.0)
        first, second, both = Occupancy(), Occupancy(), Occupancy()

        async def visit(seen: Occupancy, url: str) -> None:
            async with gate.slot(url):
                for counter in (seen, both):
                    counter.inside += 1
                    counter.most = max(counter.most, counter.inside)
                await asyncio.sleep(0.02)
                for counter in (seen, both):
                    counter.inside -= 1

        await asyncio.gather(
            *(visit(first, f"{SITE}/a/{i}") for i in range(6)),
            *(visit(second, f"https://other.example.org/a/{i}") for i in range(6)),
        )
        return first, second, both

    first, second, both = asyncio.run(go())

    assert (first.most, second.most) == (2, 2)
    assert both.most == 4  # the two hosts' requests ran side by side


async def gets_in_while_held(gate: HostGate, held: str, other: str) -> bool:
    """Whether a request to ``other`` gets through the gate while one to ``held`` is in."""
    entered = asyncio.Event()

    async def visit_other() -> None:
        async with gate.slot(other):
            entered.set()

    async with gate.slot(held):
        task = asyncio.create_task(visit_other())
        for _ in range(20):  # with no gap, a free slot is taken within a few loop turns
            await asyncio.sleep(0)
        got_in = entered.is_set()
    await asyncio.wait_for(task, timeout=5)  # and it does get in once the slot is free
    return got_in


@pytest.mark.parametrize(
    ("held", "other"),
    [
        (f"{SITE}/a", f"{SITE}/b?x=1"),
        ("HTTPS://News.Example.COM/a", f"{SITE}/b"),
    ],
)
def test_urls_of_one_host_share_its_slots(held: str, other: str) -> None:
    gate = HostGate(concurrency=1, gap=0.0)

    assert asyncio.run(gets_in_while_held(gate, held, other)) is False


@pytest.mark.parametrize(
    ("held", "other"),
    [
        ("http://127.0.0.1:8001/a", "http://127.0.0.1:8002/a"),
        ("http://news.example.com/a", "https://news.example.com/a"),
        (f"{SITE}/a", "https://other.example.org/a"),
    ],
)
def test_another_host_port_or_scheme_has_slots_of_its_own(held: str, other: str) -> None:
    gate = HostGate(concurrency=1, gap=0.0)

    assert asyncio.run(gets_in_while_held(gate, held, other)) is True


def test_starts_to_one_host_are_at_least_the_gap_apart() -> None:
    gap = 0.05

    async def go() -> Occupancy:
        gate, seen = HostGate(concurrency=4, gap=gap), Occupancy()
        await asyncio.gather(*(seen.visit(gate, f"{SITE}/a/{i}", 0.0) for i in range(5)))
        return seen

    starts = sorted(asyncio.run(go()).starts)

    assert len(starts) == 5
    assert all(b - a >= gap - SLACK for a, b in itertools.pairwise(starts))


def test_the_gap_holds_even_while_earlier_requests_are_still_running() -> None:
    gap = 0.05

    async def go() -> Occupancy:
        gate, seen = HostGate(concurrency=3, gap=gap), Occupancy()
        await asyncio.gather(*(seen.visit(gate, f"{SITE}/a/{i}", 0.2) for i in range(3)))
        return seen

    seen = asyncio.run(go())
    starts = sorted(seen.starts)

    assert seen.most == 3  # they overlapped: the gap spaces starts, not whole requests
    assert all(b - a >= gap - SLACK for a, b in itertools.pairwise(starts))


def test_one_hosts_gap_does_not_delay_another_host() -> None:
    gap = 0.5

    async def go() -> tuple[float, Occupancy, Occupancy]:
        gate = HostGate(concurrency=4, gap=gap)
        busy, other = Occupancy(), Occupancy()
        began = asyncio.get_running_loop().time()
        await asyncio.gather(
            *(busy.visit(gate, f"{SITE}/a/{i}", 0.0) for i in range(2)),
            other.visit(gate, "https://other.example.org/a", 0.0),
        )
        return began, busy, other

    began, busy, other = asyncio.run(go())

    assert max(busy.starts) - began >= gap - SLACK  # the busy host's second request waited
    assert other.starts[0] - began < gap / 2  # the other host's did not


# -- RobotsCache ----------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeRobots:
    """Answers robots.txt requests from a table; counts them."""

    answers: dict[str, tuple[int, bytes] | FetchError]
    calls: list[str] = field(default_factory=list)

    async def __call__(self, url: str) -> tuple[int, bytes]:
        self.calls.append(url)
        await asyncio.sleep(0)  # let other tasks in, as a real request would
        answer = self.answers[url]
        if isinstance(answer, FetchError):
            raise answer
        return answer


def allowed(cache: RobotsCache, url: str, agent: str = DEFAULT_USER_AGENT) -> bool:
    return asyncio.run(cache.allowed(url, agent))


DISALLOW_A = (200, b"User-agent: *\nDisallow: /a/\n")


def test_robots_rules_decide_which_pages_are_allowed() -> None:
    cache = RobotsCache(FakeRobots({ROBOTS: DISALLOW_A}), FakeClock())

    assert allowed(cache, f"{SITE}/a/story") is False
    assert allowed(cache, f"{SITE}/b/story") is True
    assert allowed(cache, f"{SITE}/about") is True


def test_robots_rules_for_our_user_agent_apply_to_us_only() -> None:
    text = b"User-agent: ingester\nDisallow: /a/\n\nUser-agent: *\nDisallow:\n"
    cache = RobotsCache(FakeRobots({ROBOTS: (200, text)}), FakeClock())

    assert allowed(cache, f"{SITE}/a/story", DEFAULT_USER_AGENT) is False
    assert allowed(cache, f"{SITE}/a/story", "otherbot/2.0 (+https://other.example.org)") is True


def test_robots_txt_is_fetched_once_per_host_within_its_ttl() -> None:
    robots = FakeRobots({ROBOTS: DISALLOW_A, "https://other.example.org/robots.txt": DISALLOW_A})
    cache = RobotsCache(robots, FakeClock())

    async def go() -> None:
        await asyncio.gather(*(cache.allowed(f"{SITE}/a/{i}", "ingester") for i in range(5)))
        await cache.allowed(f"{SITE}/b/1", "ingester")
        await cache.allowed("https://other.example.org/a/1", "ingester")

    asyncio.run(go())

    assert robots.calls == [ROBOTS, "https://other.example.org/robots.txt"]


def test_robots_txt_is_fetched_again_after_its_ttl() -> None:
    robots = FakeRobots({ROBOTS: DISALLOW_A})
    clock = FakeClock()
    cache = RobotsCache(robots, clock)
    assert allowed(cache, f"{SITE}/a/story") is False

    clock.now += ROBOTS_TTL - 1
    robots.answers[ROBOTS] = (200, b"User-agent: *\nDisallow:\n")
    assert allowed(cache, f"{SITE}/a/story") is False  # still the cached rules
    assert len(robots.calls) == 1

    clock.now += 1
    assert allowed(cache, f"{SITE}/a/story") is True
    assert len(robots.calls) == 2


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_a_missing_robots_txt_allows_everything(status: int) -> None:
    cache = RobotsCache(FakeRobots({ROBOTS: (status, b"Disallow: /")}), FakeClock())

    assert allowed(cache, f"{SITE}/a/story") is True


@pytest.mark.parametrize(
    "answer",
    [(500, b""), (503, b"User-agent: *\nDisallow:\n"), FetchError(ROBOTS, "fetch: timed out")],
    ids=["500", "503", "fetch-error"],
)
def test_an_unreachable_robots_txt_disallows_until_asked_again(
    answer: tuple[int, bytes] | FetchError,
) -> None:
    robots = FakeRobots({ROBOTS: answer})
    clock = FakeClock()
    cache = RobotsCache(robots, clock)

    assert allowed(cache, f"{SITE}/a/story") is False
    assert allowed(cache, f"{SITE}/b/story") is False
    assert len(robots.calls) == 1

    # Asked again after the (shorter) error TTL, well before a day.
    robots.answers[ROBOTS] = (404, b"")
    clock.now += ROBOTS_ERROR_TTL
    assert ROBOTS_ERROR_TTL < ROBOTS_TTL
    assert allowed(cache, f"{SITE}/a/story") is True
    assert len(robots.calls) == 2


# -- the Fetcher ----------------------------------------------------------------------------


def run(
    router: respx.Router | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]],
    call: Callable[[Fetcher], Awaitable[T]],
    settings: Settings | None = None,
) -> T:
    """One Fetcher, its transport mocked by ``router``, in a fresh event loop."""
    handler = router.async_handler if isinstance(router, respx.Router) else router

    async def go() -> T:
        transport = httpx.MockTransport(handler)
        async with Fetcher(settings or Settings(host_gap=0.0), transport=transport) as fetcher:
            return await call(fetcher)

    return asyncio.run(go())


def fetch_error(
    router: respx.Router, call: Callable[[Fetcher], Awaitable[T]], settings: Settings | None = None
) -> FetchError:
    with pytest.raises(FetchError) as caught:
        run(router, call, settings)
    return caught.value


def test_a_page_disallowed_by_robots_is_refused_without_requesting_it() -> None:
    router = respx.Router()
    robots = router.get(ROBOTS).mock(return_value=httpx.Response(200, content=DISALLOW_A[1]))
    page = router.get(f"{SITE}/a/story").mock(return_value=httpx.Response(200, content=HTML))

    error = fetch_error(router, lambda f: f.get_page(f"{SITE}/a/story"))

    assert "robots.txt" in error.message
    assert page.call_count == 0
    assert robots.call_count == 1


def test_robots_txt_is_asked_once_for_many_pages_of_a_host() -> None:
    router = respx.Router()
    robots = router.get(ROBOTS).mock(return_value=httpx.Response(200, content=DISALLOW_A[1]))
    allowed_page = router.get(url__regex=rf"{SITE}/b/\d").mock(
        return_value=httpx.Response(200, content=HTML)
    )

    async def pages(fetcher: Fetcher) -> list[FetchResult | BaseException]:
        urls = [f"{SITE}/a/1", f"{SITE}/b/1", f"{SITE}/a/2", f"{SITE}/b/2"]
        return list(
            await asyncio.gather(*(fetcher.get_page(u) for u in urls), return_exceptions=True)
        )

    outcomes = run(router, pages)

    assert [isinstance(o, FetchError) for o in outcomes] == [True, False, True, False]
    assert robots.call_count == 1
    assert allowed_page.call_count == 2


def test_a_group_for_a_word_in_our_contact_url_does_not_apply_to_us() -> None:
    router = respx.Router()
    text = b"User-agent: *\nDisallow:\n\nUser-agent: github\nDisallow: /\n"
    router.get(ROBOTS).mock(return_value=httpx.Response(200, content=text))
    page = router.get(f"{SITE}/a/story").mock(return_value=httpx.Response(200, content=HTML))
    assert "github" in DEFAULT_USER_AGENT  # in the contact URL, not the product token

    run(router, lambda f: f.get_page(f"{SITE}/a/story"), Settings(host_gap=0.0))

    assert page.call_count == 1


def test_a_robots_txt_past_the_parsing_limit_is_read_up_to_it() -> None:
    router = respx.Router()
    padding = b"".join(b"# line %06d of a very long robots.txt\n" % i for i in range(20_000))
    text = b"User-agent: *\nDisallow: /private/\n" + padding
    assert len(text) > 600 * 1024
    router.get(ROBOTS).mock(return_value=httpx.Response(200, content=text))
    page = router.get(f"{SITE}/a/story").mock(return_value=httpx.Response(200, content=HTML))

    run(router, lambda f: f.get_page(f"{SITE}/a/story"), Settings(host_gap=0.0))

    assert page.call_count == 1


def test_robots_txt_is_requested_with_our_user_agent() -> None:
    router = respx.Router()
    robots = router.get(ROBOTS).mock(return_value=httpx.Response(404))
    router.get(f"{SITE}/a/story").mock(return_value=httpx.Response(200, content=HTML))
    agent = "ingester-test/9 (+https://example.org/contact)"

    run(router, lambda f: f.get_page(f"{SITE}/a/story"), Settings(host_gap=0, user_agent=agent))

    assert robots.calls.last.request.headers["user-agent"] == agent


def test_feeds_are_not_subject_to_robots_txt() -> None:
    router = respx.Router()
    robots = router.get(ROBOTS).mock(
        return_value=httpx.Response(200, content=b"User-agent: *\nDisallow: /\n")
    )
    feed = router.get(FEED).mock(return_value=httpx.Response(200, content=RSS))

    fetched = run(router, lambda f: f.get_feed(FEED))

    assert fetched.content == RSS
    assert feed.call_count == 1
    assert robots.call_count == 0


def test_with_robots_off_pages_are_fetched_regardless() -> None:
    router = respx.Router()
    robots = router.get(ROBOTS).mock(return_value=httpx.Response(200, content=DISALLOW_A[1]))
    page = router.get(f"{SITE}/a/story").mock(return_value=httpx.Response(200, content=HTML))

    run(router, lambda f: f.get_page(f"{SITE}/a/story"), Settings(host_gap=0, robots=False))

    assert page.call_count == 1
    assert robots.call_count == 0


def redirect(status: int, to: str) -> httpx.Response:
    return httpx.Response(status, headers={"Location": to})


@pytest.mark.parametrize(
    ("chain", "moved_to"),
    [
        ([301, 308], f"{SITE}/c.xml"),  # every hop permanent: moved to the end
        ([308], f"{SITE}/b.xml"),
        ([301, 302], f"{SITE}/b.xml"),  # a temporary hop stops the move where it is
        ([302, 301], None),
        ([307], None),
        ([], None),
    ],
)
def test_moved_to_follows_the_leading_chain_of_permanent_redirects(
    chain: list[int], moved_to: str | None
) -> None:
    router = respx.Router()
    urls = [f"{SITE}/{name}.xml" for name in "abc"[: len(chain) + 1]]
    for status, (here, there) in zip(chain, itertools.pairwise(urls), strict=True):
        router.get(here).mock(return_value=redirect(status, there))
    router.get(urls[-1]).mock(return_value=httpx.Response(200, content=RSS))

    fetched = run(router, lambda f: f.get_feed(urls[0]))

    assert fetched.moved_to == moved_to
    assert fetched.final_url == urls[-1]


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds_travels_on_the_fetch_error(status: int) -> None:
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(status, headers={"Retry-After": "120"}))

    error = fetch_error(router, lambda f: f.get_feed(FEED))

    assert (error.status, error.retry_after) == (status, 120)


def test_retry_after_as_a_date_travels_on_the_fetch_error() -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    router = respx.Router()
    router.get(FEED).mock(
        return_value=httpx.Response(503, headers={"Retry-After": format_datetime(later, True)})
    )

    error = fetch_error(router, lambda f: f.get_feed(FEED))

    assert error.retry_after is not None
    assert 3600 - 5 <= error.retry_after <= 3600


def test_an_error_without_retry_after_has_none() -> None:
    router = respx.Router()
    router.get(FEED).mock(return_value=httpx.Response(500))

    error = fetch_error(router, lambda f: f.get_feed(FEED))

    assert (error.status, error.retry_after) == (500, None)


# -- the Fetcher's host gate ----------------------------------------------------------------


@dataclass
class CountingServer:
    """A mock transport handler that counts requests in flight and notes their starts."""

    hold: float = 0.0
    inside: int = 0
    most: int = 0
    starts: list[tuple[float, str]] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.starts.append((time.monotonic(), request.url.path))
        self.inside += 1
        self.most = max(self.most, self.inside)
        try:
            await asyncio.sleep(self.hold)
        finally:
            self.inside -= 1
        content = RSS if request.url.path.endswith(".xml") else HTML
        return httpx.Response(200, content=content)


def test_feed_and_page_requests_share_the_hosts_concurrency_limit() -> None:
    server = CountingServer(hold=0.05)
    settings = Settings(host_concurrency=2, host_gap=0.0, robots=False)

    async def many(fetcher: Fetcher) -> None:
        feeds = [fetcher.get_feed(f"{SITE}/f{i}.xml") for i in range(3)]
        pages = [fetcher.get_page(f"{SITE}/a/{i}") for i in range(5)]
        await asyncio.gather(*feeds, *pages)

    run(server, many, settings)

    assert len(server.starts) == 8
    assert server.most == 2


def test_feed_and_page_requests_share_the_hosts_gap() -> None:
    server = CountingServer()
    gap = 0.05
    settings = Settings(host_concurrency=4, host_gap=gap, robots=False)

    async def mixed(fetcher: Fetcher) -> None:
        await fetcher.get_feed(FEED)
        await asyncio.gather(*(fetcher.get_page(f"{SITE}/a/{i}") for i in range(3)))

    run(server, mixed, settings)

    starts = sorted(t for t, _ in server.starts)
    assert len(starts) == 4
    assert all(b - a >= gap - SLACK for a, b in itertools.pairwise(starts))


def test_robots_txt_requests_take_their_turn_at_the_gate_too() -> None:
    server = CountingServer()
    gap = 0.05
    settings = replace(Settings(), host_concurrency=4, host_gap=gap, robots=True)

    run(server, lambda f: f.get_page(f"{SITE}/a/1"), settings)

    assert [path for _, path in server.starts] == ["/robots.txt", "/a/1"]
    (robots_at, _), (page_at, _) = server.starts
    assert page_at - robots_at >= gap - SLACK
