"""`ingester feeds ...` and `ingester opml ...`: managing the feed list from the command line.

The config file is the source of truth; these commands edit it (keeping its comments and
order), then bring the archive's feed rows in line and tell a running daemon to reload.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..config import duration_text, load_config, parse_duration
from ..config.feedlist import add_feeds, remove_feed
from ..config.opml import parse_opml, render_opml
from ..store.rows import FeedHealth
from ..types import FeedSpec
from .app import App, aligned, follow_config, json_option, no_feeds_line, plural


@click.group()
def feeds() -> None:
    """List, add and remove feeds (the config file is edited, comments kept)."""


@feeds.command("add")
@click.argument("url")
@click.option("--name", help="Short name, for `ingester poll NAME` and the logs.")
@click.option("--section", help="Section for articles that name none.")
@click.option("--interval", help="How often to poll: 90s, 30m, 2h, 1d.")
@click.pass_obj
def feeds_add(
    app: App, url: str, name: str | None, section: str | None, interval: str | None
) -> None:
    """Add a feed to the config file."""
    seconds = None
    if interval is not None:
        try:
            seconds = parse_duration(interval)
        except ValueError as e:
            raise click.BadParameter(str(e)) from None
    spec = FeedSpec(url=url, name=name, section=section, interval=seconds)
    added, _ = add_feeds(app.config_path, [spec])
    if not added:
        raise click.ClickException(f"{url} is already in {app.config_path}")
    follow_config(app)
    click.echo(f"added {name or url} to {app.config_path}")


@feeds.command("remove")
@click.argument("feed")
@click.pass_obj
def feeds_remove(app: App, feed: str) -> None:
    """Remove FEED (a name or URL) from the config file; its archive stays."""
    removed = remove_feed(app.config_path, feed)
    follow_config(app)
    click.echo(f"removed {removed.name or removed.url} from {app.config_path}")


@feeds.command("list")
@json_option("array")
@click.pass_obj
def feeds_list(app: App, as_json: bool) -> None:
    """The configured feeds, with their health when the archive knows them."""
    config = load_config(app.config_path)
    health: dict[str, FeedHealth] = {}
    if app.archive_exists():
        health = app.read(lambda store: {row["url"]: row for row in store.feed_health()})
    rows = []
    for spec in config.feeds:
        known = health.get(spec.url)
        rows.append(
            {
                "url": spec.url,
                "name": spec.name,
                "title": spec.title,
                "site_url": spec.site_url,
                "section": spec.section,
                "interval": spec.interval or config.settings.default_interval,
                "last_status": known["last_status"] if known else None,
                "next_poll_at": known["next_poll_at"] if known else None,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(no_feeds_line(config))
    cells = [
        [
            spec.name or "-",
            spec.url,
            duration_text(spec.interval or config.settings.default_interval),
            str(row["last_status"] or "not polled yet"),
        ]
        for spec, row in zip(config.feeds, rows, strict=True)
    ]
    for line in aligned(cells):
        click.echo(line)


@click.group()
def opml() -> None:
    """Import and export the feed list as OPML."""


@opml.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def opml_import(app: App, file: Path) -> None:
    """Add the feeds of an OPML file (categories become sections) to the config file."""
    specs = parse_opml(file.read_bytes(), str(file))
    added, present = add_feeds(app.config_path, specs)
    if added:
        follow_config(app)
    click.echo(f"added {plural(len(added), 'feed')}, {len(present)} already there")


@opml.command("export")
@click.pass_obj
def opml_export(app: App) -> None:
    """Write the configured feeds as OPML 2.0 to standard output."""
    click.echo(render_opml(load_config(app.config_path).feeds), nl=False)
