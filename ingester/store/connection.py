"""The archive's SQLite connection and its one way to write: short, explicit transactions."""

from __future__ import annotations

import os
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

    def _connect(self, path: Path | str, read_only: bool = False) -> None:
        self.path = Path(path)
        self.db = sqlite_utils.Database(_read_only(self.path) if read_only else path)
        # Autocommit: the only transactions are the explicit, short ones in _write().
        self.db.conn.isolation_level = None
        self.db.execute("PRAGMA busy_timeout = 5000")
        if not read_only:  # the archive is in WAL mode from its first opening on
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


def _read_only(path: Path) -> sqlite3.Connection:
    """The archive through SQLite's ``mode=ro``: every write is refused by SQLite itself.

    A reader of a WAL archive needs its ``-shm`` file: it reads one that exists, or makes
    one where the directory may be written. In a read-only directory the last writer to
    close (a daemon stopped cleanly) leaves neither ``-wal`` nor ``-shm``, and none can be
    made; there the file is opened ``immutable=1``, without locks. That is sound because
    with no ``-wal`` every committed write is in the file itself, and no writer can start
    one in a directory where the ``-wal`` cannot be created.
    """
    uri = path.resolve().as_uri()
    wal = path.with_name(path.name + "-wal")
    if not os.access(path.parent, os.W_OK) and not wal.exists():
        return sqlite3.connect(f"{uri}?immutable=1", uri=True)
    return sqlite3.connect(f"{uri}?mode=ro", uri=True)


def _stored_date(value: str | None) -> str | None:
    """SQL's ``iso_date(x)``: a stored date as ISO 8601, or as it was when it reads as none
    (nothing the publisher wrote is lost)."""
    return (iso_date(value) or value) if value is not None else None
