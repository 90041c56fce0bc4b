"""Whether the daemon is alive, judged from its heartbeat row alone (``status``, the
health check, and the CLI deciding whether to signal a reload)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def daemon_health(daemon: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    """The daemon's heartbeat row, judged: running (not stopped cleanly) and healthy
    (running, with a heartbeat younger than three ticks and a minute's slack)."""
    if daemon is None:
        return {"running": False, "healthy": False}
    age = (now - datetime.fromisoformat(daemon["heartbeat_at"])).total_seconds()
    running = daemon["stopped_at"] is None
    healthy = running and age <= 3 * daemon["tick"] + 60
    return {**daemon, "heartbeat_age": round(age), "running": running, "healthy": healthy}
