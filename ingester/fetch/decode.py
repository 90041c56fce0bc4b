"""Content-Encoding, undone within a size cap: a decompression bomb is cut off, not inflated.

httpx would inflate each network chunk whole before anyone could count it, so the
fetcher reads the body as sent and this module undoes each encoding with decoders that
stop at the cap: memory stays within about twice the cap whatever the ratio.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence

import brotli
import zstandard

ACCEPT_ENCODING = "gzip, deflate, br, zstd"


class BodyTooLarge(Exception):
    """The decoded body would be larger than the cap."""


class UndecodableBody(Exception):
    """The body is not valid in its declared encoding (corrupt, truncated, unknown)."""


def content_encodings(header: str | None) -> list[str]:
    """The encodings applied, in the order they were applied (``identity`` left out)."""
    if not header:
        return []
    names = [part.strip().lower() for part in header.split(",")]
    return [name for name in names if name and name != "identity"]


def decode_body(raw: bytes, encodings: Sequence[str], cap: int, partial: bool = False) -> bytes:
    """Undo ``encodings`` (last applied first); never produce more than ``cap`` bytes.

    With ``partial``, a body that is too large or cut short gives its first ``cap`` bytes
    instead of an error (robots.txt is read up to a limit, RFC 9309 2.5).
    """
    body = raw
    for name in reversed(encodings):
        if name not in _decoders:
            _unknown(name)
        body = _prefix(body, name, cap) if partial else _decoders[name](body, cap)
        if len(body) > cap:
            raise BodyTooLarge
    return body[:cap]


def _prefix(data: bytes, name: str, cap: int) -> bytes:
    """As much of the decoded body as the bytes at hand give, at most ``cap``."""
    try:
        if name in ("br",):
            return bytes(brotli.Decompressor().process(data, output_buffer_limit=cap))[:cap]
        if name == "zstd":
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
            return bytes(reader.read(cap))
        wbits = zlib.MAX_WBITS | (16 if "gzip" in name else 0)
        return zlib.decompressobj(wbits).decompress(data, cap)
    except (zlib.error, brotli.error, zstandard.ZstdError) as e:
        raise UndecodableBody(str(e)) from None


def _unknown(name: str) -> bytes:
    raise UndecodableBody(f"unknown content encoding {name!r}")


def _zlib(data: bytes, cap: int, wbits: int) -> bytes:
    """gzip (possibly several members) or zlib, stopping one byte past the cap."""
    out = bytearray()
    while data:
        decoder = zlib.decompressobj(wbits)
        try:
            out += decoder.decompress(data, cap + 1 - len(out))
        except zlib.error as e:
            if out:
                break  # trailing garbage after a complete member, as browsers allow
            raise UndecodableBody(str(e)) from None
        if len(out) > cap or decoder.unconsumed_tail:
            raise BodyTooLarge
        if not decoder.eof:
            raise UndecodableBody("truncated compressed body")
        data = decoder.unused_data.lstrip(b"\0")  # gzip members may be zero-padded
    return bytes(out)


def _gzip(data: bytes, cap: int) -> bytes:
    return _zlib(data, cap, 16 + zlib.MAX_WBITS)


def _deflate(data: bytes, cap: int) -> bytes:
    # "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
    try:
        return _zlib(data, cap, zlib.MAX_WBITS)
    except UndecodableBody:
        return _zlib(data, cap, -zlib.MAX_WBITS)


def _brotli(data: bytes, cap: int) -> bytes:
    decoder = brotli.Decompressor()
    try:
        out = decoder.process(data, output_buffer_limit=cap + 1)
    except brotli.error as e:
        raise UndecodableBody(str(e)) from None
    if len(out) > cap or not decoder.can_accept_more_data():
        raise BodyTooLarge
    if not decoder.is_finished():
        raise UndecodableBody("truncated brotli body")
    return bytes(out)


def _zstd(data: bytes, cap: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True)
    try:
        out = reader.read(cap + 1)
    except zstandard.ZstdError as e:
        raise UndecodableBody(str(e)) from None
    if len(out) > cap:
        raise BodyTooLarge
    return bytes(out)


_decoders = {
    "gzip": _gzip,
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}
