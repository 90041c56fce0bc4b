"""HTTP: the ``Fetcher`` (conditional GET, redirects, size caps) and what it stands on:
header rules (``headers``), per-host politeness and robots.txt (``politeness``), the SSRF
guard (``guard``), the aiohttp transport behind httpx's interface (``transport``) and
bounded decompression (``decode``)."""

from .client import Fetcher

__all__ = ["Fetcher"]
