"""The command line: a thin shell over the pipeline and the store.

Exit codes: 0 success (a poll with failed feeds still succeeds: they are reported),
1 an error (one line on stderr), 2 a usage error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from . import browse
from .cli_feeds import feeds, follow_config, opml
from .config import Config, Settings, configure_logging, load_config
from .diff import version_diff
from .errors import IngesterError, NotFound
from .export import FORMATS, JSONL_NAME, write_export
from .feedlist import add_feeds
from .fetch import Fetcher
from .pipeline import ArticleOutcome, Pipeline, Preview, extraction_pool, utcnow
from .policy import daemon_health
from .pollers import Pollers
from .scheduler import run_daemon
from .store import Store, iso
from .types import FeedSpec, PollResult

T = TypeVar("T")


class Progress:
    """A progress bar on a terminal; a plain line every 10% (or 100 items) otherwise."""

    def __init__(self, label: str, total: int | None = None, quiet: bool = False) -> None:
        self.label, self.total, self.quiet, self.done = label, total, quiet, 0
        self.bar: Any = None
        self.every = max(1, total // 10) if total else 100

    def __enter__(self) -> Progress:
        if not self.quiet and sys.stderr.isatty():
            self.bar = click.progressbar(
                length=self.total, label=self.label, file=sys.stderr
            ).__enter__()
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif not self.quiet and self.done % self.every == 0:
            of = f"/{self.total}" if self.total else ""
            click.echo(f"{self.label}: {self.done}{of}", err=True)

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        elif not self.quiet and exc_type is None:  # a failure says so itself, in one line
            click.echo(f"{self.label}: {self.done} done", err=True)


@dataclass
class App:
    config_path: Path
    db_path: Path
    quiet: bool = False

    def progress(self, items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
        with Progress(label, total, quiet=self.quiet) as progress:
            for item in items:
                yield item
                progress.advance()

    def config(self, required: bool = True) -> Config:
        if not required and not self.config_path.exists():
            return Config(path=self.config_path, settings=Settings())
        return load_config(self.config_path)

    def read(self, query: Callable[[Store], T]) -> T:
        """Run ``query`` on the archive, which must exist, and close it."""
        store = self.store(create=False)
        try:
            return query(store)
        finally:
            store.close()

    def store(self, create: bool = True) -> Store:
        """The archive; commands that only read it refuse to create an empty one."""
        if not create and not self.db_path.exists():
            raise NotFound(f"{self.db_path}: no archive here yet (poll or fetch something first)")
        return Store(self.db_path)


def _pipeline_call(
    app: App, config: Config, work: Callable[[Pipeline, Store], Coroutine[Any, Any, T]]
) -> T:
    """Open the archive, a fetcher and an extraction pool; run ``work``; close them all."""

    async def main() -> T:
        store = app.store()
        try:
            with extraction_pool() as pool:
                async with Fetcher(config.settings) as fetcher:
                    pipeline = Pipeline(config.settings, store, fetcher, executor=pool)
                    return await work(pipeline, store)
        finally:
            store.close()

    return asyncio.run(main())


class _Group(click.Group):
    """Turns any IngesterError into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IngesterError as e:
            raise click.ClickException(str(e)) from e


@click.group(cls=_Group)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="config/feeds.toml",
    envvar="INGESTER_CONFIG",
    show_default=True,
    help="Feed list and settings (TOML). Env: INGESTER_CONFIG.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="archive.db",
    envvar="INGESTER_DB",
    show_default=True,
    help="The SQLite archive. Env: INGESTER_DB.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every poll and page to stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr: no progress.")
@click.version_option(package_name="ingester")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, db_path: Path, verbose: bool, quiet: bool) -> None:
    """Archive RSS/Atom feeds and every version of the articles they point at.

    Exit codes: 0 success (a poll whose feeds failed still succeeds: the failures are
    reported), 1 an error (one line on stderr), 2 a usage error.
    """
    # The daemon tells what each tick did, and of single polls only those that brought
    # something or failed; --verbose adds every poll, even one that found nothing.
    if quiet:
        level = logging.ERROR
    elif verbose:
        level = logging.DEBUG
    else:
        level = logging.INFO if ctx.invoked_subcommand == "run" else logging.WARNING
    configure_logging(level)
    ctx.obj = App(config_path=config_path, db_path=db_path, quiet=quiet)


@cli.command()
@click.pass_obj
def run(app: App) -> None:
    """Run the daemon: poll every configured feed when it is due, until Ctrl-C or SIGTERM."""
    config = app.config()
    store = app.store()
    try:
        asyncio.run(run_daemon(config, store))
    finally:
        store.close()


@cli.command()
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
        try:
            now = utcnow()
            store.sync_feeds(config.feeds, now)
            interval = config.settings.default_interval
            if feeds:
                chosen = store.feeds_named(feeds, interval)
            elif poll_all:
                chosen = store.active_feeds(interval)
            else:
                chosen = store.due_feeds(now, interval)
            if not chosen:
                return []
            # The daemon's way: the feeds shared out among poller processes by host.
            with (
                Pollers(config.settings, store.path, at_most=len(chosen)) as pollers,
                Progress("poll", len(chosen), quiet=app.quiet) as progress,
            ):
                return await pollers.poll(chosen, on_result=lambda _, __: progress.advance())
        finally:
            store.close()

    results = asyncio.run(work())
    if not results:
        click.echo("no feeds due (use --all to poll every feed)")
    for result in results:
        click.echo(_poll_line(result))


def _poll_line(result: PollResult) -> str:
    line = (
        f"{result.status:<12} {result.feed}  new articles: {result.new_articles}, "
        f"new versions: {result.new_versions}"
    )
    if result.error:
        line += f"  error: {result.error}"
    if result.page_errors:
        line += f"  page errors: {len(result.page_errors)}"
    return line


@cli.command()
@click.argument("url")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write nothing: print the article layout and its diff against the archive "
    "(for a feed, its entries and which are archived).",
)
@click.option(
    "--add",
    is_flag=True,
    help="Subscribe: add the feed (or the first feed an HTML page advertises) to the config.",
)
@click.pass_obj
def fetch(app: App, url: str, dry_run: bool, add: bool) -> None:
    """Fetch URL now: a feed is polled, an article page is archived alone.

    Which one it is is told by the content, not the URL. An HTML page that advertises
    feeds (<link rel="alternate">) has them listed; --add subscribes to the first.
    """
    config = app.config(required=False)
    outcome = _pipeline_call(
        app, config, lambda pipeline, _store: pipeline.fetch_url(url, dry_run=dry_run)
    )
    if outcome.preview is not None:
        _print_preview(outcome.preview)
    elif outcome.poll is not None:
        click.echo(f"feed: {_poll_line(outcome.poll)}")
        for error in outcome.poll.page_errors:
            click.echo(f"  {error}", err=True)
    elif outcome.article is not None:
        article = outcome.article
        if article.error and not (article.new_article or article.new_version):
            if not outcome.advertised:
                raise click.ClickException(f"{url}: {article.error}")
            click.echo(f"article: not archived ({article.error})")
        else:
            state = "new version" if article.new_version else "unchanged"
            click.echo(f"article: {state}  {url}")
    for feed_url in outcome.advertised:
        click.echo(f"advertises feed: {feed_url}")
    if add:
        _subscribe(app, url if outcome.kind == "feed" else None, outcome.advertised)


def _print_preview(preview: Preview) -> None:
    if preview.entries:
        for title, link, archived in preview.entries:
            click.echo(f"{'archived' if archived else 'new':<9} {link}  {title}")
        return
    if preview.text is None:
        click.echo("(the page yields no article)")
        return
    click.echo(preview.text, nl=False)
    click.echo("-" * 72)
    if preview.stored is None:
        click.echo("not in the archive yet: this would be version 1")
    elif preview.stored == preview.text:
        click.echo(f"identical to version {preview.stored_number}: no new version")
    else:
        label = f"version {preview.stored_number} (archived)"
        click.echo(version_diff(preview.stored, preview.text, label, "this fetch"), nl=False)


def _subscribe(app: App, feed_url: str | None, advertised: tuple[str, ...]) -> None:
    url = feed_url or (advertised[0] if advertised else None)
    if url is None:
        raise click.ClickException("nothing to subscribe to: the page advertises no feed")
    added, _ = add_feeds(app.config_path, [FeedSpec(url=url)])
    if added:
        follow_config(app)
        click.echo(f"subscribed: {url} added to {app.config_path}")
    else:
        click.echo(f"already subscribed: {url}")


@cli.command()
@click.argument("url")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.pass_obj
def show(app: App, url: str, number: int | None) -> None:
    """Print an archived article in the article layout, byte for byte as stored.

    URL may be any form the article was seen under: as linked, after redirects, canonical.
    """
    text = app.read(lambda store: store.version_text(url, number))
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()


@cli.command()
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for machines.")
@click.pass_obj
def history(app: App, url: str, as_json: bool) -> None:
    """List an article's versions: number, fetched at, hash, words, fields changed."""
    versions = app.read(lambda store: store.versions(url))
    if as_json:
        click.echo(json.dumps(versions, indent=2, ensure_ascii=False))
        return
    for v in versions:
        changed = ", ".join(v["changed_fields"]) or ("first version" if v["number"] == 1 else "-")
        if v["kind"] == "reextraction":
            changed += " (re-extraction)"
        click.echo(
            f"{'*' if v['current'] else ' '}{v['number']:>3}  {v['fetched_at']}  "
            f"{v['sha256'][:16]}  {v['word_count']:>6} words  {v['source']:<4}  {changed}"
        )


@cli.command()
@click.argument("url")
@click.argument("versions", nargs=-1, type=int)
@click.pass_obj
def diff(app: App, url: str, versions: tuple[int, ...]) -> None:
    """Show what changed between two versions of an article (default: the last two).

    VERSIONS are two version numbers, A then B. Paragraphs are lines: a changed paragraph
    is shown as "~" with [-removed-] and {+added+} words.
    """
    if len(versions) not in (0, 2):
        raise click.UsageError("give two version numbers, or none for the last two")
    store = app.store(create=False)
    try:
        a, b = versions or store.last_two_numbers(url)
        old, new = store.version(url, a), store.version(url, b)
    finally:
        store.close()
    label = "version {number}  {fetched_at}  {sha256:.16}  {kind}"
    click.echo(
        version_diff(old["text"], new["text"], label.format(**old), label.format(**new)), nl=False
    )


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="At most this many articles.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for machines.")
@click.pass_obj
def search(app: App, query: str, limit: int, as_json: bool) -> None:
    """Full-text search over every article's current title and body.

    QUERY uses SQLite FTS5 syntax: words, "a phrase", OR, NOT, prefix*. Text that is not
    valid syntax is searched for as plain words.
    """
    hits = app.read(lambda store: store.search(query, limit))
    if as_json:
        click.echo(json.dumps(hits, indent=2, ensure_ascii=False))
        return
    for hit in hits:
        click.echo(f"{hit['url']}\n  {hit['title']}\n  {hit['snippet']}")


@cli.command()
@click.argument("url", required=False)
@click.option("--all", "every", is_flag=True, help="Every archived article.")
@click.pass_obj
def reextract(app: App, url: str | None, every: bool) -> None:
    """Run extraction again over stored pages, with no network.

    A rendering that changes is stored as a re-extraction (the extractor changed, not the
    article), never as an edit by the publisher.
    """
    if bool(url) == every:
        raise click.UsageError("give one article URL or --all")
    config = app.config(required=False)

    async def work(pipeline: Pipeline, store: Store) -> list[ArticleOutcome]:
        pages = store.pages_to_reextract(url)
        return [
            await pipeline.reextract(page) for page in app.progress(pages, "reextract", len(pages))
        ]

    outcomes = _pipeline_call(app, config, work)
    for outcome in outcomes:
        if outcome.error:
            click.echo(f"{outcome.url}: {outcome.error}", err=True)
    changed = sum(o.new_version for o in outcomes)
    click.echo(f"re-extracted {len(outcomes)} articles: {changed} changed")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--feed", help="Only articles this feed (name or URL) carried.")
@click.option(
    "--since", help="Only versions fetched on or after this date (YYYY-MM-DD) or time (ISO)."
)
@click.option("--all-versions", is_flag=True, help="Every version, not only the current ones.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="txt",
    show_default=True,
    help="txt: one file per version in the article layout, named {n:03d}_{hash16}.txt; "
    f"jsonl: one JSON object per version in {JSONL_NAME}.",
)
@click.pass_obj
def export(
    app: App, directory: Path, feed: str | None, since: str | None, all_versions: bool, fmt: str
) -> None:
    """Write archived versions to DIRECTORY; the same archive always exports the same bytes."""
    if since is not None:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            raise click.BadParameter(f"not a date or ISO time: {since!r}") from None
        # Stored times are UTC text; a time without a zone is taken as UTC.
        since = iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    store = app.store(create=False)
    try:
        versions = store.versions_for_export(feed, since, all_versions)
        written = sum(1 for _ in app.progress(write_export(directory, versions, fmt), "export"))
    finally:
        store.close()
    click.echo(f"exported {written} versions to {directory}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for machines.")
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
        for feed in feeds:
            click.echo(_feed_line(feed))
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
        f"(ticks every {heartbeat['tick']}s, started {heartbeat['started_at']})"
    )


def _feed_line(feed: dict[str, Any]) -> str:
    label = feed["name"] or feed["url"]
    if not feed["active"]:
        return f"{'inactive':<12} {label}"
    line = f"{feed['last_status'] or 'new':<12} {label}"
    if feed["consecutive_failures"]:
        line += f"  failures: {feed['consecutive_failures']}  error: {feed['last_error']}"
    if feed["gone_at"]:
        line += f"  gone since {feed['gone_at']}, not polled"
    else:
        line += f"  next poll: {feed['next_poll_at'] or 'now'}"
    if feed["poll_url"]:
        line += f"  moved to {feed['poll_url']}"
    return line


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, help="Port to listen on.")
@click.pass_obj
def serve(app: App, host: str, port: int) -> None:
    """Browse the archive in Datasette, with descriptions and saved queries."""
    app.store(create=False).close()  # brings an archive made by an older release up to date
    click.echo(f"Datasette on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    browse.serve(app.db_path, host, port)


cli.add_command(feeds)
cli.add_command(opml)


def main() -> None:
    cli(prog_name="ingester")
