"""Datasette on the archive: table and column descriptions, and saved queries.

Datasette only reads; the daemon may keep writing. The archive is in WAL mode and every
write transaction is short, so readers never wait on a poll.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from ..store.descriptions import TABLES
from ..store.saved_queries import QUERIES
from .replay import DEFAULT_PORT, replay_base

# Where the reading room links captured versions: ``ingester replay`` as it starts by
# default. Set by ``ingester serve --replay-url``, or for plain ``datasette`` in its
# metadata: ``plugins: {ingester: {replay: URL}}``.
REPLAY_BASE = replay_base("127.0.0.1", DEFAULT_PORT)

# How each table reads best: what a foreign key to it shows, and its facets.
_TABLE_VIEWS: dict[str, dict[str, Any]] = {
    "feeds": {"label_column": "name", "facets": ["last_status", "active"]},
    "versions": {"facets": ["kind", "source", "section"]},
    "feed_entries": {"facets": ["feed_id"]},
    "polls": {"facets": ["status", "feed_id"]},
}


def metadata(db_path: Path, replay: str = REPLAY_BASE) -> dict[str, Any]:
    """Datasette metadata for an archive file (``ingester serve``, which has opened it with
    the Store, so its schema is the newest), the reading room's replay links to ``replay``."""
    return {
        **archive_metadata([db_path.stem], titled={db_path.stem}),
        "plugins": {"ingester": {"replay": replay}},
    }


def archive_metadata(databases: list[str], titled: set[str]) -> dict[str, Any]:
    """Datasette metadata for archives attached under these names: descriptions (each
    table's columns folded under it), label columns and facets, and saved queries. The
    reading room hands the same to a plain ``datasette archive.db``. Archives in
    ``titled`` have articles.title (schema step 6) to label links to articles with."""

    def tables(name: str) -> dict[str, Any]:
        label = {"articles": {"label_column": "title" if name in titled else "url"}}
        return {
            table: {
                "description_html": _described(about, columns),
                **_TABLE_VIEWS.get(table, {}),
                **label.get(table, {}),
            }
            for table, (about, columns) in TABLES.items()
        }

    return {
        "title": "ingester archive",
        "description": "Every version of every article the feeds pointed at.",
        "databases": {name: {"tables": tables(name), "queries": QUERIES} for name in databases},
    }


def _described(about: str, columns: dict[str, str]) -> str:
    """A table's description, and what each column holds, folded away below it."""
    items = "".join(
        f"<dt><code>{escape(name)}</code></dt><dd>{escape(meaning)}</dd>"
        for name, meaning in columns.items()
    )
    return (
        f"<p>{escape(about)}</p><details><summary>What each column holds</summary>"
        f"<dl>{items}</dl></details>"
    )


def serve(db_path: Path, host: str, port: int, replay: str = REPLAY_BASE) -> None:
    """Run Datasette on the archive until Ctrl-C."""
    import uvicorn
    from datasette.app import Datasette

    app = Datasette([str(db_path)], metadata=metadata(db_path, replay)).app()
    uvicorn.run(app, host=host, port=port, log_level="warning")
