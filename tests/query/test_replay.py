"""``ingester replay``'s parts in process (ingester/query/replay.py): its URLs, where it
finds pywb, and the index kept up with a WARC folder the daemon is writing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ingester.errors import ServeError
from ingester.fetch.capture import Captures, Exchange
from ingester.query.replay import Index, index_name, pywb_bin, replay_url, timestamp14

REPLAY_BIN = Path(sys.prefix) / "replay" / "bin"
needs_pywb = pytest.mark.skipif(
    not (REPLAY_BIN / "cdx-indexer").is_file(),
    reason=f"pywb's virtualenv is absent ({REPLAY_BIN}): `make install` sets it up",
)


def test_a_capture_is_replayed_by_its_second_and_url() -> None:
    assert timestamp14("2026-12-02T13:44:44.803660Z") == "20261202134444"
    assert (
        replay_url("http://127.0.0.1:8090/archive/", "2026-12-02T13:44:44Z", "http://a.test/p?q=1")
        == "http://127.0.0.1:8090/archive/20261202134444id_/http://a.test/p?q=1"
    )
    assert replay_url("http://h:1/archive", "2026-01-02T03:04:05Z", "u").startswith(
        "http://h:1/archive/20260102030405id_/"
    )


def test_without_pywb_the_error_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(ServeError, match="make install"):
        pywb_bin()


def test_index_names_are_the_indexers() -> None:
    assert index_name("ingester-1-00000-h.warc.gz") == "ingester-1-00000-h.cdx"
    assert index_name("ingester-1-00000-h.warc.gz.open") == "ingester-1-00000-h.warc.gz.open.cdx"


def exchange(path: str) -> Exchange:
    return Exchange(
        url=f"http://news.test{path}",
        request_headers=[("Host", "news.test")],
        status=200,
        reason="OK",
        response_headers=[("Content-Type", "text/plain")],
        body=f"the page at {path}".encode(),
        path=path,
    )


def indexed_urls(folder: Path) -> dict[str, list[str]]:
    """Each index file's URLs (CDXJ: key, timestamp, JSON)."""
    return {
        path.name: [
            json.loads(line.split(" ", 2)[2])["url"]
            for line in path.read_text().splitlines()
            if line.strip()
        ]
        for path in sorted(folder.iterdir())
    }


@needs_pywb
def test_the_index_follows_a_file_that_grows_and_is_closed(tmp_path: Path) -> None:
    warcs = tmp_path / "warcs"
    writer = Captures(warcs, user_agent="test", robots=True, max_bytes=10**9)
    try:
        writer.exchange(exchange("/a"))
        index = Index(warcs, tmp_path / "index", pywb_bin())
        assert index.refresh() == []
        [open_file] = warcs.iterdir()
        assert indexed_urls(index.folder) == {index_name(open_file.name): ["http://news.test/a"]}

        writer.exchange(exchange("/b"))  # the .open file grows
        assert index.refresh() == []
        assert indexed_urls(index.folder) == {
            index_name(open_file.name): ["http://news.test/a", "http://news.test/b"]
        }
    finally:
        writer.close()  # ….warc.gz.open becomes ….warc.gz

    assert index.refresh() == []
    [closed] = warcs.iterdir()
    assert indexed_urls(index.folder) == {
        index_name(closed.name): ["http://news.test/a", "http://news.test/b"]
    }
    assert index.files == 1
    assert index.refresh() == []  # nothing changed, nothing run


@needs_pywb
def test_a_file_the_indexer_cannot_read_is_reported_once_and_the_rest_indexed(
    tmp_path: Path,
) -> None:
    warcs = tmp_path / "warcs"
    writer = Captures(warcs, user_agent="test", robots=True, max_bytes=10**9)
    writer.exchange(exchange("/a"))
    writer.close()
    bad = warcs / "ingester-00000000000000-00000-broken.warc.gz"
    bad.write_bytes(bytes(range(256)) * 4)  # no WARC record in it
    index = Index(warcs, tmp_path / "index", pywb_bin())

    [problem] = index.refresh()

    assert problem.startswith(bad.name + ": ") and "\n" not in problem
    assert index.files == 1 and "http://news.test/a" in str(indexed_urls(index.folder))
    assert index.refresh() == []  # not tried again while it stays as it is
    bad.write_bytes(bytes(range(256)) * 5)
    assert len(index.refresh()) == 1  # changed: tried again
