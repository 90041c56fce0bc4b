"""The archive: a SQLite file, and the only package that holds SQL.

Every distinct rendering of every article is kept once, as a numbered version. The feed
rows double as the schedule. ``Store`` is built from one part per job: the connection
(``connection``), the schema's migrations (``migrations``), feed rows (``feeds``),
articles and versions (``articles``), raw pages (``raw_pages``), reading (``queries``)
and the daemon's heartbeat (``daemon_row``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StoreError
from .daemon_row import DaemonRows
from .migrations import Migrations
from .queries import Queries


class Store(Queries, DaemonRows, Migrations):
    """Open (creating or upgrading) the archive at ``path``."""

    def __init__(self, path: Path | str) -> None:
        try:
            self._connect(path)
            self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{path}: cannot open the archive: {e}") from e


__all__ = ["Store"]
