"""`ingester warc check` and `warc import-raw`: the captures of record, verified, and the
pages from before them moved in."""

from __future__ import annotations

import json

import click

from ..errors import NotFound
from ..fetch.records import check_file, stored_response, warc_files
from ..pipeline import open_captures
from .app import App, json_option, plural

RAW_BATCH = 200  # raw pages read from the archive at a time


@click.group()
def warc() -> None:
    """The WARC files every fetch is captured in (archive.warcs/ beside the archive)."""


@warc.command()
@json_option("object")
@click.pass_obj
def check(app: App, as_json: bool) -> None:
    """Read every record of every WARC file, verifying each digest, and every capture the
    archive points at. Exits 1 when anything fails to verify."""
    folder = app.warc_folder()
    checks = [check_file(path) for path in app.progress(warc_files(folder), "check")]
    problems = [f"{c.path.name}: {p}" for c in checks for p in c.problems]
    pointers = 0
    if app.archive_exists():
        store = app.reader()
        try:
            for capture in store.all_captures():
                pointers += 1
                try:
                    stored_response(capture)
                except NotFound as e:
                    problems.append(str(e))
        finally:
            store.close()
    records = sum(c.records for c in checks)
    if as_json:
        report = {"folder": str(folder), "files": len(checks), "records": records}
        click.echo(json.dumps(report | {"pointers": pointers, "problems": problems}))
    else:
        for problem in problems:
            click.echo(problem)
        click.echo(
            f"{plural(len(checks), 'file')}, {plural(records, 'record')}, "
            f"{plural(pointers, 'capture')} pointed at in {folder}: "
            + ("every digest verifies" if not problems else f"{len(problems)} problems")
        )
    if problems:
        raise SystemExit(1)


@warc.command("import-raw")
@click.pass_obj
def import_raw(app: App) -> None:
    """Move the pages stored before captures were kept (the raw_pages table) into a WARC
    file of their own, as resource records (they have no headers or request), and point
    their versions at them; raw_pages is left empty."""
    settings = app.config(required=False).settings
    store = app.store(create=False)
    moved = 0
    try:
        captures = open_captures(settings, app.db, store)
        try:
            while batch := store.raw_pages_to_move(RAW_BATCH):
                for page in batch:
                    # A page nothing points at any more is kept all the same, under its hash.
                    url = page.url or f"urn:ingester:raw-page:{page.sha256}"
                    capture = captures.resource(url, page.first_fetched_at, page.content)
                    store.move_raw_page(page, capture)  # after the record is flushed
                    moved += 1
        finally:
            captures.close()
    finally:
        store.close()
    click.echo(
        f"moved {plural(moved, 'page')} from raw_pages into {captures.folder}"
        + ("; VACUUM the archive to give its space back" if moved else "")
    )
