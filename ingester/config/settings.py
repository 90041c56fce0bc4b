"""The configuration file: settings and the feed list, loaded and validated once.

A file with a bad value or an unknown key is refused whole, with one line naming
the file, the feed and the key, before anything touches the archive.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..locations import engine_of
from ..types import FeedSpec

DEFAULT_USER_AGENT = "ingester/0.1 (+https://github.com/ingester-archive/ingester)"

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Settings:
    """The ``[settings]`` table; every key is optional."""

    default_interval: int = 1800  # seconds between polls of one feed
    tick: int = 60  # seconds between the daemon's looks at what is due
    # What a daemon claims of what is due, it holds for ``lease`` seconds, renewed while it
    # works (store/leases.py): another node takes it over once a dead node's lease runs
    # out. It claims ``claim_batch`` feeds at a time, so that the nodes of a cluster
    # share what is due rather than the first to look taking it all; 0: all that is due
    # on one machine's SQLite archive, 1,000 at a time on a shared PostgreSQL one.
    lease: int = 300
    claim_batch: int = 0
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0  # seconds for one whole request
    connect_timeout: float = 10.0
    max_feed_bytes: int = 10 * 1024 * 1024
    max_page_bytes: int = 5 * 1024 * 1024
    concurrency: int = 8  # feeds polled at once, by each poller process
    workers: int = 0  # poller processes; 0 means one per core
    page_concurrency: int = 4  # article pages fetched at once within one feed
    # New entries archived per poll of one feed; the rest wait for the next poll, which
    # comes after min_interval: a feed of 100,000 new entries is taken in rounds.
    max_entries_per_poll: int = 1000
    max_backoff: int = 86400  # seconds: the longest a failing feed waits
    # What servers ask for (Cache-Control, Expires, RSS ttl, sy:updatePeriod, Retry-After)
    # can lengthen a feed's interval; the result is kept within these bounds.
    min_interval: int = 300
    max_interval: int = 86400
    jitter: float = 0.1  # each wait is varied by up to this fraction, so polls spread out
    host_concurrency: int = 2  # requests at once to one host, feeds and pages together
    host_gap: float = 1.0  # seconds between the starts of two requests to one host
    robots: bool = True  # honour robots.txt for article pages
    # Article pages (and where they redirect) must be on public addresses, checked at
    # connect time; feeds the user configured may be on the LAN or this machine.
    private_pages: bool = False
    private_feeds: bool = True
    # Re-checks of archived articles, to catch edits: (every, until) pairs counted from
    # when the article was first seen; after the last pair, never.
    recheck: tuple[tuple[int, int], ...] = (
        (900, 3 * 3600),
        (3600, 86400),
        (6 * 3600, 7 * 86400),
        (86400, 30 * 86400),
    )
    recheck_budget: int = 50  # article re-checks per tick, after the feeds that are due
    keep_polls: int = 500  # poll records kept per feed, newest first: the log stays bounded
    # Captures of record (WARC/1.1): the folder, by default beside the archive
    # (archive.db -> archive.warcs/; a relative path is taken from the archive's folder),
    # a new file past this size and at each UTC day, and whether 304s are written too
    # (as revisits; the poll log records them either way).
    warc_dir: str = ""
    warc_max_bytes: int = 1_000_000_000
    warc_not_modified: bool = False

    def warc_folder(self, archive: str | Path) -> Path:
        """The WARC folder of the archive at ``archive``. A PostgreSQL archive has no folder
        of its own: its relative ``warc_dir`` (by default ``archive.warcs``) is taken from
        the current one, and a cluster's nodes each name the folder they share."""
        if engine_of(archive) == "postgresql":
            return Path(self.warc_dir or "archive.warcs").expanduser().resolve()
        db_path = Path(archive)
        if not self.warc_dir:
            return db_path.with_suffix(".warcs")
        return db_path.parent / Path(self.warc_dir).expanduser()


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    settings: Settings = field(default_factory=Settings)
    feeds: tuple[FeedSpec, ...] = ()


def parse_duration(value: object) -> int:
    """Seconds from an integer (seconds) or a string such as ``"90s"``, ``"30m"``, ``"2h"``."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30m, got a boolean")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        raise ValueError(f"expected a duration such as 30m, 2h or 900, got {value!r}")
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    return seconds


def duration_text(seconds: int) -> str:
    """A duration as the config writes it: ``"30m"`` for 1800, ``"90s"`` for 90."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def load_config(path: Path) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    return config_from_dict(raw, path)


def config_from_dict(raw: dict[str, Any], path: Path) -> Config:
    unknown = set(raw) - {"settings", "feeds"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {sorted(unknown)[0]!r}")
    settings = _settings(raw.get("settings", {}), path)
    feeds_raw = raw.get("feeds", [])
    if not isinstance(feeds_raw, list):
        raise ConfigError(f"{path}: 'feeds' must be an array of [[feeds]] tables")
    feeds = tuple(_feed(i, item, path) for i, item in enumerate(feeds_raw, start=1))
    seen: dict[str, int] = {}
    for i, feed in enumerate(feeds, start=1):
        if feed.url in seen:
            raise ConfigError(f"{path}: feed {i} ({feed.url}): same url as feed {seen[feed.url]}")
        seen[feed.url] = i
    return Config(path=path, settings=settings, feeds=feeds)


def _settings(raw: object, path: Path) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [settings] must be a table")
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{path}: [settings]: unknown key {key!r}")
        default = getattr(Settings(), key)
        try:
            values[key] = _coerce(key, value, default)
        except ValueError as e:
            raise ConfigError(f"{path}: [settings]: key {key!r}: {e}") from None
    settings = Settings(**values)
    if settings.min_interval > settings.max_interval:
        raise ConfigError(f"{path}: [settings]: key 'min_interval': longer than max_interval")
    return settings


_DURATIONS = {"default_interval", "tick", "max_backoff", "min_interval", "max_interval", "lease"}
_MAY_BE_ZERO = {"host_gap", "recheck_budget", "workers", "claim_batch"}


def _coerce(key: str, value: object, default: object) -> object:
    if key in _DURATIONS:
        return parse_duration(value)
    if key == "recheck":
        return _recheck(value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
        return value
    if key == "jitter":
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < 1:
            raise ValueError(f"expected a fraction from 0 to below 1, got {value!r}")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"expected a non-empty string, got {value!r}")
        return value
    if isinstance(default, int):
        # Counts and byte sizes: a fraction would be silently truncated, so it is refused.
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"expected a whole number, got {value!r}")
    elif not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if value < 0 or (value == 0 and key not in _MAY_BE_ZERO):
        raise ValueError(f"must be positive, got {value!r}")
    return type(default)(value)  # type: ignore[call-arg]


def _recheck(value: object) -> tuple[tuple[int, int], ...]:
    """``[["15m", "3h"], ["1h", "1d"]]``: every 15 minutes until 3 hours old, then hourly
    until a day old. An empty list turns re-checks off."""
    if not isinstance(value, list):
        raise ValueError('expected a list of ["every", "until"] pairs, such as [["15m", "3h"]]')
    steps = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError(f'expected an ["every", "until"] pair, got {pair!r}')
        steps.append((parse_duration(pair[0]), parse_duration(pair[1])))
    if any(later[1] <= earlier[1] for earlier, later in itertools.pairwise(steps)):
        raise ValueError("each pair's 'until' must be later than the one before")
    return tuple(steps)


def _feed(index: int, raw: object, path: Path) -> FeedSpec:
    where = f"{path}: feed {index}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a [[feeds]] table")
    url = raw.get("url")
    if url is not None:
        where = f"{where} ({_printable(str(url))})"
    unknown = set(raw) - {"url", "name", "section", "interval", "title", "site_url"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: key 'url' is required and must be a string")
    if _printable(url.strip()) != url.strip() or " " in url.strip():
        # urlsplit silently drops tabs and newlines, so they are refused before it runs.
        raise ConfigError(f"{where}: key 'url': contains whitespace or control characters")
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"{where}: key 'url': must be an http(s) URL")
    for key in ("name", "section", "title", "site_url"):
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{where}: key {key!r}: expected a non-empty string, got {value!r}")
    site = urlsplit(str(raw.get("site_url", "https://x")).strip())
    if site.scheme not in {"http", "https"} or not site.netloc:
        raise ConfigError(f"{where}: key 'site_url': must be an http(s) URL")
    interval = None
    if "interval" in raw:
        try:
            interval = parse_duration(raw["interval"])
        except ValueError as e:
            raise ConfigError(f"{where}: key 'interval': {e}") from None
    return FeedSpec(
        url=url.strip(),
        name=raw.get("name"),
        section=raw.get("section"),
        interval=interval,
        title=raw.get("title"),
        site_url=raw.get("site_url"),
    )


def _printable(text: str) -> str:
    """``text`` with control characters escaped, so an error message stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
