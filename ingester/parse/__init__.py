"""Feed bytes + response headers -> ``ParsedFeed`` (``feed``), the charset the bytes are
really in (``charset``), bounds on entity declarations (``entities``), and the feeds an
HTML page advertises (``discover``)."""

from .discover import advertised_feeds
from .feed import looks_like_feed, parse_feed

__all__ = ["advertised_feeds", "looks_like_feed", "parse_feed"]
