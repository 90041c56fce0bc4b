"""Field accuracy: title, authors, publishing date (and, for fundus-dev, the body) of each
page as the archive stores it, against hand-checked ground truth and against trafilatura.

Our reading is exactly what the archive stores for a page that came with no feed entry,
``compose(extract_page(html, url), None, None)``; the reference is trafilatura's
``bare_extraction(html, url=url, with_metadata=True)`` on the same bytes in the same run.
The metric is the one of ../shared/corpora/README.md ("Field accuracy (fundus-dev)"):

- title: equal after NFC and whitespace collapsing;
- authors: equal as sets of case-folded names; a one-line author (ours, a byline) is split
  on commas, " and " and "&", trafilatura's line and the ground truth's lines also on ";";
- published: the same instant within 60 s, the same day where either side has only a
  date; a date that does not parse counts as wrong;
- body (fundus-dev only): the shingle metric of bench/eval_extraction.py, its F1 over
  the corpus, against the summary, section headlines and paragraphs joined by newlines.

Each share is over the pages whose ground truth has that field. Corpora: fundus-dev
(title, authors, publishing_date, body), readability-test-pages (title, byline,
publishedTime of expected-metadata.json), trafilatura-eval-subset (title, author, date
where the annotation gives them).

``make eval`` runs this after the body evaluation (``bench.eval_extraction`` calls
``run_fields``); ``python -m bench.eval_fields`` runs it alone. Floors for our shares are
the ``"fields"`` entry of bench/eval_floors.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import trafilatura
from trafilatura.settings import Document

from bench.eval_extraction import (
    FLOORS,
    PROJECT,
    READABILITY,
    TRAFILATURA,
    corpora_root,
    load_floors,
    round_down,
    score_document,
    tokens,
)
from bench.field_corpora import (
    FIELD_LOADERS,
    FUNDUS,
    FieldPage,
    Truth,
    count_fundus_pages,
)
from bench.field_metric import (
    body_f1,
    byline_names,
    date_form,
    dates_match,
    listed_names,
    our_names,
    page_f1,
    titles_match,
    trafilatura_names,
)
from ingester.errors import ExtractError
from ingester.extract import extract_page
from ingester.render import compose

FIELD_CORPORA = (FUNDUS, READABILITY, TRAFILATURA)
FLOORS_KEY = "fields"
FIELDS = ("title", "authors", "published")
BODY = "body_f1"
WORST = 8
CLIP = 80


# -- reading pages -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reading:
    """One extractor's fields for one page; ``error`` when it gave nothing."""

    title: str | None = None
    author: str | None = None
    published: str | None = None
    body: str = ""
    error: str | None = None


def read_ours(markup: bytes, url: str) -> Reading:
    try:
        article = compose(extract_page(markup, url), None, None)
    except ExtractError as e:
        return Reading(error=e.message)
    return Reading(article.title, article.author, article.published, "\n".join(article.body))


def read_trafilatura(markup: bytes, url: str) -> Reading:
    try:
        doc = trafilatura.bare_extraction(markup, url=url, with_metadata=True)
    except Exception as e:  # the reference failing on a page is a figure, not a crash
        return Reading(error=f"{type(e).__name__}: {e}")
    if not isinstance(doc, Document):  # None when it finds nothing to extract
        return Reading(error="no extraction")
    return Reading(doc.title, doc.author, doc.date, doc.text or "")


def read_both(page: FieldPage) -> tuple[Reading, Reading]:
    return read_ours(page.html, page.url), read_trafilatura(page.html, page.url)


# -- scoring -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageFields:
    """One page: what it should give, both readings, and which fields each got right
    (None where the ground truth lacks the field)."""

    id: str
    url: str
    truth: Truth
    ours: Reading
    theirs: Reading
    right: dict[str, bool | None]
    theirs_right: dict[str, bool | None]
    body_f1: float | None
    theirs_body_f1: float | None


def expected_names(truth: Truth) -> frozenset[str]:
    if truth.byline:
        return byline_names(truth.authors[0] if truth.authors else None)
    return listed_names(truth.authors or ())


def field_checks(
    truth: Truth, reading: Reading, split: Callable[[str | None], frozenset[str]]
) -> dict[str, bool | None]:
    """Which fields the reading got right; None for a field the truth does not give.
    ``split`` reads the extractor's author line into names."""
    checks: dict[str, bool | None] = dict.fromkeys(FIELDS)
    if truth.title is not None:
        checks["title"] = titles_match(truth.title, reading.title)
    if truth.authors is not None:
        checks["authors"] = expected_names(truth) == split(reading.author)
    if truth.published is not None:
        checks["published"] = dates_match(truth.published, reading.published)
    return checks


def score_page(page: FieldPage, ours: Reading, theirs: Reading) -> PageFields:
    truth = page.truth
    body = truth.body
    return PageFields(
        page.id,
        page.url,
        truth,
        ours,
        theirs,
        field_checks(truth, ours, our_names),
        field_checks(truth, theirs, trafilatura_names),
        None if body is None else page_f1(score_document(body, ours.body)),
        None if body is None else page_f1(score_document(body, theirs.body)),
    )


@dataclass(frozen=True, slots=True)
class Share:
    ours: float
    theirs: float
    pages: int


@dataclass(frozen=True, slots=True)
class FieldCorpusResult:
    name: str
    pages: tuple[PageFields, ...]
    unmatched: int  # pages left out: no ground truth could be paired with them
    shares: dict[str, Share]  # FIELDS, and BODY for a corpus with bodies
    date_forms: dict[str, int]  # how our published strings read (see date_form)


def _share(pages: Sequence[PageFields], field: str) -> Share:
    counted = [p for p in pages if p.right[field] is not None]
    ours = sum(1 for p in counted if p.right[field])
    theirs = sum(1 for p in counted if p.theirs_right[field])
    n = len(counted)
    return Share(ours / n if n else 0.0, theirs / n if n else 0.0, n)


def _body_share(pages: Sequence[PageFields]) -> Share | None:
    with_body = [p for p in pages if p.truth.body is not None]
    if not with_body:
        return None
    ours = body_f1([(p.truth.body or "", p.ours.body) for p in with_body])
    theirs = body_f1([(p.truth.body or "", p.theirs.body) for p in with_body])
    return Share(ours, theirs, len(with_body))


def summarise(name: str, pages: Sequence[PageFields], unmatched: int = 0) -> FieldCorpusResult:
    shares = {f: share for f in FIELDS if (share := _share(pages, f)).pages}
    body = _body_share(pages)
    if body is not None:
        shares[BODY] = body
    forms = {form: 0 for form in ("iso", "other", "unparseable", "missing")}
    for page in pages:
        forms[date_form(page.ours.published)] += 1
    return FieldCorpusResult(name, tuple(pages), unmatched, shares, forms)


def read_pages(pages: Sequence[FieldPage], jobs: int) -> list[tuple[Reading, Reading]]:
    """Both readings of every page, in page order; ``jobs`` processes when above one."""
    if jobs <= 1 or len(pages) < 2:
        return [read_both(page) for page in pages]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(read_both, pages, chunksize=4))


def evaluate_fields(
    name: str, root: Path, limit: int | None = None, jobs: int = 1
) -> FieldCorpusResult:
    """Read and score one corpus's pages (the first ``limit`` if given)."""
    folder = root / name
    pages = list(islice(FIELD_LOADERS[name](folder), limit))
    unmatched = count_fundus_pages(folder) - len(pages) if name == FUNDUS and limit is None else 0
    readings = read_pages(pages, jobs)
    scored = [
        score_page(page, ours, theirs) for page, (ours, theirs) in zip(pages, readings, strict=True)
    ]
    return summarise(name, scored, unmatched)


# -- floors ------------------------------------------------------------------------------


def _field_floors(floors: dict[str, Any], name: str) -> dict[str, Any]:
    corpus: dict[str, Any] = floors.get(FLOORS_KEY, {}).get(name, {})
    return corpus


def check_field_floors(
    floors: dict[str, Any], results: Sequence[FieldCorpusResult]
) -> tuple[list[str], list[str]]:
    """(floors checked, one line per breach), as eval_extraction's check_floors."""
    checked: list[str] = []
    breaches: list[str] = []
    for result in results:
        for field, floor in _field_floors(floors, result.name).items():
            share = result.shares.get(field)
            if share is None:
                continue
            checked.append(f"{result.name} {field} >= {floor}")
            if share.ours < floor:
                breaches.append(
                    f"{result.name} {field}: {share.ours:.4f} is below its floor {floor}"
                )
    return checked, breaches


def raised_field_floors(
    floors: dict[str, Any], results: Sequence[FieldCorpusResult]
) -> dict[str, Any]:
    """``floors`` with our shares' floors lifted to this run's figures, rounded down;
    never lowered; everything else, and corpora not run, left as they were."""
    if not results:
        return dict(floors)
    fields = {name: dict(corpus) for name, corpus in floors.get(FLOORS_KEY, {}).items()}
    for result in results:
        corpus = fields.setdefault(result.name, {})
        for field, share in result.shares.items():
            corpus[field] = max(float(corpus.get(field, 0.0)), round_down(share.ours))
    return {**floors, FLOORS_KEY: fields}


# -- report ------------------------------------------------------------------------------

_LABELS = {"title": "title", "authors": "authors", "published": "published", BODY: "body F1"}


def clip(value: str | None, width: int = CLIP) -> str:
    """A value for one terminal line: quoted so stray whitespace shows, cut to ``width``."""
    if value is None:
        return "(none)"
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def table(result: FieldCorpusResult) -> list[str]:
    lines = [f"  {'field':<12}{'ours':>8}{'trafilatura':>13}{'pages':>7}"]
    for field, share in result.shares.items():
        lines.append(
            f"  {_LABELS[field]:<12}{share.ours:>8.3f}{share.theirs:>13.3f}{share.pages:>7}"
        )
    forms = result.date_forms
    lines.append(
        f"  our published dates on its {len(result.pages)} pages: {forms['iso']} ISO 8601, "
        f"{forms['other']} other forms parsed, {forms['unparseable']} unparseable, "
        f"{forms['missing']} missing"
    )
    return lines


def _shown(field: str, reading: Reading) -> str:
    if field == "published":
        value = reading.published
        form = date_form(value)
        return clip(value) + ("  (unparseable)" if form == "unparseable" else "")
    if field == "authors":
        return clip(reading.author)
    return clip(reading.title)


def _expected(field: str, truth: Truth) -> str:
    if field == "authors":
        return clip("; ".join(truth.authors or ()))
    return clip(truth.title if field == "title" else truth.published)


def worst_for_field(result: FieldCorpusResult, field: str, worst: int) -> list[str]:
    """Our wrong pages, those trafilatura gets right first: the gaps a fix can close."""
    wrong = [p for p in result.pages if p.right[field] is False]
    if not wrong:
        return []
    wrong.sort(key=lambda p: (not p.theirs_right[field], p.id))
    counted = result.shares[field].pages
    lines = [f"  {field}: {len(wrong)} of {counted} wrong, {min(worst, len(wrong))} shown"]
    for page in wrong[:worst]:
        mark = "right" if page.theirs_right[field] else "wrong"
        error = f"  [{page.ours.error}]" if page.ours.error else ""
        lines += [
            f"    {page.id}{error}",
            f"      expected     {_expected(field, page.truth)}",
            f"      ours         {_shown(field, page.ours)}",
            f"      trafilatura  {_shown(field, page.theirs)}  ({mark})",
        ]
    return lines


def worst_bodies(result: FieldCorpusResult, worst: int) -> list[str]:
    pages = sorted(
        (p for p in result.pages if p.body_f1 is not None and p.body_f1 < 1.0),
        key=lambda p: (p.body_f1 or 0.0, p.id),
    )[:worst]
    if not pages:
        return []
    width = max(len(p.id) for p in pages)
    lines = [f"  body: the {len(pages)} lowest F1"]
    for p in pages:
        expected = len(tokens(p.truth.body or ""))
        given = len(tokens(p.ours.body))
        lines.append(
            f"    {p.id:<{width}}  F1 {p.body_f1:.3f} (trafilatura {p.theirs_body_f1 or 0.0:.3f})"
            f"  {expected} tokens expected, {given} given"
        )
    return lines


def field_report(results: Sequence[FieldCorpusResult], worst: int) -> list[str]:
    lines: list[str] = []
    for result in results:
        unmatched = f"; {result.unmatched} pages matched no version" if result.unmatched else ""
        lines += ["", f"fields: {result.name} ({len(result.pages)} pages{unmatched})"]
        lines += table(result)
    for result in results:
        if worst <= 0:
            break
        lines += ["", f"worst fields: {result.name}"]
        for field in FIELDS:
            lines += worst_for_field(result, field, worst)
        if BODY in result.shares:
            lines += worst_bodies(result, worst)
    return lines


def _page_json(page: PageFields) -> dict[str, Any]:
    # The bodies would make the file megabytes; their F1 is kept.
    data = asdict(page)
    for part in ("truth", "ours", "theirs"):
        data[part]["body"] = None
    return data


def fields_as_json(results: Sequence[FieldCorpusResult]) -> dict[str, Any]:
    return {
        r.name: {
            "unmatched": r.unmatched,
            "shares": {field: asdict(share) for field, share in r.shares.items()},
            "our_date_forms": r.date_forms,
            "pages": [_page_json(p) for p in r.pages],
        }
        for r in results
    }


# -- running -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldRun:
    results: tuple[FieldCorpusResult, ...]
    seconds: float
    jobs: int


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def run_fields(
    root: Path, names: Sequence[str] = FIELD_CORPORA, jobs: int | None = None
) -> FieldRun:
    """Evaluate the named corpora present under ``root``, saying which are absent."""
    jobs = default_jobs() if jobs is None else jobs
    start = time.perf_counter()
    results: list[FieldCorpusResult] = []
    for name in names:
        if not (root / name).is_dir():
            print(f"eval: fields of {name} skipped, {root / name} is absent")
            continue
        results.append(evaluate_fields(name, root, None, jobs))
    return FieldRun(tuple(results), time.perf_counter() - start, jobs)


def run_summary(run: FieldRun) -> str:
    pages = sum(len(r.pages) for r in run.results)
    return (
        f"field evaluation: {pages} pages, ours and trafilatura, in {run.seconds:.1f} s "
        f"wall with {run.jobs} process{'es' if run.jobs > 1 else ''}"
    )


def floor_lines(checked: Sequence[str], breaches: Sequence[str]) -> list[str]:
    """The floors checked, one line per corpus (each ``checked`` item starts with its
    corpus's name), then one line per breach."""
    rel = FLOORS.relative_to(PROJECT)
    verdict = f"{len(breaches)} breached" if breaches else "all met"
    lines = [f"field floors checked ({rel}): {len(checked) or 'none'} ({verdict})"]
    by_corpus: dict[str, list[str]] = {}
    for item in checked:
        corpus, _, floor = item.partition(" ")
        by_corpus.setdefault(corpus, []).append(floor)
    lines += [f"  {corpus}: {'; '.join(floors)}" for corpus, floors in by_corpus.items()]
    return lines + [f"FLOOR BREACHED {breach}" for breach in breaches]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval_fields", description=__doc__)
    parser.add_argument("--corpus", choices=FIELD_CORPORA, action="append", help="repeatable")
    parser.add_argument(
        "--worst", type=int, default=WORST, metavar="N", help="worst pages shown per field"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="processes (default: up to 2)"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every figure here")
    parser.add_argument(
        "--raise-floors", action="store_true", help="lift the field floors to this run's figures"
    )
    args = parser.parse_args(argv)

    root = corpora_root()
    if not root.is_dir():
        print(f"eval: fields skipped, no corpora at {root} (set INGESTER_CORPORA to point at them)")
        return 0
    run = run_fields(root, args.corpus or FIELD_CORPORA, args.jobs)
    print("\n".join([*field_report(run.results, args.worst), "", run_summary(run)]))
    floors = load_floors()
    checked, breaches = check_field_floors(floors, run.results)
    print("\n".join(floor_lines(checked, breaches)))
    if args.raise_floors:
        FLOORS.write_text(json.dumps(raised_field_floors(floors, run.results), indent=2) + "\n")
        print(f"field floors raised where this run beat them: {FLOORS.relative_to(PROJECT)}")
    if args.json:
        data = {"fields": fields_as_json(run.results), "seconds": run.seconds}
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
