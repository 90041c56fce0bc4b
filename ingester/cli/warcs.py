"""`ingester warc check`: the captures of record, verified."""

from __future__ import annotations

import json

import click

from ..errors import NotFound
from ..fetch.records import check_file, stored_response, warc_files
from .app import App, json_option, plural


@click.group()
def warc() -> None:
    """The WARC files every fetch is captured in (archive.warcs/ beside the archive)."""


@warc.command()
@json_option("object")
@click.pass_obj
def check(app: App, as_json: bool) -> None:
    """Read every record of every WARC file, verifying each digest, and every capture the
    archive points at. Exits 1 when anything fails to verify."""
    folder = app.config(required=False).settings.warc_folder(app.db_path)
    checks = [check_file(path) for path in app.progress(warc_files(folder), "check")]
    problems = [f"{c.path.name}: {p}" for c in checks for p in c.problems]
    pointers = 0
    if app.db_path.exists():
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
