"""What every command shares: the ``App`` (paths, the archive, the pipeline), progress
on long work, shared options, and the error rule (one line, exit 1)."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import click

from ..clock import utcnow
from ..config import Config, Settings, load_config
from ..daemon import daemon_health
from ..errors import IngesterError, NotFound, ServeError
from ..locations import engine_of
from ..logs import configure_logging
from ..pipeline import Pipeline, open_pipeline
from ..store import Store
from ..types import PollResult

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def json_option(shape: Literal["array", "object"]) -> Callable[[F], F]:
    """``--json``: the command's output as one JSON array or object, for machines."""
    return click.option("--json", "as_json", is_flag=True, help=f"One JSON {shape}, for machines.")


class Progress:
    """A progress bar on a terminal; a plain line every 10% (or 100 items) otherwise."""

    def __init__(self, label: str, total: int | None = None, quiet: bool = False) -> None:
        self.label, self.total, self.quiet, self.done = label, total, quiet, 0
        self.bar: Any = None
        self.every = max(1, total // 10) if total else 100

    def __enter__(self) -> Progress:
        if not self.quiet and sys.stderr.isatty():
            # click's bar wants a length or a sized iterable; with no total (an export
            # streams its versions), an unsized one gives its bar that counts with no end.
            self.bar = click.progressbar(
                _unsized() if self.total is None else None,
                length=self.total,
                label=self.label,
                file=sys.stderr,
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


def _unsized() -> Iterator[None]:
    yield from ()


@dataclass
class App:
    config_path: Path
    db: str  # a SQLite file's path or a postgresql:// URL (ingester/locations.py)
    quiet: bool = False
    verbose: bool = False
    command: str | None = None

    def configure_logging(self, command: str | None = None) -> None:
        # The daemon tells what each tick did, and of single polls only those that brought
        # something or failed; --verbose adds every poll, even one that found nothing.
        self.command = command or self.command
        if self.quiet:
            level = logging.ERROR
        elif self.verbose:
            level = logging.DEBUG
        else:
            level = logging.INFO if self.command == "run" else logging.WARNING
        configure_logging(level)

    def progress(self, items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
        with Progress(label, total, quiet=self.quiet) as progress:
            for item in items:
                yield item
                progress.advance()

    @property
    def db_path(self) -> Path:
        """A SQLite archive's file."""
        return Path(self.db)

    @property
    def on_postgres(self) -> bool:
        return engine_of(self.db) == "postgresql"

    def archive_exists(self) -> bool:
        """A SQLite archive exists once its file does; a PostgreSQL one is its database,
        which the commands that open it make the schema in."""
        return self.on_postgres or self.db_path.exists()

    def warc_folder(self) -> Path:
        return self.config(required=False).settings.warc_folder(self.db)

    def sqlite_only(self, what: str) -> None:
        """Refuse, in one line, what only a SQLite archive has (Datasette reads SQLite)."""
        if self.on_postgres:
            raise click.ClickException(
                f"{what} reads a SQLite archive: keep one current with `ingester mirror "
                "FILE.db`, then run this with --db FILE.db"
            )

    def config(self, required: bool = True) -> Config:
        if not required and not self.config_path.exists():
            return Config(path=self.config_path, settings=Settings())
        return load_config(self.config_path)

    def read(self, query: Callable[[Store], T]) -> T:
        """Run ``query`` on the archive, which must exist, and close it."""
        store = self.reader()
        try:
            return query(store)
        finally:
            store.close()

    def pipeline(
        self,
        config: Config,
        work: Callable[[Pipeline], Coroutine[Any, Any, T]],
        captures: bool = True,
    ) -> T:
        """Run ``work`` on a pipeline over the archive (with an extraction pool), then close
        everything it opened; ``captures=False`` writes no WARC records (dry runs)."""

        async def main() -> T:
            async with open_pipeline(config.settings, self.db, captures=captures) as pipeline:
                return await work(pipeline)

        return asyncio.run(main())

    def store(self, create: bool = True) -> Store:
        """The archive; commands that only read it refuse to create an empty one."""
        if not create and not self.archive_exists():
            raise NotFound(f"{self.db_path}: no archive here yet (poll or fetch something first)")
        return Store(self.db, warcs=self.warc_folder())

    def reader(self) -> Store:
        """The archive, which must exist, for a command that only reads it.

        Opened as any command opens it where it may be written, so that an archive made
        by an older release is upgraded by whichever command comes first, as it always
        was; read-only where the file or its directory refuses writes (a copy on
        read-only media, another user's archive), which reads but never upgrades.
        """
        if self.on_postgres or _writable(self.db_path):
            return self.store(create=False)  # an archive that is not there is not made
        return Store(self.db, read_only=True, warcs=self.warc_folder())


def plural(count: int, noun: str) -> str:
    """``1 article``, ``2 articles``: the nouns printed here all take an s."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows as lines whose columns line up: each but the last padded to its widest cell,
    two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    return [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]]
        ).rstrip()
        for row in rows
    ]


def no_feeds_line(config: Config) -> str:
    return f"no feeds configured in {config.path} (add one: ingester feeds add URL)"


def _writable(path: Path) -> bool:
    """Whether SQLite can write the archive: the file, and its directory for the WAL's
    ``-wal`` and ``-shm`` files. A path that does not exist yet counts as writable: it is
    for ``Store`` to say what is wrong with it."""
    if not path.exists():
        return True
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


VERBOSE_HELP = "Log every poll and page to stderr."
QUIET_HELP = "Only errors on stderr: no progress."


def with_output_flags(command: click.Command) -> click.Command:
    """``-v``/``--verbose`` and ``-q``/``--quiet`` after the command name too (and after a
    group's subcommand), meaning what they mean before it."""

    def flag(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        app = ctx.find_object(App)
        if value and app is not None and param.name is not None:
            setattr(app, param.name, True)
            app.configure_logging()

    for opts, name, help in (
        (["-v", "--verbose"], "verbose", VERBOSE_HELP),
        (["-q", "--quiet"], "quiet", QUIET_HELP),
    ):
        command.params.append(
            click.Option(opts, name, is_flag=True, expose_value=False, callback=flag, help=help)
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_output_flags(sub)
    return command


def poll_line(result: PollResult) -> str:
    line = (
        f"{result.status:<12} {result.feed}  new articles: {result.new_articles}, "
        f"new versions: {result.new_versions}"
    )
    if result.error:
        line += f"  error: {result.error}"
    if result.page_error_count:
        line += f"  page errors: {result.page_error_count}"
        if result.page_errors:  # the reason, at least once: the rest are on the polls row
            line += f" (first: {result.page_errors[0]})"
    if result.more_entries:
        line += f"  left for the next poll: {result.more_entries}"
    return line


class OneLineErrors(click.Group):
    """Turns any IngesterError into one clear line and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IngesterError as e:
            raise click.ClickException(str(e)) from e


def follow_config(app: App) -> None:
    """The archive follows the edited file; a daemon with a fresh heartbeat reloads it."""
    config = load_config(app.config_path)
    if not app.archive_exists():
        return  # the first poll or start will read the file
    store = app.store()
    try:
        store.sync_feeds(config.feeds, utcnow())
        daemon = store.daemon()
    finally:
        store.close()
    if not daemon_health(daemon, utcnow())["healthy"]:
        return  # not running: it reads the file when it starts
    assert daemon is not None
    try:
        os.kill(daemon["pid"], signal.SIGHUP)
    except (ProcessLookupError, PermissionError):
        return
    click.echo(f"told the daemon (pid {daemon['pid']}) to reload", err=True)


def check_listen(host: str, port: int) -> None:
    """Fail in one line when the address cannot be listened on. uvicorn would log its own
    error and exit 3; a port taken in the instant between this check and uvicorn's own
    bind still ends that way."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As uvicorn binds: SO_REUSEADDR, so a port left in TIME_WAIT is not "busy".
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as e:
        reason = "the address is already in use" if e.errno == errno.EADDRINUSE else e.strerror
        raise ServeError(f"cannot listen on {host}:{port}: {reason or e}") from e
