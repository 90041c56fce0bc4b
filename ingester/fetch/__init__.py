"""HTTP: the ``Fetcher`` (conditional GET, redirects, size caps) and what it stands on:
header rules (``headers``), per-host politeness and robots.txt (``politeness``), the SSRF
guard (``guard``), the aiohttp transport behind httpx's interface (``transport``) and
bounded decompression (``decode``); the captures of record, WARC/1.1 (``capture``, the
files in ``warcfiles``, read back by ``records``)."""

from .capture import Captures
from .client import Fetcher
from .records import stored_content

__all__ = ["Captures", "Fetcher", "stored_content"]
