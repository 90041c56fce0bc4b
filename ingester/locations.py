"""Where an archive lives: a SQLite file's path (the default), or a ``postgresql://`` URL
of a database that several machines' daemons share (docs/scale-out.md). Every command's
``--db`` (``INGESTER_DB``) is one of the two."""

from __future__ import annotations

import os
import re
from typing import Literal

Engine = Literal["sqlite", "postgresql"]

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def engine_of(target: str | os.PathLike[str]) -> Engine:
    """A ``postgresql://`` URL names a PostgreSQL database; anything else a SQLite file."""
    return "postgresql" if os.fspath(target).startswith(POSTGRES_SCHEMES) else "sqlite"


def shown(target: str | os.PathLike[str]) -> str:
    """The archive's name for messages: a URL without its password."""
    text = os.fspath(target)
    if engine_of(text) == "sqlite":
        return text
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", text)


__all__ = ["Engine", "engine_of", "shown"]
