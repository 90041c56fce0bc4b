"""The corpora with hand-checked fields, read as ``FieldPage``s: fundus-dev, readability's
test pages and trafilatura's evaluation subset."""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.eval_extraction import (
    READABILITY,
    READABILITY_URL,
    TRAFILATURA,
)
from bench.field_metric import byline_names

FUNDUS = "fundus-dev"


# -- corpora -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Truth:
    """What a page should give; None where the ground truth does not say."""

    title: str | None = None
    authors: tuple[str, ...] | None = None  # a list of names, or (byline,) when one line
    byline: bool = False  # ``authors`` is one line naming several people
    published: str | None = None
    body: str | None = None

    def says_anything(self) -> bool:
        return any(f is not None for f in (self.title, self.authors, self.published, self.body))


@dataclass(frozen=True, slots=True)
class FieldPage:
    id: str
    html: bytes
    url: str
    truth: Truth


def match_version(page_text: str, versions: dict[str, dict[str, Any]]) -> str | None:
    """The version whose title appears in the page, raw or with its HTML entities
    decoded (several pages write ``&amp;`` or ``&#39;`` in their titles); the longest
    title wins where one title holds another."""
    decoded = html.unescape(page_text)
    found = [
        name
        for name, version in versions.items()
        if (title := version.get("title")) and (title in page_text or title in decoded)
    ]
    return max(found, key=lambda name: len(versions[name]["title"]), default=None)


def fundus_body(body: dict[str, Any]) -> str:
    lines = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        lines += section.get("headline") or []
        lines += section.get("paragraphs") or []
    return "\n".join(lines)


def fundus_truth(version: dict[str, Any]) -> Truth:
    authors = version.get("authors")
    body = version.get("body")
    return Truth(
        title=version.get("title") or None,
        authors=tuple(authors) if authors else None,
        published=version.get("publishing_date") or None,
        body=fundus_body(body) if isinstance(body, dict) else None,
    )


def _fundus_pages(folder: Path, publisher: Path) -> Iterator[tuple[Path, bytes]]:
    pattern = re.compile(rf"{re.escape(publisher.stem)}_\d{{4}}_\d{{2}}_\d{{2}}\.html\.gz")
    for path in sorted(folder.glob(f"{publisher.stem}_*.html.gz")):
        if pattern.fullmatch(path.name):
            yield path, gzip.decompress(path.read_bytes())


def load_fundus(folder: Path) -> Iterator[FieldPage]:
    """Every page paired with its version; a page no version's title matches is left out
    (the report counts them)."""
    for country in sorted(p for p in folder.iterdir() if (p / "meta.info").is_file()):
        meta = json.loads((country / "meta.info").read_text(encoding="utf-8"))
        for publisher in sorted(country.glob("*.json")):
            versions = json.loads(publisher.read_text(encoding="utf-8"))
            for path, markup in _fundus_pages(country, publisher):
                name = match_version(markup.decode("utf-8", "replace"), versions)
                if name is None:
                    continue
                page_id = f"{country.name}/{path.name.removesuffix('.html.gz')}"
                url = (meta.get(path.name) or {}).get("url") or ""
                yield FieldPage(page_id, markup, url, fundus_truth(versions[name]))


def count_fundus_pages(folder: Path) -> int:
    return sum(1 for _ in folder.glob("*/*.html.gz"))


def _byline(line: Any) -> tuple[str, ...] | None:
    return (line,) if isinstance(line, str) and byline_names(line) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def load_readability_fields(folder: Path) -> Iterator[FieldPage]:
    for case in sorted(p for p in folder.iterdir() if (p / "source.html").is_file()):
        meta_path = case / "expected-metadata.json"
        if not meta_path.is_file():
            continue
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        truth = Truth(
            title=_text(meta.get("title")),
            authors=_byline(meta.get("byline")),
            byline=True,
            published=_text(meta.get("publishedTime")),
        )
        yield FieldPage(case.name, (case / "source.html").read_bytes(), READABILITY_URL, truth)


def load_trafilatura_fields(folder: Path) -> Iterator[FieldPage]:
    annotations = json.loads((folder / "evaldata-cache-subset.json").read_text(encoding="utf-8"))
    for url, item in sorted(annotations.items(), key=lambda kv: str(kv[1]["file"])):
        truth = Truth(
            title=_text(item.get("title")),
            authors=_byline(item.get("author")),
            byline=True,
            published=_text(item.get("date")),
        )
        if not truth.says_anything():  # most annotations give snippets only
            continue
        markup = (folder / "cache" / item["file"]).read_bytes()
        yield FieldPage(str(item["file"]), markup, url, truth)


FIELD_LOADERS: dict[str, Callable[[Path], Iterator[FieldPage]]] = {
    FUNDUS: load_fundus,
    READABILITY: load_readability_fields,
    TRAFILATURA: load_trafilatura_fields,
}
