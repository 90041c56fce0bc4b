"""One log format and one way to set levels, for the CLI, the daemon and its pollers."""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"  # the daemon's and its pollers' lines


def configure_logging(level: int, *, force: bool = False) -> None:
    """Our lines from ``level`` up, on stderr; other libraries' from INFO up only (their
    DEBUG lines are for their own developers). ``force`` replaces a configuration made
    before (a poller process inherits none, but a test runner may)."""
    logging.basicConfig(
        level=max(level, logging.INFO), format=LOG_FORMAT, stream=sys.stderr, force=force
    )
    logging.getLogger("ingester").setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
