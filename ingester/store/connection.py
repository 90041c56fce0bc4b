"""The archive's connection, to a SQLite file or a PostgreSQL database (engines.py), and
its one way to write: short, explicit transactions."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from ..clock import iso_date
from ..errors import StoreError
from ..locations import Engine, engine_of, shown
from .engines import PgDatabase, Sql, first_line


class Connection:
    """What every part of the ``Store`` stands on: the database and ``_write``.

    ``target`` is what names the archive (a file's path, a ``postgresql://`` URL) and
    ``folder`` where the names of its WARC files are relative to: a SQLite archive's own
    folder, a PostgreSQL archive's WARC folder (the one its nodes share).
    """

    target: str
    engine: Engine
    folder: Path
    db: sqlite_utils.Database | PgDatabase

    def _connect(
        self, target: Path | str, read_only: bool = False, warcs: Path | None = None
    ) -> None:
        self.target = os.fspath(target)
        self.engine = engine_of(self.target)
        if self.engine == "postgresql":
            self.folder = (warcs or Path("archive.warcs")).resolve()
            self.db = _postgres(self.target, read_only)
            return
        self.folder = Path(target).resolve().parent
        self.db = sqlite_utils.Database(_read_only(self.path) if read_only else target)
        # Autocommit: the only transactions are the explicit, short ones in _write().
        self.db.conn.isolation_level = None
        self.db.execute("PRAGMA busy_timeout = 5000")
        if not read_only:  # the archive is in WAL mode from its first opening on
            self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.conn.create_function("iso_date", 1, _stored_date, deterministic=True)

    @property
    def path(self) -> Path:
        """A SQLite archive's file (a PostgreSQL archive has none)."""
        return Path(self.target)

    @property
    def name(self) -> str:
        """The archive as messages name it (a URL without its password)."""
        return shown(self.target)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _write(self) -> Iterator[Sql]:
        """One short write transaction; the engine's errors leave as StoreError."""
        db = self.db
        if isinstance(db, PgDatabase):
            with _pg_errors():
                db.live()
                with db.conn.transaction():
                    yield db
            return
        conn = db.conn
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

    def _lock(self, conn: Sql, keys: list[str]) -> None:
        """Hold ``keys`` until the transaction ends, so that two nodes writing the same
        article do it one after the other. SQLite's writes are one at a time already
        (BEGIN IMMEDIATE); in PostgreSQL, advisory locks taken in one order (no deadlock):
        an article's URLs, then the article (``article N``), never the other way."""
        if self.engine == "postgresql":
            for key in sorted(set(keys)):
                conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (key,))

    def count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT COUNT(*) FROM [{table}]").fetchone()[0])


def _postgres(url: str, read_only: bool) -> PgDatabase:
    with _pg_errors(f"{shown(url)}: cannot open the archive: "):
        return PgDatabase(url, read_only)


@contextmanager
def _pg_errors(prefix: str = "archive write failed: ") -> Iterator[None]:
    """psycopg's errors as StoreError, in one line."""
    import psycopg

    try:
        yield
    except psycopg.Error as e:
        raise StoreError(prefix + first_line(e)) from e


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
