"""Archived versions -> files: one file per version in the article layout, or JSON lines.

Exports are deterministic: the same archive gives the same bytes, whatever the clock,
so an export can be diffed, checksummed or committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..store.rows import ExportedVersion

FORMATS = ("txt", "jsonl")
JSONL_NAME = "versions.jsonl"


def file_name(n: int, sha256: str) -> str:
    """``{n:03d}_{hash16}.txt``, as docs/layout.md names exported versions."""
    return f"{n:03d}_{sha256[:16]}.txt"


def write_export(directory: Path, versions: Iterable[ExportedVersion], fmt: str) -> Iterator[Path]:
    """Write each version; yields each path written (so callers can show progress)."""
    directory.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        path = directory / JSONL_NAME
        with path.open("w", encoding="utf-8", newline="\n") as out:
            for version in versions:
                out.write(json.dumps(version, ensure_ascii=False, sort_keys=True) + "\n")
                yield path
        return
    for n, version in enumerate(versions):
        path = directory / file_name(n, version["sha256"])
        path.write_bytes(version["text"].encode("utf-8"))
        yield path
