"""The archive's two engines: SQLite (the default, one machine), or PostgreSQL, which the
daemons of several machines share (docs/scale-out.md).

The store's SQL is written once, in the form both engines read, with SQLite's
placeholders (``?`` and ``:name``). ``PgDatabase`` gives psycopg the same statements with
its own placeholders, and offers the few calls of ``sqlite_utils.Database`` the store
makes (``execute``, ``executemany``, ``query``), so every query runs unchanged on both.
What the engines do differently (full-text search, triggers, the schema's version, row
locks) is said where it happens, by ``engine``.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from ..errors import StoreError


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Sql(Protocol):
    """What a write transaction (``Connection._write``) and a migration step are handed: a
    ``sqlite3.Connection``, or ``PgDatabase`` inside a PostgreSQL transaction."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...
    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Any: ...


class PgDatabase:
    """A psycopg connection that reads the store's SQL (see the module's docstring).

    Autocommit, as the SQLite connection is: the only transactions are the explicit ones
    of ``Connection._write``.
    """

    def __init__(self, url: str, read_only: bool = False) -> None:
        self.url, self.read_only = url, read_only
        self.conn = self._connect()

    def _connect(self) -> Any:
        import psycopg  # only an archive on PostgreSQL needs it loaded

        conn = psycopg.connect(self.url, autocommit=True)
        if self.read_only:
            conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        return conn

    def live(self) -> None:
        """A new session where the server ended the last one (a restart, a failover): the
        statement that found it gone failed, the next one runs. A daemon goes on."""
        if self.conn.broken:
            self.conn = self._connect()

    def execute(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        self.live()
        with _unreachable():
            if parameters is None:
                return self.conn.execute(pg_sql(sql, False))
            return self.conn.execute(pg_sql(sql, True), parameters)

    def executemany(self, sql: str, parameters: Iterable[Any]) -> None:
        self.live()
        with _unreachable(), self.conn.cursor() as cursor:
            cursor.executemany(pg_sql(sql, True), parameters)

    def query(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        from psycopg.rows import dict_row

        self.live()
        with _unreachable(), self.conn.cursor(row_factory=dict_row) as cursor:
            if parameters is None:
                cursor.execute(pg_sql(sql, False))
            else:
                cursor.execute(pg_sql(sql, True), parameters)
            yield from cursor

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def _unreachable() -> Iterator[None]:
    """The server gone or refusing (a restart, a network down) as StoreError, in one line:
    the daemon logs it and tries again at its next tick; a command says it and exits 1."""
    import psycopg

    try:
        yield
    except psycopg.OperationalError as e:
        raise StoreError(f"the archive's database: {first_line(e)}") from e


def first_line(error: Exception) -> str:
    """psycopg's messages run to several lines (a hint, the statement): the first."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# A quoted string, a [bracketed] or "quoted" name, a ?, a :name (not a PostgreSQL ::cast),
# or a % sign.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\[(\w+)\]|\"[^\"]*\"|\?|(?<!:):([A-Za-z_]\w*)|%")


@functools.lru_cache(maxsize=1024)
def pg_sql(sql: str, with_parameters: bool) -> str:
    """The store's SQL as psycopg reads it: ``?`` -> ``%s``, ``:name`` -> ``%(name)s``,
    ``[name]`` -> ``"name"``; a literal ``%`` doubled where psycopg fills in parameters."""

    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        if match.group(1):
            return f'"{match.group(1)}"'
        if text[0] in "'\"":
            return text.replace("%", "%%") if with_parameters else text
        if not with_parameters:
            return text
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return f"%({match.group(2)})s"

    return _TOKENS.sub(token, sql)
