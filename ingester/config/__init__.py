"""The configuration: settings and the feed list (``settings``), edits to the file that keep
its comments (``feedlist``), and the feed list as OPML (``opml``)."""

from .settings import (
    DEFAULT_USER_AGENT,
    Config,
    Settings,
    config_from_dict,
    duration_text,
    load_config,
    parse_duration,
)

__all__ = [
    "DEFAULT_USER_AGENT",
    "Config",
    "Settings",
    "config_from_dict",
    "duration_text",
    "load_config",
    "parse_duration",
]
