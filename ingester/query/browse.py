"""Datasette on the archive: table and column descriptions, and saved queries.

Datasette only reads; the daemon may keep writing. The archive is in WAL mode and every
write transaction is short, so readers never wait on a poll.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..store.descriptions import TABLES
from ..store.saved_queries import QUERIES


def metadata(db_path: Path) -> dict[str, Any]:
    """Datasette metadata for an archive file: descriptions and saved queries."""
    tables = {
        table: {"description": about, "columns": columns}
        for table, (about, columns) in TABLES.items()
    }
    return {
        "title": "ingester archive",
        "description": "Every version of every article the feeds pointed at. "
        "Start with the saved queries below.",
        "databases": {db_path.stem: {"tables": tables, "queries": QUERIES}},
    }


def serve(db_path: Path, host: str, port: int) -> None:
    """Run Datasette on the archive until Ctrl-C."""
    import uvicorn
    from datasette.app import Datasette

    app = Datasette([str(db_path)], metadata=metadata(db_path)).app()
    uvicorn.run(app, host=host, port=port, log_level="warning")
