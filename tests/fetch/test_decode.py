"""Content-Encoding undone within the cap: bombs are cut off without being inflated."""

from __future__ import annotations

import asyncio
import gzip
import os
import tracemalloc
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard

from ingester.config import Settings
from ingester.errors import FetchError
from ingester.fetch import Fetcher
from ingester.fetch.decode import BodyTooLarge, UndecodableBody, content_encodings, decode_body
from tests.support.httpserver import LocalServer, Route

CORPUS = Path(os.environ.get("INGESTER_CORPORA", "../shared/corpora")) / "malicious-input"
SCRAPY = CORPUS / "scrapy-compression"
HTML = b"<html><body>" + b"<p>Nothing to see here, just a paragraph.</p>" * 200 + b"</body></html>"
CAP = 1024 * 1024


def bomb(kind: str, size: int = 64 * 1024 * 1024) -> bytes:
    """``size`` zero bytes, compressed: a few tens of kilobytes that inflate enormously."""
    zeros = bytes(1024 * 1024)
    if kind == "gzip":
        z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    elif kind == "deflate":
        z = zlib.compressobj(9)
    elif kind == "br":
        return bytes(brotli.compress(bytes(size), quality=5))
    else:
        return zstandard.ZstdCompressor(level=3).compress(bytes(size))
    return b"".join(z.compress(zeros) for _ in range(size // len(zeros))) + z.flush()


@pytest.mark.parametrize("kind", ["gzip", "deflate", "br", "zstd"])
def test_a_bomb_is_refused_and_memory_stays_near_the_cap(kind: str) -> None:
    data = bomb(kind)
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            decode_body(data, [kind], CAP)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(data) < CAP  # small on the wire...
    assert peak < 4 * CAP  # ...and never inflated past a few times the cap


@pytest.mark.parametrize(
    ("kind", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
    ],
)
def test_honest_bodies_decode_exactly(kind: str, encode: object) -> None:
    assert callable(encode)
    assert decode_body(encode(HTML), [kind], CAP) == HTML


def test_raw_deflate_stacked_encodings_and_gzip_members() -> None:
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw_deflate = raw.compress(HTML) + raw.flush()
    stacked = gzip.compress(zlib.compress(gzip.compress(HTML)))
    members = gzip.compress(HTML[:100]) + gzip.compress(HTML[100:])

    assert decode_body(raw_deflate, ["deflate"], CAP) == HTML
    assert decode_body(stacked, content_encodings("gzip, deflate, gzip"), CAP) == HTML
    assert decode_body(members, ["gzip"], CAP) == HTML
    assert content_encodings("identity") == []


@pytest.mark.parametrize(
    "data,kind",
    [(gzip.compress(HTML)[:-20], "gzip"), (b"not gzip at all", "gzip"), (b"x", "compress")],
    ids=["truncated", "garbage", "unknown-encoding"],
)
def test_broken_bodies_are_undecodable(data: bytes, kind: str) -> None:
    with pytest.raises(UndecodableBody):
        decode_body(data, [kind], CAP)


def test_the_fetcher_refuses_a_bomb_from_a_real_server() -> None:
    settings = Settings(max_page_bytes=CAP, robots=False, host_gap=0.0, private_pages=True)

    async def fetch(url: str) -> None:
        async with Fetcher(settings) as fetcher:
            await fetcher.get_page(url)

    with LocalServer() as server:
        for kind in ("gzip", "br", "zstd"):
            headers = {"Content-Type": "text/html", "Content-Encoding": kind}
            server.set(f"/{kind}", Route(bomb(kind), headers=headers))
        server.set("/ok", Route(brotli.compress(HTML), headers={"Content-Encoding": "br"}))
        for kind in ("gzip", "br", "zstd"):
            with pytest.raises(FetchError, match=f"larger than {CAP} bytes"):
                asyncio.run(fetch(server.url(f"/{kind}")))
        asyncio.run(fetch(server.url("/ok")))
        sent = server.requests[0].headers.get("accept-encoding", "")
    assert {"gzip", "br", "zstd"} <= {e.strip() for e in sent.split(",")}


@pytest.mark.corpus
def test_the_scrapy_compression_corpus() -> None:
    if not SCRAPY.is_dir():
        pytest.skip(f"corpus not found at {SCRAPY}")
    expected = (SCRAPY / "feed-sample1.xml").read_bytes()
    html_cases = {
        "html-br.bin": ["br"],
        "html-gzip.bin": ["gzip"],
        "html-rawdeflate.bin": ["deflate"],
        "html-zlibdeflate.bin": ["deflate"],
        "html-gzip-deflate.bin": ["gzip", "deflate"],
        "html-gzip-deflate-gzip.bin": ["gzip", "deflate", "gzip"],
        "html-zstd-static-content-size.bin": ["zstd"],
        "html-zstd-static-no-content-size.bin": ["zstd"],
        "html-zstd-streaming-no-content-size.bin": ["zstd"],
    }
    decoded = {
        name: decode_body((SCRAPY / name).read_bytes(), kinds, 10 * CAP)
        for name, kinds in html_cases.items()
    }
    # The two deflate samples were made from a copy of the page 3 bytes longer.
    assert len({v for k, v in decoded.items() if "deflate.bin" not in k or "gzip" in k}) == 1
    assert decoded["html-rawdeflate.bin"] == decoded["html-zlibdeflate.bin"]
    assert all(v.startswith(b"<!DOCTYPE HTML>") for v in decoded.values())
    assert decode_body((SCRAPY / "feed-sample1.xml.gz").read_bytes(), ["gzip"], CAP) == expected
    for name, kind in [
        ("bomb-br.bin", "br"),
        ("bomb-deflate.bin", "deflate"),
        ("bomb-gzip.bin", "gzip"),
        ("bomb-zstd.bin", "zstd"),
    ]:
        with pytest.raises(BodyTooLarge):
            decode_body((SCRAPY / name).read_bytes(), [kind], CAP)
    # A truncated page is refused rather than archived half (a spurious version otherwise).
    for name in ("truncated-crc-error.gz", "truncated-crc-error-short.gz", "unexpected-eof.gz"):
        with pytest.raises(UndecodableBody):
            decode_body((SCRAPY / name).read_bytes(), ["gzip"], CAP)
