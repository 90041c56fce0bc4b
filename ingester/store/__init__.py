"""The archive: a SQLite file or a PostgreSQL database (engines.py), and the only package
that holds SQL.

Every distinct rendering of every article is kept once, as a numbered version. The feed
rows double as the schedule. ``Store`` is built from one part per job: the connection
(``connection``), the schema's steps and what applies them (``schema``, ``migrations``),
feed rows (``feeds``), articles and versions (``articles``), raw pages (``raw_pages``),
reading (``queries``), the daemon's heartbeat (``daemon_row``), and a cluster's leases
(``leases``) and turns at each host (``hosts``).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ..errors import StoreError
from ..locations import engine_of
from .daemon_row import DaemonRows
from .hosts import HostTurns
from .leases import Leases
from .migrations import MIGRATIONS, Migrations
from .queries import Queries


class Store(Queries, Leases, HostTurns, DaemonRows, Migrations):
    """Open (creating or upgrading) the archive at ``target``: a SQLite file's path, or a
    ``postgresql://`` URL, whose WARC files are in ``warcs`` (the folder its nodes share).

    ``read_only`` opens it for reading only (connection.py): nothing is written, so an
    archive written by an earlier version is refused rather than upgraded.
    """

    def __init__(
        self, target: Path | str, read_only: bool = False, *, warcs: Path | None = None
    ) -> None:
        if engine_of(target) == "sqlite":
            _check_file(Path(target))
        try:
            self._connect(target, read_only, warcs)
            if read_only:
                self._require_current_schema()
            else:
                self._migrate()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{target}: cannot open the archive: {e}") from e

    def _require_current_schema(self) -> None:
        version, current = self.schema_version, len(MIGRATIONS)
        if version != current:
            self.close()
        if version > current:
            raise StoreError(f"archive schema {version} is newer than this release understands")
        if version < current:
            raise StoreError(
                f"{self.name}: archive schema {version} is from an earlier version and cannot "
                "be upgraded here, read-only: open it once where it can be written"
            )


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"{path}: is a directory, not an archive file")
    if path.exists() and not os.access(path, os.R_OK):
        raise StoreError(f"{path}: cannot read the archive: permission denied")


__all__ = ["Store"]
