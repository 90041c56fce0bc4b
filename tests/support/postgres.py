"""A real PostgreSQL server for the tests (bench/postgres.py: ``initdb`` into a temporary
folder, ``pg_ctl`` on a free port of 127.0.0.1, stopped by its postmaster's PID), and
reads of an archive's rows on either engine.

One server per test process (pytest-xdist worker); each test gets a database of its own,
so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.postgres import PostgresServer, postgres_bin

__all__ = ["PostgresServer", "postgres_server", "read_dicts", "read_rows"]


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs Debian's postgresql)")
    with tempfile.TemporaryDirectory(prefix="ingester-pg-") as root:
        server = PostgresServer(bin_dir, Path(root))
        try:
            server.start()
            yield server
        finally:
            server.stop()


def read_rows(target: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows read through a second connection, as another process would read them; the
    store's SQL (SQLite's placeholders) on either engine."""
    from ingester.locations import engine_of
    from ingester.store.engines import pg_sql

    if engine_of(target) == "postgresql":
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(pg_sql(sql, True), params).fetchall()]
    import sqlite3

    with contextlib.closing(sqlite3.connect(target)) as conn:
        return conn.execute(sql, params).fetchall()


def read_dicts(target: str, sql: str, *params: object) -> list[dict[str, Any]]:
    """The same, each row as a dict by column name."""
    from ingester.locations import engine_of
    from ingester.store.engines import pg_sql

    if engine_of(target) == "postgresql":
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(target, autocommit=True, row_factory=dict_row) as conn:
            return conn.execute(pg_sql(sql, True), params).fetchall()
    import sqlite3

    with contextlib.closing(sqlite3.connect(target)) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
