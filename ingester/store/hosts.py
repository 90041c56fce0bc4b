"""Turns at each host for a cluster as a whole: a PostgreSQL archive's nodes keep one
host's requests within ``host_concurrency`` at once and ``host_gap`` apart, whichever
node makes them (fetch/politeness.py's ``SharedHostGate`` asks here).

A request in flight holds one of the host's slots, a session-level advisory lock: the
server lets it go when the node's connection ends, so a node that dies holds nothing.
Starts are spaced by one row per host, ``hosts.next_start``: each start is reserved in
one statement, the row locked only for it. Times are wall-clock seconds, which the
machines of a cluster share (NTP keeps them within milliseconds of each other).
"""

from __future__ import annotations

import time
import zlib

from .connection import Connection


class HostTurns(Connection):
    @property
    def _held(self) -> set[tuple[int, int]]:
        """The (host key, slot) locks this connection holds."""
        held: set[tuple[int, int]] = self.__dict__.setdefault("_slots_held", set())
        return held

    def take_host_slot(self, host: str, slots: int) -> int | None:
        """One of the host's ``slots`` free in the whole cluster, now held by this node;
        None while every one is taken."""
        held = self._held
        key = _key(host)
        for slot in range(slots):
            if (key, slot) in held:  # a session may take its own lock twice: not a slot
                continue
            (taken,) = self.db.execute("SELECT pg_try_advisory_lock(?, ?)", (key, slot)).fetchone()
            if taken:
                held.add((key, slot))
                return slot
        return None

    def give_host_slot(self, host: str, slot: int) -> None:
        key = _key(host)
        self.db.execute("SELECT pg_advisory_unlock(?, ?)", (key, slot))
        self._held.discard((key, slot))

    def take_host_turn(self, host: str, gap: float) -> float:
        """Seconds to wait before a request to ``host`` may start: the first moment
        ``gap`` after the last start any node reserved, now reserved for this one."""
        now = time.time()
        (next_start,) = self.db.execute(
            """INSERT INTO hosts (host, next_start) VALUES (?, ?)
               ON CONFLICT (host) DO UPDATE
               SET next_start = GREATEST(hosts.next_start, ?) + ?
               RETURNING next_start""",
            (host, now + gap, now, gap),
        ).fetchone()
        return max(0.0, float(next_start) - gap - now)


def _key(host: str) -> int:
    """The advisory lock's first key: a host as a signed 32-bit number."""
    return zlib.crc32(host.encode()) - (1 << 31)
