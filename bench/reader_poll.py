"""Runs inside reader's own virtualenv (made by bench/reader_peer.py), never in ours.

It makes a reader database, adds every feed, says ``ready``, then polls every feed each
time it reads ``poll NAME`` on stdin, and ends at ``quit`` or at the end of stdin. Each
answer is one JSON line on the original stdout; anything else that writes to stdout goes
to stderr, so a stray print cannot break the protocol.

Only the standard library and reader are imported here: this file must not depend on
the project (its Python may be another version, and our packages are not installed).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections import Counter
from typing import IO, Any


def send(channel: IO[str], **message: Any) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def poll(reader: Any, workers: int) -> dict[str, Any]:
    """Every feed, scheduled or not (``scheduled=False``), as ``update_feeds`` would poll
    them; its ``_iter`` twin is the same call that also says what became of each feed:
    a summary (fetched and stored), None (the server said not modified) or an error."""
    updated = not_modified = new_entries = 0
    errors: Counter[str] = Counter()
    first_error = None
    started = time.monotonic()
    for result in reader.update_feeds_iter(scheduled=False, workers=workers):
        value = result.value
        if value is None:
            not_modified += 1
        elif isinstance(value, Exception):
            errors[type(value).__name__] += 1
            first_error = first_error or f"{result.url}: {value}"
        else:
            updated += 1
            new_entries += value.new
    return {
        "seconds": time.monotonic() - started,
        "updated": updated,
        "not_modified": not_modified,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "first_error": first_error,
        "new_entries": new_entries,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--urls", required=True, help="a JSON list of feed URLs")
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args()
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    reader_module = importlib.import_module("reader")
    with open(args.urls, encoding="utf-8") as file:
        urls = json.load(file)
    reader = reader_module.make_reader(args.db)
    started = time.monotonic()
    for url in urls:
        reader.add_feed(url, exist_ok=True)
    send(
        channel,
        event="ready",
        feeds=len(urls),
        seconds=time.monotonic() - started,
        version=reader_module.__version__,
    )
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if words[0] == "poll" and len(words) == 2:
            send(channel, event="poll", name=words[1], **poll(reader, args.workers))
        else:
            send(channel, event="error", message=f"unknown command: {line.strip()}")
    reader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
