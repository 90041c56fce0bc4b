"""The command line: a thin shell over the pipeline and the store.

Exit codes: 0 success (a poll with failed feeds still succeeds: they are reported),
1 an error (one line on stderr), 2 a usage error. Commands live by what they do:
``polling`` (run, poll, status), ``fetching`` (fetch, reextract), ``reading`` (show,
history, diff, search, export, serve), ``feeds`` (feeds, opml), ``replay`` (pywb) and
``warcs`` (warc check); ``app`` holds what they share.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import fetching, mirroring, polling, reading, replay
from .app import QUIET_HELP, VERBOSE_HELP, App, OneLineErrors, with_output_flags
from .feeds import feeds, opml
from .warcs import warc


# --config and --db are not checked by click (a directory, a file that cannot be read):
# the commands that use them refuse them in one line and exit 1, like any other error.
@click.group(cls=OneLineErrors)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, readable=False),
    default="config/feeds.toml",
    envvar="INGESTER_CONFIG",
    show_default=True,
    help="Feed list and settings (TOML). Env: INGESTER_CONFIG.",
)
@click.option(
    "--db",
    "db",
    default="archive.db",
    envvar="INGESTER_DB",
    show_default=True,
    help="The archive: a SQLite file, or a postgresql:// URL of one that several machines "
    "share. Env: INGESTER_DB.",
)
@click.option("-v", "--verbose", is_flag=True, help=VERBOSE_HELP)
@click.option("-q", "--quiet", is_flag=True, help=QUIET_HELP)
@click.version_option(package_name="ingester")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, db: str, verbose: bool, quiet: bool) -> None:
    """Archive RSS/Atom feeds and every version of the articles they point at.

    Exit codes: 0 success (a poll whose feeds failed still succeeds: the failures are
    reported), 1 an error (one line on stderr), 2 a usage error.
    """
    ctx.obj = App(config_path=config_path, db=db, quiet=quiet, verbose=verbose)
    ctx.obj.configure_logging(ctx.invoked_subcommand)


for command in (
    polling.run,
    polling.poll,
    polling.status,
    fetching.fetch,
    fetching.reextract,
    reading.show,
    reading.history,
    reading.diff,
    reading.search,
    reading.export,
    reading.serve,
    mirroring.mirror,
    replay.replay,
    feeds,
    opml,
    warc,
):
    cli.add_command(with_output_flags(command))


def main() -> None:
    cli(prog_name="ingester")
