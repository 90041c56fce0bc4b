"""The daemon's row: its heartbeat, and whether it stopped cleanly."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from ..clock import iso
from .connection import Connection
from .rows import DaemonRow


class DaemonRows(Connection):
    def heartbeat(self, pid: int, started_at: datetime, now: datetime, tick: int) -> None:
        with self._write() as conn:
            conn.execute(
                """INSERT INTO daemon (id, pid, started_at, heartbeat_at, tick)
                   VALUES (1, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET pid = excluded.pid,
                       started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at,
                       tick = excluded.tick, stopped_at = NULL""",
                (pid, iso(started_at), iso(now), tick),
            )

    def daemon_stopped(self, pid: int, now: datetime) -> None:
        with self._write() as conn:
            conn.execute("UPDATE daemon SET stopped_at = ? WHERE pid = ?", (iso(now), pid))

    def daemon(self) -> DaemonRow | None:
        rows = list(
            self.db.query("SELECT pid, started_at, heartbeat_at, tick, stopped_at FROM daemon")
        )
        return cast(DaemonRow, rows[0]) if rows else None
