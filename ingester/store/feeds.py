"""Feed rows, which double as the schedule: each holds its validators, its last result and
when it is due next, so a restart resumes where the daemon stopped."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from ..clock import iso
from ..errors import NotFound
from ..types import FeedForUpdate, FeedSpec, PollRecord, PollResult
from .captures import CAPTURE_COLUMNS, CaptureRows
from .rows import FeedHealth


class FeedRows(CaptureRows):
    def sync_feeds(self, specs: Sequence[FeedSpec], now: datetime) -> None:
        """Make the feed rows follow the config: add, update, deactivate the removed ones.

        In statements of bounded size whatever the list's length (a cluster's config may
        name a million feeds; a statement takes some tens of thousands of parameters)."""
        configured = {spec.url for spec in specs}
        with self._write() as conn:
            conn.executemany(
                """INSERT INTO feeds
                       (url, name, section, interval, active, added_at, next_poll_at)
                   VALUES (?, ?, ?, ?, 1, ?, ?)
                   ON CONFLICT (url) DO UPDATE SET name = excluded.name,
                       section = excluded.section, interval = excluded.interval, active = 1,
                       next_poll_at = COALESCE(feeds.next_poll_at, excluded.next_poll_at)""",
                [(s.url, s.name, s.section, s.interval, iso(now), iso(now)) for s in specs],
            )
            active = conn.execute("SELECT url FROM feeds WHERE active = 1").fetchall()
            removed = [url for (url,) in active if url not in configured]
            conn.executemany("UPDATE feeds SET active = 0 WHERE url = ?", [(u,) for u in removed])

    def ensure_feed(self, url: str, now: datetime) -> FeedForUpdate:
        """A feed fetched by hand: recorded (inactive unless configured) so it can be polled."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO feeds (url, active, added_at) VALUES (?, 0, ?) ON CONFLICT DO NOTHING",
                (url, iso(now)),
            )
        return self._feeds("WHERE f.url = ?", [url])[0]

    def due_feeds(self, now: datetime, default_interval: int) -> list[FeedForUpdate]:
        return self._feeds(
            "WHERE f.active = 1 AND f.gone_at IS NULL"
            " AND (f.next_poll_at IS NULL OR f.next_poll_at <= ?) ORDER BY f.next_poll_at",
            [iso(now)],
            default_interval,
        )

    def active_feeds(self, default_interval: int) -> list[FeedForUpdate]:
        return self._feeds(
            "WHERE f.active = 1 AND f.gone_at IS NULL ORDER BY f.id", [], default_interval
        )

    def feeds_named(self, names: Iterable[str], default_interval: int) -> list[FeedForUpdate]:
        found = []
        for name in names:
            rows = self._feeds(
                "WHERE f.name = ? OR f.url = ? OR f.poll_url = ?",
                [name, name, name],
                default_interval,
            )
            if not rows:
                raise NotFound(f"no feed named {name!r} in the archive or the config")
            found.extend(rows)
        return found

    def _feeds(
        self, where: str, params: Sequence[Any], default_interval: int = 1800
    ) -> list[FeedForUpdate]:
        rows = self.db.execute(
            "SELECT f.id, COALESCE(f.poll_url, f.url), f.name, f.section, f.interval, f.etag,"
            " f.last_modified, f.consecutive_failures, f.content_sha256, f.server_interval,"
            f" {CAPTURE_COLUMNS} FROM feeds f LEFT JOIN captures c ON c.id = f.capture_id"
            f" {where}",
            params,
        ).fetchall()
        return [
            FeedForUpdate(
                id=r[0],
                url=r[1],
                name=r[2],
                section=r[3],
                interval=r[4] or default_interval,
                etag=r[5],
                last_modified=r[6],
                consecutive_failures=r[7],
                content_sha256=r[8],
                server_interval=r[9],
                capture=self.capture_ref(r[10:]),
            )
            for r in rows
        ]

    def record_poll(
        self,
        feed: FeedForUpdate,
        result: PollResult,
        started_at: datetime,
        next_poll_at: datetime | None,
        *,
        keep_polls: int | None = None,
        **updates: str | None,
    ) -> None:
        """One poll's record; see ``record_polls``."""
        record = PollRecord(feed, result, started_at, next_poll_at, updates)
        self.record_polls([record], keep_polls=keep_polls)

    def record_polls(self, records: Sequence[PollRecord], keep_polls: int | None = None) -> None:
        """The polls' rows, and each feed row updated: its health, validators and schedule,
        all in one transaction (a daemon polling thousands of feeds a second writes them
        in batches; one transaction per poll would cost more than the poll).

        Validators are only ever replaced by newer ones (a 304 may carry new ones too).
        """
        if not records:
            return
        node = socket.gethostname()
        polls = [
            (
                r.feed.id,
                iso(r.started_at),
                r.result.duration_ms,
                r.result.status,
                r.result.http_status,
                r.result.new_articles,
                r.result.new_versions,
                r.result.error,
                json.dumps(_page_errors(r.result)),
                node,
            )
            for r in records
        ]
        feeds = [
            {
                "started": iso(r.started_at),
                "status": r.result.status,
                "http": r.result.http_status,
                "error": r.result.error,
                "next": iso(r.next_poll_at) if r.next_poll_at else None,
                "ok": r.result.status not in ("error", "gone"),
                "etag": r.updates.get("etag"),
                "last_modified": r.updates.get("last_modified"),
                "title": r.updates.get("title"),
                "moved_to": r.updates.get("moved_to"),
                "content_sha256": r.updates.get("content_sha256"),
                "server_interval": r.result.server_interval,
                "id": r.feed.id,
            }
            for r in records
        ]
        with self._write() as conn:
            for r in records:
                if r.capture is not None and r.capture != r.feed.capture:
                    conn.execute(
                        "UPDATE feeds SET capture_id = ? WHERE id = ?",
                        (self._put_capture(conn, r.capture), r.feed.id),
                    )
            conn.executemany(
                """INSERT INTO polls (feed_id, started_at, duration_ms, status, http_status,
                       new_articles, new_versions, error, page_errors, node)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                polls,
            )
            conn.executemany(
                """UPDATE feeds SET last_polled_at = :started, last_status = :status,
                       last_http_status = :http, last_error = :error, next_poll_at = :next,
                       consecutive_failures = CASE WHEN :ok THEN 0
                           ELSE consecutive_failures + 1 END,
                       last_success_at = CASE WHEN :ok THEN :started ELSE last_success_at END,
                       gone_at = CASE WHEN :status = 'gone' THEN :started END,
                       etag = COALESCE(:etag, etag),
                       last_modified = COALESCE(:last_modified, last_modified),
                       title = COALESCE(:title, title),
                       poll_url = COALESCE(:moved_to, poll_url),
                       content_sha256 = COALESCE(:content_sha256, content_sha256),
                       server_interval = CASE WHEN :ok THEN :server_interval
                           ELSE server_interval END,
                       lease_owner = NULL, lease_until = NULL
                   WHERE id = :id""",
                feeds,
            )
            if keep_polls is not None:
                # The poll log is bounded: a feed polled for years keeps its newest polls.
                conn.executemany(
                    """DELETE FROM polls WHERE feed_id = ? AND id <= (
                           SELECT id FROM polls WHERE feed_id = ?
                           ORDER BY id DESC LIMIT 1 OFFSET ?)""",
                    [(r.feed.id, r.feed.id, keep_polls) for r in records],
                )

    def known_entries(self, feed_id: int) -> dict[str, str]:
        """The feed's entries as last stored (key -> entry JSON), to tell what is new."""
        rows = self.db.execute(
            "SELECT entry_key, entry FROM feed_entries WHERE feed_id = ?", (feed_id,)
        ).fetchall()
        return {key: entry for key, entry in rows}

    def feed_health(self) -> list[FeedHealth]:
        return cast(
            list[FeedHealth],
            list(
                self.db.query(
                    """SELECT name, url, poll_url, active, last_status, last_http_status,
                          consecutive_failures, last_error, last_success_at, last_polled_at,
                          next_poll_at, gone_at
                   FROM feeds ORDER BY active DESC, id"""
                )
            ),
        )


def _page_errors(result: PollResult) -> list[str]:
    """The poll row's errors: those kept whole, and a last line counting the rest."""
    kept = list(result.page_errors)
    if result.more_page_errors:
        kept.append(f"... and {result.more_page_errors} more")
    return kept
