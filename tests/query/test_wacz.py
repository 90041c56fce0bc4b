"""WACZ packages (query/wacz.py): the zip's layout and hashes, an index that points at
real records, a page per version, the selection a filter makes, and the same bytes twice."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator

from ingester.errors import NotFound
from ingester.fetch.capture import Captures, Exchange
from ingester.fetch.records import check_file, warc_files
from ingester.query.wacz import write_wacz
from ingester.store import Store
from ingester.types import Article, ArticleUrls, CaptureRef, FeedSpec, PageToStore, ParsedEntry
from tests.support.versions import version_of
from tests.support.wacz import validate

T0 = datetime(2024, 5, 1, 9, 0, 0, tzinfo=UTC)
FERRY = "http://harbour.test/ferry"
MUSEUM = "http://culture.test/museum"
LATER = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass
class Built:
    store: Store
    folder: Path
    captures: Captures
    texts: dict[tuple[str, int], str]  # (url, version number) -> layout text
    refs: dict[tuple[str, int], CaptureRef]


def html(title: str, words: str) -> bytes:
    return f"<html><title>{title}</title><body><p>{words}</p></body></html>".encode()


def page_exchange(url: str, body: bytes) -> Exchange:
    host, path = url.split("/")[2], "/" + url.split("/", 3)[3]
    return Exchange(
        url=url,
        request_headers=[("Host", host), ("User-Agent", "ingester-test")],
        status=200,
        reason="OK",
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body=body,
        peer="192.0.2.7",
        path=path,
    )


def look(built: Built, feed: str, url: str, body: bytes, title: str, n: int, at: datetime) -> None:
    """A fetch of ``url`` captured, its rendering stored as version ``n`` with its
    conversion record, as the pipeline does it."""
    ref = built.captures.exchange(page_exchange(url, body))
    assert ref is not None
    version = replace(version_of(Article(title, (f"{title}: {n}.",)), at), capture=ref)
    built.captures.conversion(ref, version.text, version.extractor)
    page = PageToStore(body, hashlib.sha256(body).hexdigest(), None, None, ref)
    entry = ParsedEntry(url, url, url, title, None, None, None)
    (row,) = built.store.feeds_named([feed], 0)
    built.store.save(ArticleUrls(url), version, at, feed_id=row.id, entry=entry, page=page)
    built.texts[(url, n)] = version.text
    built.refs[(url, n)] = ref


@pytest.fixture
def built(tmp_path: Path) -> Iterator[Built]:
    """Two feeds: the ferry story edited once (two responses), then fetched unchanged (a
    revisit); the museum story once. The writer is left open: its file is ``.open``."""
    store = Store(tmp_path / "archive.db")
    store.sync_feeds(
        [FeedSpec("http://harbour.test/feed.xml", "harbour"), FeedSpec(MUSEUM + ".xml", "culture")],
        T0,
    )
    folder = tmp_path / "archive.warcs"
    captures = Captures(folder, user_agent="ingester-test", robots=True, max_bytes=10**9)
    b = Built(store, folder, captures, {}, {})
    look(b, "harbour", FERRY, html("Ferry", "winter timetable"), "Ferry", 1, T0)
    look(b, "culture", MUSEUM, html("Museum", "longer hours"), "Museum", 1, T0 + timedelta(1))
    look(b, "harbour", FERRY, html("Ferry again", "spring timetable"), "Ferry again", 2, LATER)
    revisited = captures.exchange(
        page_exchange(FERRY, html("Ferry again", "spring timetable")), b.refs[(FERRY, 2)]
    )
    assert revisited == b.refs[(FERRY, 2)]  # a revisit: the capture stays the response
    yield b
    captures.close()
    store.close()


def cdxj(package: zipfile.ZipFile) -> list[tuple[str, str, dict[str, Any]]]:
    lines = package.read("indexes/index.cdxj").decode().splitlines()
    assert lines == sorted(lines)
    return [(key, ts, json.loads(rest)) for key, ts, rest in (line.split(" ", 2) for line in lines)]


def pages(package: zipfile.ZipFile) -> list[dict[str, Any]]:
    return [json.loads(line) for line in package.read("pages/pages.jsonl").decode().splitlines()]


def record_at(package: zipfile.ZipFile, member: str, offset: int, length: int) -> Any:
    data = package.read(f"archive/{member}")[offset : offset + length]
    return next(iter(ArchiveIterator(io.BytesIO(data))))


def warc_records(data: bytes) -> list[tuple[str, dict[str, str]]]:
    found = []
    for record in ArchiveIterator(io.BytesIO(data)):
        found.append((record.rec_type, dict(record.rec_headers.headers)))
    return found


def test_the_whole_archive_packaged_validates_with_every_hash_right(
    built: Built, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "archive.wacz"
    packaged = write_wacz(built.store, built.folder, out, title="test")

    (source,) = warc_files(built.folder)
    assert source.name.endswith(".warc.gz.open")  # still written: named as it will be
    member = "archive/" + source.name.removesuffix(".open")
    with zipfile.ZipFile(out) as package:
        names = [info.filename for info in package.infolist()]
        assert names == [
            member,
            "indexes/index.cdxj",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json",
        ]
        assert package.getinfo(member).compress_type == zipfile.ZIP_STORED
        assert package.read(member) == source.read_bytes()
        described = json.loads(package.read("datapackage.json"))
        assert described["wacz_version"] == "1.1.1" and described["profile"] == "data-package"
        for resource in described["resources"]:
            data = package.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)
        assert [r["path"] for r in described["resources"]] == names[:3]
        seal = json.loads(package.read("datapackage-digest.json"))
        digest = hashlib.sha256(package.read("datapackage.json")).hexdigest()
        assert seal == {"path": "datapackage.json", "hash": f"sha256:{digest}"}
    # warcinfo, three responses and a revisit with their requests, three conversions
    assert (packaged.versions, packaged.records) == (3, 12)
    code, printed = validate(out)
    assert code == 0, printed


def test_every_index_line_points_at_its_record(built: Built, tmp_path: Path) -> None:
    write_wacz(built.store, built.folder, tmp_path / "a.wacz")

    with zipfile.ZipFile(tmp_path / "a.wacz") as package:
        lines = cdxj(package)
        for _, ts, fields in lines:
            record = record_at(
                package, fields["filename"], int(fields["offset"]), int(fields["length"])
            )
            assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
            date = record.rec_headers.get_header("WARC-Date")
            assert date.replace("-", "").replace("T", "").replace(":", "")[:14] == ts
    kinds = sorted((f["url"], f["mime"]) for _, _, f in lines)
    assert kinds == sorted(
        [(FERRY, "text/html"), (FERRY, "text/html"), (FERRY, "warc/revisit"), (MUSEUM, "text/html")]
    )


def test_a_page_per_version_with_its_capture_date_and_text(built: Built, tmp_path: Path) -> None:
    write_wacz(built.store, built.folder, tmp_path / "a.wacz", title="harbour and culture")

    with zipfile.ZipFile(tmp_path / "a.wacz") as package:
        header, *rest = pages(package)
    assert header == {"format": "json-pages-1.0", "id": "pages", "title": "harbour and culture"}
    seen = [(p["url"], p["ts"], p["title"], p["text"]) for p in rest]
    assert seen == [
        (FERRY, built.refs[(FERRY, 1)].date, "Ferry", built.texts[(FERRY, 1)]),
        (FERRY, built.refs[(FERRY, 2)].date, "Ferry again", built.texts[(FERRY, 2)]),
        (MUSEUM, built.refs[(MUSEUM, 1)].date, "Museum", built.texts[(MUSEUM, 1)]),
    ]
    assert len({p["id"] for p in rest}) == 3


def test_closed_files_go_in_whole_under_their_names_with_one_index(
    built: Built, tmp_path: Path
) -> None:
    built.captures.close()
    # A writer that starts a new file at every exchange: three more files.
    built.captures = Captures(built.folder, user_agent="ingester-test", robots=True, max_bytes=1)
    look(built, "culture", MUSEUM, html("Museum", "shorter hours"), "Museum, later", 2, LATER)
    built.captures.close()
    files = warc_files(built.folder)
    assert len(files) == 3 and not any(f.name.endswith(".open") for f in files)

    packaged = write_wacz(built.store, built.folder, tmp_path / "a.wacz")

    with zipfile.ZipFile(tmp_path / "a.wacz") as package:
        for f in files:
            assert package.read(f"archive/{f.name}") == f.read_bytes()
        used = {fields["filename"] for _, _, fields in cdxj(package)}
    assert used == {files[0].name, files[1].name}  # the last holds a conversion alone
    assert packaged.records == sum(check_file(f).records for f in files) == 17
    assert validate(tmp_path / "a.wacz")[0] == 0


def test_a_half_written_tail_is_left_out(built: Built, tmp_path: Path) -> None:
    (source,) = warc_files(built.folder)
    whole = source.read_bytes()
    with open(source, "ab") as file:  # a record being written when the export reads
        file.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + b"x" * 5000)[:-40])

    write_wacz(built.store, built.folder, tmp_path / "a.wacz")

    with zipfile.ZipFile(tmp_path / "a.wacz") as package:
        assert package.read("archive/" + source.name.removesuffix(".open")) == whole
    assert validate(tmp_path / "a.wacz")[0] == 0


def test_a_feed_gets_a_new_warc_of_its_records_alone(built: Built, tmp_path: Path) -> None:
    packaged = write_wacz(built.store, built.folder, tmp_path / "c.wacz", feed="culture")

    with zipfile.ZipFile(tmp_path / "c.wacz") as package:
        (member,) = [n for n in package.namelist() if n.startswith("archive/")]
        data = package.read(member)
        assert {f["url"] for _, _, f in cdxj(package)} == {MUSEUM}
        assert [p["url"] for p in pages(package)[1:]] == [MUSEUM]
    records = warc_records(data)
    assert [kind for kind, _ in records] == ["warcinfo", "response", "request", "conversion"]
    info, response, request, conversion = (headers for _, headers in records)
    assert info["WARC-Filename"] == member.removeprefix("archive/")
    assert response["WARC-Record-ID"] == built.refs[(MUSEUM, 1)].record_id
    assert (
        request["WARC-Concurrent-To"] == conversion["WARC-Refers-To"] == response["WARC-Record-ID"]
    )
    # The members are the archive's own, byte for byte.
    source = next(iter(warc_files(built.folder))).read_bytes()
    ref = built.refs[(MUSEUM, 1)]
    assert source[ref.offset : ref.offset + ref.length] in data
    (tmp_path / "c.warc.gz").write_bytes(data)
    check = check_file(tmp_path / "c.warc.gz")
    assert (check.records, check.problems) == (4, ())
    assert (packaged.versions, packaged.records) == (1, 4)
    assert validate(tmp_path / "c.wacz")[0] == 0


def test_a_date_keeps_the_later_versions_and_their_own_conversions(
    built: Built, tmp_path: Path
) -> None:
    write_wacz(built.store, built.folder, tmp_path / "s.wacz", since="2029-01-01")

    with zipfile.ZipFile(tmp_path / "s.wacz") as package:
        (member,) = [n for n in package.namelist() if n.startswith("archive/")]
        records = warc_records(package.read(member))
        assert [p["text"] for p in pages(package)[1:]] == [built.texts[(FERRY, 2)]]
    ids = {h["WARC-Record-ID"] for _, h in records}
    assert built.refs[(FERRY, 2)].record_id in ids and built.refs[(FERRY, 1)].record_id not in ids
    (conversion,) = [h for kind, h in records if kind == "conversion"]
    assert conversion["WARC-Refers-To"] == built.refs[(FERRY, 2)].record_id


def test_a_version_captured_as_a_revisit_brings_its_original(built: Built, tmp_path: Path) -> None:
    """Captures hand the store responses; a row pointing at a revisit (as another writer
    may) still packages the response the revisit refers to."""
    (source,) = warc_files(built.folder)
    with open(source, "rb") as file:
        records = ArchiveIterator(file)
        for record in records:
            records.read_to_end(record)
            if record.rec_type == "revisit":
                revisit = CaptureRef(
                    record.rec_headers.get_header("WARC-Record-ID"),
                    FERRY,
                    record.rec_headers.get_header("WARC-Date"),
                    record.rec_headers.get_header("WARC-Payload-Digest"),
                    str(source).removesuffix(".open"),
                    records.get_record_offset(),
                    records.get_record_length(),
                )
    late = version_of(Article("Ferry, late", ("Late.",)), LATER + timedelta(1))
    look_again = replace(late, capture=revisit)
    built.store.save(ArticleUrls(FERRY), look_again, LATER + timedelta(1))

    write_wacz(built.store, built.folder, tmp_path / "r.wacz", since="2030-01-01T12:00:00Z")

    with zipfile.ZipFile(tmp_path / "r.wacz") as package:
        (member,) = [n for n in package.namelist() if n.startswith("archive/")]
        kinds = [(kind, h.get("WARC-Record-ID")) for kind, h in warc_records(package.read(member))]
    assert [k for k, _ in kinds] == ["warcinfo", "response", "request", "revisit", "request"]
    assert kinds[1][1] == built.refs[(FERRY, 2)].record_id and kinds[3][1] == revisit.record_id
    assert validate(tmp_path / "r.wacz")[0] == 0


def test_the_same_archive_gives_the_same_bytes_but_for_the_date(
    built: Built, tmp_path: Path
) -> None:
    for name, feed in (("all", None), ("harbour", "harbour")):
        a, b, c = (tmp_path / f"{name}-{n}.wacz" for n in "abc")
        write_wacz(built.store, built.folder, a, feed=feed, now=T0)
        write_wacz(built.store, built.folder, b, feed=feed, now=T0)
        write_wacz(built.store, built.folder, c, feed=feed, now=LATER)
        assert a.read_bytes() == b.read_bytes()
        with zipfile.ZipFile(a) as one, zipfile.ZipFile(c) as other:
            differ = [n for n in one.namelist() if one.read(n) != other.read(n)]
            assert one.namelist() == other.namelist()
            assert differ == ["datapackage.json", "datapackage-digest.json"]
            assert json.loads(one.read("datapackage.json"))["created"] == "2024-05-01T09:00:00Z"


def test_nothing_selected_is_an_empty_package_and_no_files_an_error(
    built: Built, tmp_path: Path
) -> None:
    packaged = write_wacz(built.store, built.folder, tmp_path / "e.wacz", since="2999-01-01")
    with pytest.raises(NotFound):
        write_wacz(built.store, tmp_path / "nowhere", tmp_path / "n.wacz")

    assert (packaged.versions, packaged.records) == (0, 1)
    with zipfile.ZipFile(tmp_path / "e.wacz") as package:
        assert len(pages(package)) == 1
    assert not (tmp_path / "n.wacz").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
