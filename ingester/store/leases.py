"""Leases: a node claims the feeds and re-checks it is about to do, for a while.

Any number of daemons, on any number of machines, may poll one PostgreSQL archive. Each
takes what is due with a lease (``lease_owner``, ``lease_until``) in one statement, so
no two take the same row: in PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``,
and a claim in progress is passed over, not waited for; SQLite's writes are one at a
time already. Recording the poll (``record_polls``) or saving the article gives the
lease back; a node renews its leases while it works, and the leases of a node that died
run out, whereupon another node claims those rows. A node is ``host:pid``: a node that
starts again on the same machine takes back at once what its dead predecessor held.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..clock import iso
from ..types import DueArticle, FeedForUpdate
from .articles import ArticleRows
from .feeds import FeedRows

NO_LIMIT = 1 << 62


def node_name() -> str:
    """This process as a lease's owner."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leases(ArticleRows, FeedRows):
    def claim_due_feeds(
        self,
        node: str,
        now: datetime,
        lease: float,
        default_interval: int,
        limit: int | None = None,
    ) -> list[FeedForUpdate]:
        """The due feeds no one holds, now held by ``node`` until ``now + lease``: the
        longest-waiting first, at most ``limit``."""
        with self._write() as conn:
            rows = conn.execute(
                f"""UPDATE feeds SET lease_owner = ?, lease_until = ? WHERE id IN (
                        SELECT id FROM feeds
                        WHERE active = 1 AND gone_at IS NULL AND next_poll_at <= ?
                            AND (lease_until IS NULL OR lease_until <= ?)
                        ORDER BY next_poll_at, id LIMIT ?{self._skip_locked})
                    RETURNING id, next_poll_at""",
                (node, _until(now, lease), iso(now), iso(now), limit or NO_LIMIT),
            ).fetchall()
        # Longest-waiting first; read back in chunks (SQLite takes so many parameters).
        ids = [int(r[0]) for r in sorted(rows, key=lambda r: (r[1], r[0]))]
        found: dict[int, FeedForUpdate] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for feed in self._feeds(f"WHERE f.id IN ({marks})", chunk, default_interval):
                found[feed.id] = feed
        return [found[i] for i in ids]

    def claim_due_articles(
        self, node: str, now: datetime, lease: float, limit: int
    ) -> list[DueArticle]:
        """Articles whose re-check is due and no one holds, now held by ``node``."""
        with self._write() as conn:
            rows = conn.execute(
                f"""UPDATE articles SET lease_owner = ?, lease_until = ? WHERE id IN (
                        SELECT id FROM articles
                        WHERE next_check_at <= ?
                            AND (lease_until IS NULL OR lease_until <= ?)
                        ORDER BY next_check_at, id LIMIT ?{self._skip_locked})
                    RETURNING id, url, first_seen_at, next_check_at""",
                (node, _until(now, lease), iso(now), iso(now), limit),
            ).fetchall()
        rows.sort(key=lambda r: (r[3], r[0]))
        return [DueArticle(int(r[0]), r[1], datetime.fromisoformat(r[2])) for r in rows]

    def renew_leases(
        self,
        node: str,
        now: datetime,
        lease: float,
        feeds: Sequence[int] = (),
        articles: Sequence[int] = (),
    ) -> int:
        """The ``feeds`` and ``articles`` that ``node`` is at work on, held on until
        ``now + lease``; how many rows. Only those: a claim whose poll failed is not
        renewed, and runs out (a pause before it is tried again, by any node)."""
        until = _until(now, lease)
        renewed = 0
        with self._write() as conn:
            for table, ids in (("feeds", feeds), ("articles", articles)):
                for chunk in _chunks(ids):
                    marks = ",".join("?" * len(chunk))
                    renewed += len(
                        conn.execute(
                            f"UPDATE {table} SET lease_until = ?"
                            f" WHERE lease_owner = ? AND id IN ({marks}) RETURNING id",
                            (until, node, *chunk),
                        ).fetchall()
                    )
        return renewed

    def release_leases(self, node: str) -> None:
        """What ``node`` holds, given back (a daemon stopping: the rest may take it now)."""
        with self._write() as conn:
            for table in ("feeds", "articles"):
                conn.execute(
                    f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL"
                    " WHERE lease_owner = ?",
                    (node,),
                )

    def release_dead_leases(self, host: str) -> list[str]:
        """The leases of nodes on ``host`` whose process is gone, given back; their names."""
        owners = {
            owner
            for table in ("feeds", "articles")
            for (owner,) in self.db.execute(
                f"SELECT DISTINCT lease_owner FROM {table} WHERE lease_owner LIKE ?",
                (host.replace("%", "") + ":%",),
            ).fetchall()
        }
        dead = sorted(owner for owner in owners if not _alive(owner.rpartition(":")[2]))
        for owner in dead:
            self.release_leases(owner)
        return dead

    @property
    def _skip_locked(self) -> str:
        return " FOR UPDATE SKIP LOCKED" if self.engine == "postgresql" else ""


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _until(now: datetime, lease: float) -> str:
    return iso(now + timedelta(seconds=lease))


def _alive(pid: str) -> bool:
    if not pid.isdigit():
        return True  # not a name this module made: left to run out
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
