"""`ingester show`, `history`, `diff`, `search`, `export` and `serve`: reading the archive."""

from __future__ import annotations

import contextlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ..clock import iso
from ..query import browse
from ..query.export import FORMATS, JSONL_NAME, write_export
from ..query.wacz import write_wacz
from ..render import version_diff
from .app import App, check_listen, json_option, plural


@click.command()
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


@click.command()
@click.argument("url")
@json_option("array")
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


@click.command()
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
    store = app.reader()
    try:
        a, b = versions or store.last_two_numbers(url)
        old, new = store.version(url, a), store.version(url, b)
    finally:
        store.close()
    label = "version {number}  {fetched_at}  {sha256:.16}  {kind}"
    click.echo(
        version_diff(old["text"], new["text"], label.format(**old), label.format(**new)), nl=False
    )


@click.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True, help="At most this many articles.")
@json_option("array")
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
    if not hits:
        click.echo(f"no articles match {query!r}")
    for hit in hits:
        click.echo(f"{hit['url']}\n  {hit['title']}\n  {hit['snippet']}")


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--wacz",
    "wacz_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a WACZ package (the WARC captures, a CDXJ index, a page per version) "
    "instead of a DIRECTORY.",
)
@click.option("--feed", help="Only articles this feed (name or URL) carried.")
@click.option(
    "--since", help="Only versions fetched on or after this date (YYYY-MM-DD) or time (ISO)."
)
@click.option(
    "--all-versions", is_flag=True, help="Every version, not only the current ones (DIRECTORY)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="txt",
    show_default=True,
    help="txt: one file per version in the article layout, named {n:03d}_{hash16}.txt; "
    f"jsonl: one JSON object per version in {JSONL_NAME} (DIRECTORY).",
)
@click.pass_context
def export(
    ctx: click.Context,
    directory: Path | None,
    wacz_file: Path | None,
    feed: str | None,
    since: str | None,
    all_versions: bool,
    fmt: str,
) -> None:
    """Write archived versions to DIRECTORY; the same archive always exports the same bytes.

    With --wacz FILE, a WACZ package for ReplayWeb.page or pywb instead: every WARC file,
    or with --feed or --since a new one of the selected versions' records alone, and a
    page per version (every version, as each has a capture of its own).
    """
    app: App = ctx.obj
    if (directory is None) == (wacz_file is None):
        raise click.UsageError("give a DIRECTORY or --wacz FILE (one of them)")
    fmt_given = ctx.get_parameter_source("fmt") != click.core.ParameterSource.DEFAULT
    if wacz_file is not None and (all_versions or fmt_given):
        raise click.UsageError("--all-versions and --format are for DIRECTORY exports")
    if since is not None:
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            raise click.BadParameter(f"not a date or ISO time: {since!r}") from None
        # Stored times are UTC text; a time without a zone is taken as UTC.
        since = iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if wacz_file is not None:
        _export_wacz(app, wacz_file, feed, since)
        return
    assert directory is not None
    store = app.reader()
    try:
        versions = store.versions_for_export(feed, since, all_versions)
        exported = write_export(directory, versions, fmt)
        written = sum(1 for _ in app.progress(exported, "export"))
    finally:
        store.close()
    click.echo(f"exported {plural(written, 'version')} to {directory}")


def _export_wacz(app: App, out: Path, feed: str | None, since: str | None) -> None:
    folder = app.warc_folder()
    chosen = [f"feed {feed}" if feed else "", f"since {since}" if since else ""]
    name = "archive" if app.on_postgres else app.db_path.name
    title = ", ".join([f"ingester: {name}", *filter(None, chosen)])
    store = app.reader()
    try:
        packaged = write_wacz(store, folder, out, feed=feed, since=since, title=title)
    except OSError as e:  # a folder it may not write in, a full disk, a WARC file unreadable
        raise click.ClickException(f"cannot write {out}: {e}") from e
    finally:
        store.close()
    click.echo(
        f"exported {plural(packaged.versions, 'version')} "
        f"({plural(packaged.records, 'record')}) to {out}"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.option(
    "--replay-url",
    default=browse.REPLAY_BASE,
    show_default=True,
    help="Where `ingester replay` serves the captures: each captured version links there.",
)
@click.pass_obj
def serve(app: App, host: str, port: int, replay_url: str) -> None:
    """Browse the archive in Datasette, with descriptions and saved queries."""
    app.sqlite_only("serve")
    app.reader().close()  # brings an archive made by an older release up to date, if it may
    check_listen(host, port)
    # Ctrl-C is the way to stop it, also before the server has taken the signal over.
    with contextlib.suppress(KeyboardInterrupt):
        click.echo(f"Datasette on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
        browse.serve(app.db_path, host, port, replay=replay_url)
