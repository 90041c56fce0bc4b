"""``ingester mirror FILE.db``: a SQLite copy of a PostgreSQL archive, for ``serve``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from ..clock import utcnow
from ..store import Store
from ..store.mirror import mirror_round
from .app import App, json_option, plural


@click.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--every",
    type=click.FloatRange(min=1),
    help="Keep at it: a round every this many seconds, until stopped (Ctrl-C).",
)
@json_option("object")
@click.pass_obj
def mirror(app: App, file: Path, every: float | None, as_json: bool) -> None:
    """Copy what changed in the PostgreSQL archive (--db) into the SQLite archive FILE,
    made the first time; then `ingester --db FILE serve` browses it in Datasette."""
    if not app.on_postgres:
        raise click.ClickException("mirror copies a PostgreSQL archive: give --db postgresql://…")
    keep_polls = app.config(required=False).settings.keep_polls
    source, target = app.reader(), Store(file)
    try:
        while True:
            done = mirror_round(source, target, utcnow(), keep_polls)
            if as_json:
                report = {"rows": done.rows, "deleted": done.deleted, "first": done.first}
                click.echo(json.dumps({"file": str(file), **report}))
            elif not app.quiet:
                whole = " (the whole archive)" if done.first else ""
                click.echo(
                    f"{file}: {plural(done.rows, 'row')} copied, {plural(done.deleted, 'row')} "
                    f"deleted, in {done.seconds:.1f} s{whole}"
                )
            if every is None:
                return
            time.sleep(every)
    except KeyboardInterrupt:
        return
    finally:
        source.close()
        target.close()
