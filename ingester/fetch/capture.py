"""Captures of record: every HTTP exchange as WARC/1.1 records, written with warcio.

Written here, in the fetcher, where the bytes are: the response's payload as it came off
the wire, Content-Encoding kept. aiohttp hands over a chunked body already de-chunked, so
a ``Transfer-Encoding`` header is kept as ``X-Crawler-Transfer-Encoding`` (Common Crawl's
convention): left as it was, readers would de-chunk the payload a second time.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import platform
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from ..errors import CaptureError
from ..types import CaptureRef
from .warcfiles import GZIP_LEVEL, STORED, Placed, WarcFiles, close_abandoned, gzip_member

IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
ID = "WARC-Record-ID"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# Headers whose meaning the stored payload no longer has, kept under another name.
_RENAMED = {"transfer-encoding": "X-Crawler-Transfer-Encoding"}
_DECODED = {"content-encoding": "X-Crawler-Content-Encoding", **_RENAMED}


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and its response, as sent and received."""

    url: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes  # the payload as received, Content-Encoding kept
    http_version: str = "1.1"
    peer: str | None = None  # the server's IP address
    truncated: bool = False  # the body was cut at the size cap
    decoded: bool = False  # the body reached us decoded already (test transports)
    path: str = field(default="/")  # the request target, as the request line has it


def payload_digest(body: bytes) -> str:
    """A payload's digest as WARC writes it: ``sha256:`` and the digest in base32."""
    return "sha256:" + base64.b32encode(hashlib.sha256(body).digest()).decode("ascii")


def software() -> str:
    """What writes the records, for warcinfo."""
    return f"ingester/{version('ingester')} (warcio/{version('warcio')})"


class Sha256Writer(WARCWriter):  # type: ignore[misc]
    """warcio's record builder with SHA-256 digests, the archive's hash everywhere."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


class Captures:
    """The WARC files of one process, and the records written into them."""

    def __init__(
        self,
        folder: Path,
        *,
        user_agent: str,
        robots: bool,
        max_bytes: int,
        not_modified: bool = False,
        earlier: Callable[[str], CaptureRef | None] | None = None,
    ) -> None:
        """``earlier`` finds a response captured before with a payload digest, at any URL
        (the archive's captures): the same payload again is a revisit of it, not a copy."""
        self.folder = folder
        self.not_modified = not_modified  # 304s are written as revisits too
        self._earlier = earlier
        self._out = io.BytesIO()
        self._builder = Sha256Writer(self._out, gzip=False, warc_version="1.1")
        self._info = {
            "software": software(),
            "format": "WARC File Format 1.1",
            "conformsTo": CONFORMS_TO,
            "hostname": platform.node(),
            "http-header-user-agent": user_agent,
            "robots": "obey (article pages); feeds are read as subscribed" if robots else "ignore",
        }
        with _writing(folder):  # at the start, not at the first fetch: one line, and out
            folder.mkdir(parents=True, exist_ok=True)
            close_abandoned(folder)
        self._files = WarcFiles(folder, self._warcinfo, max_bytes=max_bytes)

    def close(self) -> None:
        self._files.close()

    def exchange(self, exchange: Exchange, previous: CaptureRef | None = None) -> CaptureRef | None:
        """Write a request and its response; the capture that now stands for the URL's
        payload (the response written, or the earlier one a revisit points at)."""
        digest = payload_digest(exchange.body)
        revisit = True
        if exchange.status == 304:
            if not self.not_modified:
                return previous
            known = previous.payload_digest if previous else None
            response = self._revisit(exchange, previous, NOT_MODIFIED, known)
        elif exchange.status == 200 and (original := self._original(previous, digest)):
            previous = original
            response = self._revisit(exchange, original, IDENTICAL, digest)
        else:
            response, revisit = self._response(exchange, digest), False
        fields = _warc_fields(response)
        request = self._request(exchange, fields)
        level = STORED if not revisit and _compressed(exchange) else GZIP_LEVEL
        with _writing(self.folder):
            placed, _ = self._files.append([gzip_member(response, level), gzip_member(request)])
        if exchange.status != 200 or revisit:
            return previous if exchange.status in (200, 304) else None
        return self._ref(fields, placed)

    def _original(self, previous: CaptureRef | None, digest: str) -> CaptureRef | None:
        if previous is not None and previous.payload_digest == digest:
            return previous
        return self._earlier(digest) if self._earlier is not None else None

    def conversion(self, response: CaptureRef, text: str, extractor: str) -> Placed:
        """The article layout text extracted from ``response``, and what extracted it."""
        record = self._builder.create_warc_record(
            response.url,
            "conversion",
            payload=io.BytesIO(text.encode("utf-8")),
            length=len(text.encode("utf-8")),
            warc_content_type="text/plain; charset=utf-8",
            warc_headers_dict={
                "WARC-Refers-To": response.record_id,
                "Ingester-Extractor": extractor,
            },
        )
        with _writing(self.folder):
            (placed,) = self._files.append([gzip_member(self._serialised(record))])
        return placed

    def resource(self, url: str, date: datetime, content: bytes) -> CaptureRef:
        """A page fetched before captures were kept, as a ``resource`` record: its bytes
        alone, for it has no headers or request to go with them."""
        digest = payload_digest(content)
        record = self._builder.create_warc_record(
            url,
            "resource",
            payload=io.BytesIO(content),
            length=len(content),
            warc_content_type="text/html",
            warc_headers_dict={
                "WARC-Date": date.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "WARC-Payload-Digest": digest,
            },
        )
        serialised = self._serialised(record)
        with _writing(self.folder):
            (placed,) = self._files.append([gzip_member(serialised)])
        return self._ref(_warc_fields(serialised), placed)

    # -- records --------------------------------------------------------------------------

    def _warcinfo(self, filename: str) -> bytes:
        record = self._builder.create_warcinfo_record(filename, self._info)
        return gzip_member(self._serialised(record))

    def _http_headers(self, exchange: Exchange) -> StatusAndHeaders:
        renamed = _DECODED if exchange.decoded else _RENAMED
        headers = [(renamed.get(n.lower(), n), v) for n, v in exchange.response_headers]
        return StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".strip(),
            headers,
            protocol=f"HTTP/{exchange.http_version}",
        )

    def _common(self, exchange: Exchange) -> dict[str, str]:
        headers = {}
        if exchange.peer:
            headers["WARC-IP-Address"] = exchange.peer
        return headers

    def _response(self, exchange: Exchange, digest: str) -> bytes:
        headers = self._common(exchange) | {"WARC-Payload-Digest": digest}
        if exchange.truncated:
            headers["WARC-Truncated"] = "length"
        record = self._builder.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.body),
            length=len(exchange.body),
            warc_headers_dict=headers,
            http_headers=self._http_headers(exchange),
        )
        return self._serialised(record)

    def _revisit(
        self,
        exchange: Exchange,
        previous: CaptureRef | None,
        profile: str,
        digest: str | None,
    ) -> bytes:
        headers = self._common(exchange) | {"WARC-Profile": profile}
        if previous is not None:
            headers |= {
                "WARC-Refers-To": previous.record_id,
                "WARC-Refers-To-Target-URI": previous.url,
                "WARC-Refers-To-Date": previous.date,
            }
        if digest:
            headers["WARC-Payload-Digest"] = digest
        record = self._builder.create_warc_record(
            exchange.url,
            "revisit",
            warc_headers_dict=headers,
            http_headers=self._http_headers(exchange),
        )
        return self._serialised(record)

    def _request(self, exchange: Exchange, response: dict[str, str]) -> bytes:
        """The request, dated as its response and pointing at it (its WARC fields)."""
        record = self._builder.create_warc_record(
            exchange.url,
            "request",
            warc_headers_dict=self._common(exchange)
            | {
                "WARC-Date": response["WARC-Date"],
                "WARC-Concurrent-To": response["WARC-Record-ID"],
            },
            http_headers=StatusAndHeaders(
                f"GET {exchange.path} HTTP/{exchange.http_version}",
                exchange.request_headers,
                is_http_request=True,
            ),
        )
        return self._serialised(record)

    def _serialised(self, record: object) -> bytes:
        """A record's bytes, uncompressed: warcio computes the digests and lengths."""
        self._out.seek(0)
        self._out.truncate()
        self._builder.write_record(record)
        return self._out.getvalue()

    def _ref(self, fields: dict[str, str], placed: Placed) -> CaptureRef:
        return CaptureRef(
            record_id=fields["WARC-Record-ID"],
            url=fields["WARC-Target-URI"],
            date=fields["WARC-Date"],
            payload_digest=fields["WARC-Payload-Digest"],
            path=str(placed.path),
            offset=placed.offset,
            length=placed.length,
        )


def _warc_fields(record: bytes) -> dict[str, str]:
    head = record.split(b"\r\n\r\n", 1)[0].decode("utf-8").split("\r\n")[1:]
    return dict(line.split(": ", 1) for line in head if ": " in line)


@contextlib.contextmanager
def _writing(folder: Path) -> Iterator[None]:
    """OSError from the files as one line naming the folder: nothing is archived without
    its capture, so the fetch that needed it fails with this."""
    try:
        yield
    except OSError as e:
        raise CaptureError(
            f"capture: cannot write WARC files in {folder}: {e.strerror or e}"
        ) from e


def _compressed(exchange: Exchange) -> bool:
    """The payload came compressed by the server (Content-Encoding, kept as it came)."""
    return (
        not exchange.decoded
        and len(exchange.body) > 0
        and any(
            name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity")
            for name, value in exchange.response_headers
        )
    )
