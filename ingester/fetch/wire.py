"""A response as received: its body read within a bound, Content-Encoding kept, and the
exchange as a capture of record needs it (capture.py)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .capture import Exchange


@dataclass(frozen=True, slots=True)
class Received:
    """A response body as it came (Content-Encoding kept), or cut at a bound."""

    content: bytes
    truncated: bool = False
    decoded: bool = False  # a test transport read and decoded it before we did


async def received(response: httpx.Response, max_bytes: int, truncate: bool) -> Received:
    """Read the body as sent, stopping past ``max_bytes`` (cut to it with ``truncate``)."""
    if response.status_code == 304:
        return Received(b"")  # no body, by definition (RFC 9110 15.4.5)
    if response.is_stream_consumed:
        # Read already, and so decoded, before it reached us (mock transports do).
        return Received(response.content, len(response.content) > max_bytes, decoded=True)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        chunks.append(chunk)
        if size > max_bytes:
            break
    content = b"".join(chunks)
    if size <= max_bytes:
        return Received(content)
    return Received(content[:max_bytes] if truncate else content, truncated=True)


def exchange_of(response: httpx.Response, body: Received) -> Exchange:
    """The request as sent (the transport's record of it, else httpx's) and its response."""
    request = response.request
    extensions = response.extensions
    sent = extensions.get("sent_headers") or _text_pairs(request.headers.raw)
    return Exchange(
        url=str(request.url),
        request_headers=sent,
        status=response.status_code,
        reason=response.reason_phrase,
        response_headers=_text_pairs(response.headers.raw),
        body=body.content,
        http_version=response.http_version.removeprefix("HTTP/"),
        peer=extensions.get("peer"),
        truncated=body.truncated,
        decoded=body.decoded,
        path=request.url.raw_path.decode("ascii"),
    )


def _text_pairs(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    # Latin-1 maps every byte to one character: nothing a server sent is lost.
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
