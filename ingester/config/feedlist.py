"""Editing the feed list in the config file, keeping its comments and order.

The config file is the source of truth for which feeds are polled; the archive's feed
rows follow it (on start, SIGHUP, poll and after every edit made here).
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT

from ..errors import ConfigError, NotFound
from ..types import FeedSpec
from .settings import Config, config_from_dict, duration_text

# A name is typed after `ingester poll` and read in log lines (`feed=NAME`), so one made
# from a title is a slug: no spaces, and short.
MAX_NAME = 40


def feed_name(title: str, taken: set[str]) -> str | None:
    """A name from a feed's title: lower case, letters (of any script) and digits kept,
    accents taken off Latin letters (``é`` -> ``e``; ``й`` stays: in Cyrillic it is a
    letter of its own), every other run of characters one hyphen, at most MAX_NAME
    characters; numbered (``-2``, ``-3``) when ``taken`` has it already. None when
    nothing is left."""
    folded = "".join(_unaccented(c) for c in title).casefold()
    slug = re.sub(r"[\W_]+", "-", folded).strip("-")
    slug = slug[:MAX_NAME].rstrip("-")
    if not slug:
        return None
    name, n = slug, 1
    while name in taken:
        n += 1
        name = f"{slug}-{n}"
    return name


def _unaccented(char: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if bare.isascii() else char


def add_feeds(path: Path, specs: Iterable[FeedSpec]) -> tuple[list[FeedSpec], list[FeedSpec]]:
    """Append feeds not yet listed; returns (added, already there). Validated before writing.

    A feed with a title but no name is named from its title (``feed_name``); the title is
    kept beside the name when it says more than the name does.
    """
    doc = _load(path)
    feeds = _feeds_array(doc)
    listed = {str(table.get("url")) for table in feeds}
    names = {str(table["name"]) for table in feeds if "name" in table}
    added, present = [], []
    for spec in specs:
        if spec.url in listed:
            present.append(spec)
            continue
        if spec.name is None and spec.title:
            spec = replace(spec, name=feed_name(spec.title, names))
        if spec.title == spec.name:
            spec = replace(spec, title=None)
        if len(feeds):
            feeds[-1].add(tomlkit.nl())  # a blank line between tables, as people write them
        table = tomlkit.table()
        table["url"] = spec.url
        for key in ("name", "title", "section", "site_url"):
            if getattr(spec, key):
                table[key] = getattr(spec, key)
        if spec.name:
            names.add(spec.name)
        if spec.interval:
            table["interval"] = duration_text(spec.interval)
        feeds.append(table)
        listed.add(spec.url)
        added.append(spec)
    if added:
        _save(path, doc)
    return added, present


def remove_feed(path: Path, name_or_url: str) -> FeedSpec:
    """Remove the one feed with this name or URL from the file."""
    doc = _load(path)
    feeds = _feeds_array(doc)
    matches = [i for i, t in enumerate(feeds) if name_or_url in (t.get("url"), t.get("name"))]
    if not matches:
        raise NotFound(f"{path}: no feed named {name_or_url!r}")
    if len(matches) > 1:
        raise ConfigError(f"{path}: {len(matches)} feeds are named {name_or_url!r}; give its URL")
    table = feeds[matches[0]]
    spec = FeedSpec(url=str(table["url"]), name=table.get("name"), section=table.get("section"))
    del feeds[matches[0]]
    _save(path, doc)
    return spec


def _load(path: Path) -> tomlkit.TOMLDocument:
    try:
        return (
            tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        )
    except tomlkit.exceptions.ParseError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e


def _feeds_array(doc: tomlkit.TOMLDocument) -> AoT:
    if "feeds" not in doc:
        doc.append("feeds", tomlkit.aot())
    feeds = doc["feeds"]
    if not isinstance(feeds, AoT):
        raise ConfigError("'feeds' must be an array of [[feeds]] tables")
    return feeds


def _save(path: Path, doc: tomlkit.TOMLDocument) -> Config:
    """Check the edited file loads as a config, then replace the old one atomically."""
    text = tomlkit.dumps(doc).rstrip("\n") + "\n"  # removing the last table leaves a blank
    config = config_from_dict(_plain(tomlkit.parse(text)), path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return config


def _plain(doc: tomlkit.TOMLDocument) -> dict[str, Any]:
    value = doc.unwrap()
    assert isinstance(value, dict)
    return value
