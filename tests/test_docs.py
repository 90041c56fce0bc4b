"""The README and the CLI's help agree with the CLI that exists."""

from __future__ import annotations

import hashlib
import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ingester.cli import cli
from ingester.config import Settings
from ingester.store import Store
from ingester.types import Article, ArticleUrls, PageToStore
from tests.support.cli import PROJECT
from tests.support.versions import version_of

README = (PROJECT / "README.md").read_text(encoding="utf-8")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    """Every command, subcommands of groups included, by its words: "feeds add"."""
    found: dict[str, click.Command] = {}
    for name in sorted(group.commands):
        command = group.commands[name]
        words = (*prefix, name)
        found[" ".join(words)] = command
        if isinstance(command, click.Group):
            found.update(commands(command, words))
    return found


ALL = commands(cli)


def resolve(args: list[str]) -> tuple[click.Command, list[str]]:
    """The command an argument list names, and the arguments left for it."""
    command: click.Command = cli
    while isinstance(command, click.Group) and args and args[0] in command.commands:
        command, args = command.commands[args[0]], args[1:]
    return command, args


def without_root_options(args: list[str]) -> list[str]:
    """The command and what follows it: ``--db X``, ``--config X``, ``-q`` before it are
    the root group's, checked by its own parser."""
    root = {opt for param in cli.params for opt in getattr(param, "opts", [])}
    taking = {opt for param in cli.params if not getattr(param, "is_flag", False)
              for opt in getattr(param, "opts", [])}  # fmt: skip
    rest = list(args)
    while rest and rest[0] in root:
        option = rest.pop(0)
        if option in taking:
            rest.pop(0)
    return rest


def readme_invocations() -> list[list[str]]:
    """Every `ingester ...` line in the README's shell blocks, as argument lists."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("ingester "):
                found.append(shlex.split(line)[1:])
    return found


@pytest.mark.parametrize("name", list(ALL))
def test_every_command_has_help(name: str) -> None:
    command = ALL[name]
    assert command.help and command.help.strip()
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts[0]} has no help"
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    summary = " ".join(command.help.strip().splitlines()[0].split())
    assert summary in " ".join(result.output.split())


def test_the_readme_shows_the_two_commands_first() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, flags=re.S)
    assert first_block is not None
    lines = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert lines == ["make run", "make test"]


def test_the_readme_only_shows_commands_and_options_that_exist() -> None:
    invocations = readme_invocations()
    assert invocations, "the README shows no ingester commands"
    for shown in invocations:
        args = without_root_options(shown)
        command, rest = resolve(args)
        assert command is not cli and not isinstance(command, click.Group), (
            f"README shows unknown command {' '.join(args)!r}"
        )
        known = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for arg in rest:
            if arg.startswith("-"):
                assert arg in known, f"README shows unknown option {arg} in {' '.join(args)!r}"
        # The arguments parse: no missing or surplus arguments. (A file the README only
        # names as an example need not exist.)
        try:
            command.make_context(args[0], rest, resilient_parsing=False).close()
        except click.BadParameter as e:
            assert "does not exist" in str(e), e


def test_the_readme_documents_every_setting() -> None:
    for name in Settings.__dataclass_fields__:
        assert f"`{name}`" in README, f"setting {name} is not in the README"


def test_every_make_target_the_readme_names_exists() -> None:
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, flags=re.M))
    for target in re.findall(r"^make ([\w-]+)", README, flags=re.M):
        assert target in targets, f"README names make {target}, which the Makefile lacks"


def test_every_make_target_the_makefile_explains_is_in_the_readme() -> None:
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    # A target with a comment above it (ARGS ?= lines between them allowed) is one to use.
    explained = re.findall(r"^#[^\n]*\n(?:[A-Z]+ \?=[^\n]*\n)*([a-z][\w-]*):", makefile, re.M)
    named = set(re.findall(r"^make ([\w-]+)", README, flags=re.M))
    assert explained, "no explained targets found"
    for target in explained:
        assert target in named, f"make {target} is explained in the Makefile, not in the README"


def test_the_readme_names_the_compression_raw_pages_are_stored_with(tmp_path: Path) -> None:
    store = Store(tmp_path / "archive.db")
    content = b"<html><body><p>a page</p></body></html>"
    page = PageToStore(content, hashlib.sha256(content).hexdigest(), etag=None, last_modified=None)
    urls = ArticleUrls("https://example.com/a")
    article = Article(title="A page", body=("a page",))
    store.save(urls, version_of(article, T0), T0, page=page)
    [(encoding,)] = store.db.execute("SELECT encoding FROM raw_pages").fetchall()
    store.close()

    [row] = [line for line in README.splitlines() if line.startswith("| `raw_pages` |")]
    assert f"{encoding}-compressed" in row
