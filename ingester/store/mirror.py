"""``ingester mirror FILE.db``: a SQLite copy of a PostgreSQL archive, kept current by
copying only what changed since the last round, for Datasette (which reads SQLite only)
and for anyone who wants the archive as one file.

Which rows changed is PostgreSQL's to say (schema step 9): every row carries the
transaction that wrote it last (``written_by``), every delete leaves the row's key in
``mirror_deletes``. A round reads in one snapshot, from the horizon the last round left:
the oldest transaction still running when that round's snapshot was taken, so a write
that committed after its snapshot was read is read in this one (a few rows may be read
twice; writing them again changes nothing). The copy is one SQLite transaction: a reader
of the mirror sees one round or the next, never half of one. The poll log is trimmed in
the copy by the rule that trims it at the source (``keep_polls``).

An article's current version is set after its versions are in, so that SQLite's own
triggers keep its search index and title, as they do for the daemon. Capture pointers
name their WARC files by absolute path: the mirror need not lie beside them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import iso
from ..errors import StoreError
from .connection import Connection
from .engines import PgDatabase, Sql
from .schema import MIRRORED

# Referenced tables before those that point at them.
ORDER = (
    "captures", "raw_pages", "feeds", "articles", "article_urls", "versions",
    "feed_entries", "revisits", "polls", "daemon",
)  # fmt: skip
CHUNK = 2000  # rows read from PostgreSQL and written to SQLite at a time

STATE = """CREATE TABLE IF NOT EXISTS mirror_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    source TEXT NOT NULL,
    horizon TEXT NOT NULL,
    mirrored_at TEXT NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class MirrorRound:
    rows: int  # rows written (added or changed)
    deleted: int
    seconds: float
    first: bool  # the whole archive, as no round had been made into this file


def mirror_round(
    source: Connection, target: Connection, now: datetime, keep_polls: int
) -> MirrorRound:
    """Copy what changed at ``source`` (a PostgreSQL archive) into ``target`` (a SQLite
    one), in one round."""
    if not isinstance(source.db, PgDatabase) or target.engine != "sqlite":
        raise StoreError("a mirror copies a PostgreSQL archive into a SQLite file")
    started = time.monotonic()
    target.db.execute(STATE)
    row = target.db.execute("SELECT source, horizon FROM mirror_state").fetchone()
    if row is not None and row[0] != source.name:
        raise StoreError(f"{target.path}: a mirror of {row[0]}, not of {source.name}")
    horizon = row[1] if row else "0"
    rows = deleted = 0
    conn = source.db.conn
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        next_horizon = source.db.execute(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text"
        ).fetchone()[0]
        with target._write() as sqlite:
            deleted = _deletes(source.db, sqlite, horizon)
            shown: list[tuple[Any, Any, Any]] = []  # (version, article, version) to show
            for table in ORDER:
                rows += _copy(source, sqlite, table, horizon, _columns(target, table), shown)
            # Now the versions are in: SQLite's triggers index and title what is shown.
            sqlite.executemany(
                "UPDATE articles SET current_version_id = ? WHERE id = ?"
                " AND current_version_id IS NOT ?",
                shown,
            )
            _trim_polls(sqlite, keep_polls)
            sqlite.execute(
                "INSERT INTO mirror_state (id, source, horizon, mirrored_at) VALUES (1, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET horizon = excluded.horizon,"
                " mirrored_at = excluded.mirrored_at",
                (source.name, next_horizon, iso(now)),
            )
    return MirrorRound(rows, deleted, time.monotonic() - started, row is None)


def _columns(target: Connection, table: str) -> list[str]:
    """The mirror's columns of ``table``: the archive's, without PostgreSQL's own."""
    return [r[1] for r in target.db.execute(f"PRAGMA table_info([{table}])").fetchall()]


def _deletes(source: PgDatabase, sqlite: Sql, horizon: str) -> int:
    """Rows deleted at the source since ``horizon``, deleted here: those that point at
    others first."""
    found = source.execute(
        "SELECT table_name, row_key FROM mirror_deletes WHERE written_by >= ?::xid8"
        " ORDER BY written_by",
        (horizon,),
    ).fetchall()
    rank = {table: n for n, table in enumerate(ORDER)}
    for table, key in sorted(found, key=lambda r: -rank.get(r[0], 0)):
        if table not in MIRRORED:
            continue
        values = json.loads(key)
        where = " AND ".join(f"{column} = ?" for column in values)
        sqlite.execute(f"DELETE FROM {table} WHERE {where}", tuple(values.values()))
    return len(found)


def _copy(
    source: Connection,
    sqlite: Sql,
    table: str,
    horizon: str,
    columns: list[str],
    shown: list[tuple[Any, Any, Any]],
) -> int:
    """The rows of ``table`` written since ``horizon``, added or changed here; an
    article's current version is left for ``shown``."""
    key = MIRRORED[table].split(",")
    articles = table == "articles"
    copied = [c for c in columns if not (articles and c == "current_version_id")]
    upsert = _upsert(table, copied, key)
    selected = [*copied, "current_version_id"] if articles else copied
    count = 0
    assert isinstance(source.db, PgDatabase)
    for chunk in _changed(source.db, table, horizon, selected):
        if table == "captures":
            chunk = [_absolute(str(source.folder), copied, row) for row in chunk]
        sqlite.executemany(upsert, [row[: len(copied)] for row in chunk])
        if articles:
            shown.extend((row[-1], row[0], row[-1]) for row in chunk)
        count += len(chunk)
    return count


def _changed(
    source: PgDatabase, table: str, horizon: str, columns: Sequence[str]
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``table`` written since ``horizon``, a chunk at a time, by a cursor on
    the server (the first round reads every row of a large archive)."""
    selected = ", ".join(f'"{c}"' for c in columns)
    sql = f"SELECT {selected} FROM {table} WHERE written_by >= %s::xid8 ORDER BY written_by"
    with source.conn.cursor(name=f"mirror_{table}") as cursor:
        cursor.execute(sql, (horizon,))
        while chunk := cursor.fetchmany(CHUNK):
            yield [tuple(r) for r in chunk]


def _upsert(table: str, columns: Sequence[str], key: Sequence[str]) -> str:
    names = ", ".join(f"[{c}]" for c in columns)
    marks = ", ".join("?" * len(columns))
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c not in key)
    conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    return (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({', '.join(key)}) {conflict}"
    )


def _absolute(folder: str, columns: Sequence[str], row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A capture's file as a path from anywhere: the source names it within its folder."""
    at = columns.index("file")
    name = row[at]
    if not name.startswith("/"):
        return (*row[:at], f"{folder}/{name}", *row[at + 1 :])
    return row


def _trim_polls(sqlite: Sql, keep_polls: int) -> None:
    sqlite.execute(
        """DELETE FROM polls WHERE id IN (
               SELECT id FROM (SELECT id, ROW_NUMBER() OVER (
                   PARTITION BY feed_id ORDER BY id DESC) AS n FROM polls)
               WHERE n > ?)""",
        (keep_polls,),
    )
