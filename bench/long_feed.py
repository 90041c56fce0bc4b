"""`make bench` (last part): the largest feed the caps let in, polled by the real CLI.

A feed of 100,000 items just under ``max_feed_bytes`` (10 MB) is served from 127.0.0.1;
its items link pages the server does not have, so each archived entry is its feed's text
after one 404. ``ingester poll`` runs it twice in a subprocess. Reported: the peak
resident memory of the polling process (getrusage of the children), against the ceiling
the project holds itself to (200 MB for any input within the caps), the seconds per
poll, and what each poll archived and left for the next (``max_entries_per_poll``).
Memory hardly moves with the machine's load, so the verdict is the figure against its
ceiling. Exits 1 when the ceiling is passed or a poll fails.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.cli import Archive, cli_env
from tests.support.httpserver import LocalServer

CEILING_MB = 200
MAX_FEED_BYTES = 10 * 1024 * 1024


def long_feed(base: str, items: int) -> str:
    body = "".join(
        f"<item><title>I{i}</title><link>{base}/p/{i}</link><guid>g{i}</guid></item>"
        for i in range(items)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Long</title>"
        f"<link>{base}/</link><description>d</description>{body}</channel></rss>"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalServer() as server:
        archive = Archive(Path(tmp))
        feed = long_feed(server.base_url, args.items)
        if len(feed) > MAX_FEED_BYTES:
            print(f"the feed is {len(feed):,} bytes, over the {MAX_FEED_BYTES:,}-byte cap")
            return 1
        server.set_text("/long.xml", feed, "application/rss+xml")
        archive.write_config(
            "[settings]\nhost_gap = 0\nhost_concurrency = 8\nrobots = false\n\n"
            f'[[feeds]]\nurl = "{server.url("/long.xml")}"\n'
        )
        print(f"long feed: {args.items:,} items, {len(feed):,} bytes, polled twice")
        for round_ in (1, 2):
            started = time.monotonic()
            command = [sys.executable, "-m", "ingester", "--config", str(archive.config)]
            done = subprocess.run(
                [*command, "--db", str(archive.db), "poll", "--all"],
                capture_output=True,
                env=cli_env(),
                timeout=900,
            )
            line = done.stdout.decode(errors="replace").strip().splitlines()
            print(
                f"  poll {round_}: {time.monotonic() - started:.1f} s  {line[-1] if line else ''}"
            )
            if done.returncode != 0:
                print(done.stderr.decode(errors="replace")[-2000:])
                return 1
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    verdict = "ok" if peak <= CEILING_MB else "OVER"
    print(f"  peak memory of a polling process: {peak:.0f} MB (ceiling {CEILING_MB} MB) {verdict}")
    return 0 if peak <= CEILING_MB else 1


if __name__ == "__main__":
    sys.exit(main())
