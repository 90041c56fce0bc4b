"""`ingester run`, `poll` and `status`: the daemon, one pass over the feeds, and health."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import click

from ..clock import utcnow
from ..config import duration_text
from ..daemon import daemon_health, poll_once, run_daemon
from ..store.leases import node_name
from ..store.rows import FeedHealth
from ..types import PollResult
from .app import App, Progress, aligned, json_option, no_feeds_line, poll_line


@click.command()
@click.pass_obj
def run(app: App) -> None:
    """Run the daemon: poll every configured feed when it is due, until Ctrl-C or SIGTERM."""
    config = app.config()
    store = app.store()
    try:
        asyncio.run(run_daemon(config, store))
    finally:
        store.close()


@click.command()
@click.option("--all", "poll_all", is_flag=True, help="Poll every configured feed, due or not.")
@click.argument("feeds", nargs=-1)
@click.pass_obj
def poll(app: App, poll_all: bool, feeds: tuple[str, ...]) -> None:
    """One pass over the feeds that are due (or --all, or the FEEDS named), then exit.

    FEEDS are names or URLs from the config. Prints one line per feed; exits 0 even when
    some feeds failed, since their failures are reported and recorded.
    """
    config = app.config()

    async def work() -> list[PollResult]:
        store = app.store()
        node = node_name()
        try:
            now = utcnow()
            store.sync_feeds(config.feeds, now)
            interval = config.settings.default_interval
            if feeds:
                chosen = store.feeds_named(feeds, interval)
            elif poll_all:
                chosen = store.active_feeds(interval)
            else:  # what is due and no daemon holds, held by this command while it polls
                chosen = store.claim_due_feeds(node, now, config.settings.lease, interval)
            if not chosen:
                return []
            with Progress("poll", len(chosen), quiet=app.quiet) as progress:
                return await poll_once(
                    config.settings, store, chosen, on_result=lambda _, __: progress.advance()
                )
        finally:
            store.release_leases(node)  # what an interruption left unpolled
            store.close()

    if not config.feeds and not feeds:
        click.echo(no_feeds_line(config))
        return
    results = asyncio.run(work())
    if not results:
        click.echo("no feeds due (use --all to poll every feed)")
    for result in results:
        click.echo(poll_line(result))


@click.command()
@json_option("object")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 unless the daemon's heartbeat is fresh (for container health checks).",
)
@click.pass_obj
def status(app: App, as_json: bool, check: bool) -> None:
    """The daemon's heartbeat and every feed's health."""
    daemon, feeds = app.read(lambda store: (store.daemon(), store.feed_health()))
    heartbeat = daemon_health(daemon, utcnow())
    if as_json:
        click.echo(json.dumps({"daemon": heartbeat, "feeds": feeds}, indent=2))
    else:
        click.echo(_heartbeat_line(heartbeat))
        for line in aligned([_feed_cells(feed) for feed in feeds]):
            click.echo(line)
    if check and not heartbeat["healthy"]:
        raise click.ClickException(_heartbeat_line(heartbeat))


def _heartbeat_line(heartbeat: dict[str, Any]) -> str:
    if "pid" not in heartbeat:
        return "daemon: no heartbeat yet (never started on this archive)"
    if not heartbeat["running"]:
        return f"daemon: stopped at {heartbeat['stopped_at']} (pid {heartbeat['pid']})"
    state = "healthy" if heartbeat["healthy"] else "STALE"
    return (
        f"daemon: {state}, pid {heartbeat['pid']}, last tick {heartbeat['heartbeat_age']}s ago "
        f"(ticks every {duration_text(heartbeat['tick'])}, started {heartbeat['started_at']})"
    )


def _feed_cells(feed: FeedHealth) -> list[str]:
    """State, feed, and what else there is to say about it (next poll, failures)."""
    label = feed["name"] or feed["url"]
    if not feed["active"]:
        return ["inactive", label, ""]
    notes = []
    if feed["gone_at"]:
        notes.append(f"gone since {feed['gone_at']}, not polled")
    else:
        notes.append(f"next poll: {feed['next_poll_at'] or 'now'}")
    if feed["consecutive_failures"]:
        notes.append(f"failures: {feed['consecutive_failures']}  error: {feed['last_error']}")
    if feed["poll_url"]:
        notes.append(f"moved to {feed['poll_url']}")
    return [feed["last_status"] or "new", label, "  ".join(notes)]
