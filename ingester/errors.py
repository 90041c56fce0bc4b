"""One exception tree for the whole project.

Foreign exceptions (httpx, sqlite3, lxml, tomllib) are wrapped where they enter,
so callers only ever see an ``IngesterError``; anything else escaping a stage is a bug.
"""

from __future__ import annotations


class IngesterError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigError(IngesterError):
    """The configuration file is missing, unreadable or invalid."""


class FeedError(IngesterError):
    """Something went wrong with one feed or page; carries the URL it concerns."""

    def __init__(self, url: str, message: str) -> None:
        super().__init__(message)
        self.url = url
        self.message = message

    def __reduce__(self) -> tuple[type[FeedError], tuple[str, str]]:
        # Rebuilt from (url, message) when it crosses the extraction process pool.
        return (type(self), (self.url, self.message))


class FetchError(FeedError):
    """The HTTP exchange failed: network error, timeout, error status, size cap."""

    def __init__(
        self,
        url: str,
        message: str,
        status: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(url, message)
        self.status = status
        self.retry_after = retry_after  # seconds the server asked us to wait (429, 503)

    def __reduce__(  # type: ignore[override]
        self,
    ) -> tuple[type[FetchError], tuple[str, str, int | None, int | None]]:
        return (type(self), (self.url, self.message, self.status, self.retry_after))


class AddressRefused(FetchError):
    """The SSRF guard refused the address a URL leads to (see fetch/guard.py)."""


class ParseError(FeedError):
    """The bytes are not a feed we can read."""


class ExtractError(FeedError):
    """The page yielded no article."""


class StoreError(IngesterError):
    """The archive could not be read or written."""


class CaptureError(IngesterError):
    """The WARC files cannot be written: a folder that is a file, a full disk."""


class NotFound(IngesterError):
    """A lookup by URL, feed name or version number found nothing."""


class ServeError(IngesterError):
    """A server (Datasette, pywb) cannot listen where it was asked to (a busy port, an
    unknown address), or pywb is missing or did not start."""
