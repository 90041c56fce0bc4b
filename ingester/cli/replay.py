"""`ingester replay`: the archive's WARC captures in pywb, as they were received."""

from __future__ import annotations

import contextlib

import click

from ..query.replay import DEFAULT_PORT, serve_replay
from .app import App, check_listen


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=DEFAULT_PORT,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.pass_obj
def replay(app: App, host: str, port: int) -> None:
    """Replay the captured pages and feeds in pywb, from the WARC files where they lie.

    pywb runs from its own virtualenv (`make install` sets it up). A capture's bytes as
    received are at /archive/{14-digit timestamp}id_/{url}; the reading room links each
    captured version there (`ingester serve --replay-url`).
    """
    folder = app.warc_folder()
    check_listen(host, port)

    def ready(url: str) -> None:
        click.echo(f"pywb replay on {url} (Ctrl-C stops it)", err=True)

    # Ctrl-C (or SIGTERM) is the way to stop it; pywb is stopped and its index removed.
    with contextlib.suppress(KeyboardInterrupt):
        serve_replay(folder, host, port, ready)
