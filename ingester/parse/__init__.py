"""Feed bytes + response headers -> ``ParsedFeed`` (``feed``), the charset the bytes are
really in (``charset``), bounds on entity declarations (``entities``), the entries read
before (``memo``), and the feeds an HTML page advertises (``discover``)."""

from .discover import advertised_feeds
from .feed import looks_like_feed, parse_feed
from .memo import FeedMemo

__all__ = ["FeedMemo", "advertised_feeds", "looks_like_feed", "parse_feed"]
