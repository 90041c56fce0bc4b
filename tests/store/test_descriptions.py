"""The schema's descriptions (store/descriptions.py): every table and column of a fresh
archive is described, and docs/schema.md is generated from them."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from ingester.store import Store
from ingester.store.descriptions import TABLES, schema_markdown
from tests.support.cli import PROJECT

# -- the schema's descriptions ------------------------------------------------------------


def test_every_table_and_column_of_a_fresh_archive_is_described(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    Store(db).close()
    with closing(sqlite3.connect(db)) as conn:
        names = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith(("versions_fts", "sqlite_"))
        ]
        actual = {
            name: {row[1] for row in conn.execute(f"PRAGMA table_info([{name}])")} for name in names
        }
    described = {table: set(columns) for table, (_, columns) in TABLES.items()}

    assert set(actual) == set(described), "tables: undescribed or described but missing"
    for table, columns in actual.items():
        assert columns - described[table] == set(), f"{table}: columns not described"
        assert described[table] - columns == set(), f"{table}: described columns that do not exist"
    for table, (about, meanings) in TABLES.items():
        assert about.strip(), f"{table} has an empty description"
        empty = [column for column, meaning in meanings.items() if not meaning.strip()]
        assert empty == [], f"{table}: columns with an empty description"


def test_docs_schema_md_is_generated_from_the_descriptions() -> None:
    written = (PROJECT / "docs" / "schema.md").read_text(encoding="utf-8")

    assert written == schema_markdown(), "docs/schema.md is out of date: run `make docs`"
