"""Being a good guest: per-host request limits and robots.txt.

Feed and page requests share one ``HostGate``, so a host sees at most
``host_concurrency`` requests at once from us and their starts are at least
``host_gap`` seconds apart, whichever feed or article they are for. Nodes of a cluster
share an archive on PostgreSQL, and with it the limits (``SharedHostGate``): a host sees
them kept by all of the nodes together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from protego import Protego

from ..errors import AddressRefused, FetchError
from ..urls import host_key

Monotonic = Callable[[], float]


@dataclass
class _Host:
    slots: asyncio.Semaphore
    next_start: float = 0.0


class HostGate:
    def __init__(self, concurrency: int, gap: float) -> None:
        self.concurrency = concurrency
        self.gap = gap
        self._hosts: dict[str, _Host] = {}

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        key = host_key(url)
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host(asyncio.Semaphore(self.concurrency))
        async with host.slots:
            # A request starts once ``gap`` has passed since the last one started, as seen
            # when it wakes (a loop running late must not bunch starts up). One event loop:
            # the check and the claim cannot be interleaved, so no lock is needed.
            loop = asyncio.get_running_loop()
            while (wait := host.next_start - loop.time()) > 0:
                await asyncio.sleep(wait)
            host.next_start = loop.time() + self.gap
            yield


class HostTurns(Protocol):
    """Where a cluster's nodes take their turns at a host (store/hosts.py)."""

    def take_host_slot(self, host: str, slots: int) -> int | None: ...
    def give_host_slot(self, host: str, slot: int) -> None: ...
    def take_host_turn(self, host: str, gap: float) -> float: ...


SLOT_RETRY = (0.02, 0.5)  # seconds between looks for a free slot: first, at most


class SharedHostGate(HostGate):
    """The host's limits for every node of a cluster: this process's own gate first (its
    requests queue here, not at the database), then a slot of the host's and a start
    reserved among all the nodes'."""

    def __init__(self, concurrency: int, gap: float, turns: HostTurns) -> None:
        super().__init__(concurrency, gap)
        self.turns = turns

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        key = host_key(url)
        async with super().slot(url):
            retry = SLOT_RETRY[0]
            while (held := self.turns.take_host_slot(key, self.concurrency)) is None:
                # Bounded: every slot is a request under its timeout, and a dead node's go with
                # its connection.
                await asyncio.sleep(retry)
                retry = min(retry * 2, SLOT_RETRY[1])
            try:
                # No gap asked for, no start to reserve: a round trip saved a request.
                if self.gap > 0 and (wait := self.turns.take_host_turn(key, self.gap)) > 0:
                    await asyncio.sleep(wait)
                yield
            finally:
                self.turns.give_host_slot(key, held)


# RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be had
# (5xx, network) disallows everything until it can. Failures are asked again sooner.
ROBOTS_TTL = 24 * 3600.0
ROBOTS_ERROR_TTL = 3600.0

RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes]]]


@dataclass(frozen=True)
class _Rules:
    parser: Protego | None  # None: no rules, everything allowed
    allow_all: bool
    expires: float


class RobotsCache:
    """robots.txt per host, fetched once and kept for a day."""

    def __init__(self, fetch: RobotsFetch, clock: Monotonic = time.monotonic) -> None:
        self._fetch = fetch
        self._clock = clock
        self._rules: dict[str, _Rules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str, user_agent: str) -> bool:
        rules = await self._rules_for(host_key(url))
        if rules.parser is None:
            return rules.allow_all
        return bool(rules.parser.can_fetch(url, user_agent))

    async def _rules_for(self, host: str) -> _Rules:
        async with self._locks.setdefault(host, asyncio.Lock()):
            rules = self._rules.get(host)
            if rules is None or rules.expires <= self._clock():
                rules = await self._load(host)
                self._rules[host] = rules
            return rules

    async def _load(self, host: str) -> _Rules:
        try:
            status, body = await self._fetch(f"{host}/robots.txt")
        except AddressRefused:
            # The host's address is refused (fetch/guard.py): so is the page, and that is
            # the reason to give, not a robots.txt that was never asked for. Not cached:
            # the refusal costs no request, and the setting may change.
            raise
        except FetchError:  # no answer at all: disallow for now
            return _Rules(None, False, self._clock() + ROBOTS_ERROR_TTL)
        if 400 <= status < 500:
            return _Rules(None, True, self._clock() + ROBOTS_TTL)
        if status != 200:
            return _Rules(None, False, self._clock() + ROBOTS_ERROR_TTL)
        text = body.decode("utf-8", errors="replace")
        return _Rules(Protego.parse(text), True, self._clock() + ROBOTS_TTL)
