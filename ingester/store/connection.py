"""The archive's SQLite connection and its one way to write: short, explicit transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from ..clock import iso_date
from ..errors import StoreError


class Connection:
    """What every part of the ``Store`` stands on: the database and ``_write``."""

    path: Path
    db: sqlite_utils.Database

    def _connect(self, path: Path | str) -> None:
        self.path = Path(path)
        self.db = sqlite_utils.Database(path)
        # Autocommit: the only transactions are the explicit, short ones in _write().
        self.db.conn.isolation_level = None
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.conn.create_function("iso_date", 1, _stored_date, deterministic=True)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; sqlite3 errors leave as StoreError."""
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(e, sqlite3.Error):
                raise StoreError(f"archive write failed: {e}") from e
            raise

    def count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0])


def _stored_date(value: str | None) -> str | None:
    """SQL's ``iso_date(x)``: a stored date as ISO 8601, or as it was when it reads as none
    (nothing the publisher wrote is lost)."""
    return (iso_date(value) or value) if value is not None else None
