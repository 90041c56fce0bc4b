"""`make eval`: score body extraction on the shared corpora and time it.

Each corpus is scored with its own metric:

- article-extraction-benchmark-dev: the Scrapinghub shingle metric, exactly as
  ../shared/corpora/README.md spells it out (scrapinghub/article-extraction-benchmark's
  evaluate.py, plus the accuracy it defines);
- readability-test-pages: the same shingle metric against ``expected.html`` turned to
  text, as the corpus README advises for an extractor that is not Readability;
- trafilatura-eval-subset: trafilatura's own snippet metric (tests/eval_common.py):
  "with" snippets must appear, "without" snippets must not, counts summed over the corpus.

Speed is pages per CPU second of the extraction calls alone, in one process, against
plain ``trafilatura.extract(html, fast=True)`` timed on the same pages in the same run:
machines are noisy, so the ratio is the figure to compare across runs.

Then the field evaluation of bench/eval_fields.py (title, authors, publishing date and
body of each page against hand-checked fields, beside trafilatura): on fundus-dev,
readability-test-pages and trafilatura-eval-subset, or on those of them ``--corpus``
names; ``--no-fields`` leaves it out.

The run exits 1 when a figure falls below its floor in ``bench/eval_floors.json``.
Floors only go up: ``--raise-floors`` lifts the F1 floors, and the field floors, to this
run's figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import trafilatura
from lxml import etree, html

from ingester.errors import ExtractError
from ingester.extract import EXTRACTOR, extract_page

if TYPE_CHECKING:
    from bench.eval_fields import FieldRun

PROJECT = Path(__file__).resolve().parent.parent
FLOORS = Path(__file__).resolve().parent / "eval_floors.json"
SPEED_FLOOR_KEY = "speed_pages_per_s"
BENCHMARK = "article-extraction-benchmark-dev"
READABILITY = "readability-test-pages"
TRAFILATURA = "trafilatura-eval-subset"
# Readability's own tests give every page this address.
READABILITY_URL = "http://fakehost/test/page.html"


def corpora_root() -> Path:
    """``$INGESTER_CORPORA``, else ``../shared/corpora`` beside the project."""
    override = os.environ.get("INGESTER_CORPORA")
    return Path(override) if override else PROJECT.parent / "shared" / "corpora"


# -- the shingle metric (corpora README, "The extraction metric") -----------------------

_TOKEN = re.compile(r"\w+")
SHINGLE = 4

Counts = tuple[float, float, float]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def shingles(text: str) -> Counter[tuple[str, ...]]:
    """Token 4-grams as a multiset; fewer than 4 tokens make one shorter shingle."""
    words = tokens(text)
    if len(words) < SHINGLE:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def score_document(truth: str, pred: str) -> Counts:
    """(tp, fp, fn) over shingle counts, divided by their sum so long pages weigh no more."""
    true, predicted = shingles(truth), shingles(pred)
    tp = sum((true & predicted).values())
    fp = sum((predicted - true).values())
    fn = sum((true - predicted).values())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def document_precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def document_recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def f1_score(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


class Scores(NamedTuple):
    precision: float
    recall: float
    f1: float
    accuracy: float


def _mean(values: Sequence[float]) -> float:
    # Upstream's statistics.mean would raise on an empty list; nothing to average scores 0.
    return sum(values) / len(values) if values else 0.0


def aggregate(counts: Sequence[Counts], identical: Sequence[bool]) -> Scores:
    """Mean document precision and recall over the documents where each is defined,
    F1 from those means, accuracy as the share of documents with identical tokens."""
    precision = _mean([document_precision(*c) for c in counts if c[0] + c[1] > 0])
    recall = _mean([document_recall(*c) for c in counts if c[0] + c[2] > 0])
    accuracy = sum(identical) / len(identical) if identical else 0.0
    return Scores(precision, recall, f1_score(precision, recall), accuracy)


# -- trafilatura's snippet metric (tests/eval_common.py) ------------------------------

SnippetCounts = tuple[int, int, int, int]


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def count_snippets(with_: Sequence[str], without: Sequence[str], text: str | None) -> SnippetCounts:
    """(tp, fp, fn, tn): a found "with" snippet is a tp, a found "without" one a fp.
    No output (``None``) misses every "with" snippet and holds no "without" one."""
    found = normalise_space(text) if text is not None else None
    tp = sum(1 for s in with_ if found is not None and normalise_space(s) in found)
    fp = sum(1 for s in without if found is not None and normalise_space(s) in found)
    return tp, fp, len(with_) - tp, len(without) - fp


def snippet_scores(counts: Sequence[SnippetCounts]) -> Scores:
    """Micro-averaged over the corpus; each score is 0 when its denominator is empty."""
    tp, fp, fn, tn = (sum(c[i] for c in counts) for i in range(4))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    total = tp + fp + fn + tn
    return Scores(precision, recall, f1, (tp + tn) / total if total else 0.0)


# -- expected HTML -> text -------------------------------------------------------------

_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "body", "dd", "details", "div"),
        *("dl", "dt", "figcaption", "figure", "footer", "form", "header", "hr", "li"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "main", "nav", "ol", "p", "pre", "section"),
        *("summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"),
    }
)
_INVISIBLE = frozenset({"script", "style", "template", "noscript"})


def html_to_text(markup: bytes | str) -> str:
    """One line per block element (and per ``<br>``), whitespace collapsed."""
    if isinstance(markup, str):
        markup = markup.encode("utf-8")
    if not markup.strip():
        return ""
    root = html.document_fromstring(markup, parser=html.HTMLParser(encoding="utf-8"))
    parts: list[str] = []
    hidden = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _INVISIBLE:
                hidden += 1
            if tag in _BLOCKS or tag == "br":
                parts.append("\n")
            if tag and not hidden and element.text:
                parts.append(element.text)
        else:
            if tag in _INVISIBLE:
                hidden -= 1
            if tag in _BLOCKS:
                parts.append("\n")
            if element is not root and not hidden and element.tail:
                parts.append(element.tail)
    lines = (normalise_space(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


# -- corpora ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snippets:
    with_: tuple[str, ...]
    without: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """One page to extract and what it should give. ``html`` is what the corpus's own
    harness hands its extractor: text where the corpus says UTF-8, bytes otherwise."""

    id: str
    html: bytes | str
    url: str
    truth: str | Snippets


def load_benchmark(folder: Path) -> Iterator[Page]:
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(truth):
        with gzip.open(folder / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as f:
            markup = f.read()
        item = truth[page_id]
        yield Page(page_id, markup, item.get("url") or "", item.get("articleBody") or "")


def load_readability(folder: Path) -> Iterator[Page]:
    for page in sorted(p for p in folder.iterdir() if (p / "source.html").is_file()):
        source = (page / "source.html").read_text(encoding="utf-8")
        expected = html_to_text((page / "expected.html").read_bytes())
        yield Page(page.name, source, READABILITY_URL, expected)


def load_trafilatura(folder: Path) -> Iterator[Page]:
    annotations = json.loads((folder / "evaldata-cache-subset.json").read_text(encoding="utf-8"))
    for url, item in sorted(annotations.items(), key=lambda kv: str(kv[1]["file"])):
        markup = (folder / "cache" / item["file"]).read_bytes()
        snippets = Snippets(tuple(item["with"]), tuple(item["without"]))
        yield Page(str(item["file"]), markup, url, snippets)


LOADERS: dict[str, Callable[[Path], Iterator[Page]]] = {
    BENCHMARK: load_benchmark,
    READABILITY: load_readability,
    TRAFILATURA: load_trafilatura,
}


# -- running -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageResult:
    id: str
    url: str
    precision: float | None  # None where the metric leaves it undefined
    recall: float | None
    f1: float
    misses: int  # snippet corpora: "with" missing plus "without" found
    note: str  # what went wrong, in a few words
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CorpusResult:
    name: str
    metric: str
    pages: int
    scores: Scores
    errors: int
    worst: tuple[PageResult, ...]  # every page, worst first


def extract_text(page: Page) -> tuple[str | None, str | None]:
    """The body as text, one line per block; (None, reason) when extraction refused."""
    try:
        return "\n".join(extract_page(page.html, page.url).body), None
    except ExtractError as e:
        return None, e.message


def _shingle_page(page: Page, pred: str | None, error: str | None) -> tuple[Counts, PageResult]:
    assert isinstance(page.truth, str)
    counts = score_document(page.truth, pred or "")
    tp, fp, fn = counts
    precision = document_precision(*counts) if tp + fp > 0 else None
    recall = document_recall(*counts) if tp + fn > 0 else None
    f1 = f1_score(precision or 0.0, recall or 0.0)
    if tp + fp + fn == 0:  # nothing expected and nothing given
        f1 = 1.0
    note = f"{len(tokens(page.truth))} tokens expected, {len(tokens(pred or ''))} given"
    return counts, PageResult(page.id, page.url, precision, recall, f1, 0, note, error)


def _snippet_page(
    page: Page, pred: str | None, error: str | None
) -> tuple[SnippetCounts, PageResult]:
    assert isinstance(page.truth, Snippets)
    counts = count_snippets(page.truth.with_, page.truth.without, pred)
    tp, fp, fn, _ = counts
    text = normalise_space(pred or "")
    missing = [s for s in page.truth.with_ if normalise_space(s) not in text]
    extra = [s for s in page.truth.without if normalise_space(s) in text]
    note = "; ".join(
        [f"missing {_clip(s)!r}" for s in missing] + [f"extra {_clip(s)!r}" for s in extra]
    )
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    result = PageResult(
        page.id, page.url, _ratio(tp, tp + fp), _ratio(tp, tp + fn), f1, fp + fn, note, error
    )
    return counts, result


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _clip(text: str, width: int = 40) -> str:
    text = normalise_space(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def evaluate_corpus(name: str, root: Path, limit: int | None = None) -> CorpusResult:
    """Extract every page of one corpus (the first ``limit`` pages if given) and score it."""
    shingle_counts: list[Counts] = []
    identical: list[bool] = []
    snippet_counts: list[SnippetCounts] = []
    results: list[PageResult] = []
    for index, page in enumerate(LOADERS[name](root / name)):
        if limit is not None and index >= limit:
            break
        pred, error = extract_text(page)
        if isinstance(page.truth, Snippets):
            counts, result = _snippet_page(page, pred, error)
            snippet_counts.append(counts)
        else:
            shingle_count, result = _shingle_page(page, pred, error)
            shingle_counts.append(shingle_count)
            identical.append(tokens(page.truth) == tokens(pred or ""))
        results.append(result)
    if snippet_counts:
        metric, scores = "snippets", snippet_scores(snippet_counts)
    else:
        metric, scores = "shingles", aggregate(shingle_counts, identical)
    worst = sorted(results, key=lambda r: (-r.misses, r.f1, r.id))
    errors = sum(1 for r in results if r.error is not None)
    return CorpusResult(name, metric, len(results), scores, errors, tuple(worst))


# -- speed -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Speed:
    pages: int
    rounds: int
    ingester_pages_per_s: float
    baseline_pages_per_s: float
    ingester_wall_pages_per_s: float
    baseline_wall_pages_per_s: float

    @property
    def ratio(self) -> float:
        return self.ingester_pages_per_s / self.baseline_pages_per_s


def _ingester(page: Page) -> object:
    try:
        return extract_page(page.html, page.url)
    except ExtractError:
        return None


def _baseline(page: Page) -> object:
    return trafilatura.extract(page.html, fast=True)


def _time(run: Callable[[Page], object], pages: Sequence[Page]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of the extraction calls alone."""
    cpu = wall = 0.0
    for page in pages:
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        run(page)
        cpu += time.process_time() - cpu_start
        wall += time.perf_counter() - wall_start
    return cpu, wall


def measure_speed(pages: Sequence[Page], rounds: int = 3) -> Speed:
    """Best of ``rounds`` alternating passes after one warm-up call each, in this process."""
    _ingester(pages[0])
    _baseline(pages[0])
    ours: list[tuple[float, float]] = []
    theirs: list[tuple[float, float]] = []
    for _ in range(rounds):
        ours.append(_time(_ingester, pages))
        theirs.append(_time(_baseline, pages))
    n = len(pages)
    return Speed(
        n,
        rounds,
        n / min(c for c, _ in ours),
        n / min(c for c, _ in theirs),
        n / min(w for _, w in ours),
        n / min(w for _, w in theirs),
    )


# -- floors ----------------------------------------------------------------------------


def round_down(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.001"), rounding=ROUND_DOWN))


def load_floors(path: Path = FLOORS) -> dict[str, Any]:
    if not path.is_file():
        return {}
    floors: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return floors


def check_floors(
    floors: dict[str, Any], results: Sequence[CorpusResult], speed: Speed | None
) -> tuple[list[str], list[str]]:
    """(floors checked, one line per breach)."""
    checked: list[str] = []
    breaches: list[str] = []
    for result in results:
        floor = floors.get(result.name, {}).get("f1")
        if floor is None:
            continue
        checked.append(f"{result.name} F1 >= {floor}")
        if result.scores.f1 < floor:
            breaches.append(f"{result.name}: F1 {result.scores.f1:.4f} is below its floor {floor}")
    speed_floor = floors.get(SPEED_FLOOR_KEY)
    if speed is not None and speed_floor is not None:
        checked.append(f"speed >= {speed_floor} pages/s")
        if speed.ingester_pages_per_s < speed_floor:
            breaches.append(
                f"speed: {speed.ingester_pages_per_s:.1f} pages/s is below its floor "
                f"{speed_floor} pages/s"
            )
    return checked, breaches


def raised_floors(floors: dict[str, Any], results: Sequence[CorpusResult]) -> dict[str, Any]:
    """F1 floors lifted to this run's figures, rounded down; never lowered. The speed floor
    is left alone: it is a requirement, not a measurement."""
    updated = {name: floor for name, floor in floors.items() if name != SPEED_FLOOR_KEY}
    for result in results:
        old = float(floors.get(result.name, {}).get("f1", 0.0))
        updated[result.name] = {"f1": max(old, round_down(result.scores.f1))}
    if SPEED_FLOOR_KEY in floors:
        updated[SPEED_FLOOR_KEY] = floors[SPEED_FLOOR_KEY]
    return updated


# -- report ----------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "   -" if value is None else f"{value:.3f}"


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def report(results: Sequence[CorpusResult], speed: Speed | None, worst: int) -> list[str]:
    lines = [f"{'corpus':<33}{'pages':>6}{'P':>7}{'R':>7}{'F1':>7}{'acc':>7}{'errors':>8}"]
    for r in results:
        p, rec, f1, acc = r.scores
        lines.append(
            f"{r.name:<33}{r.pages:>6}{p:>7.3f}{rec:>7.3f}{f1:>7.3f}{acc:>7.3f}{r.errors:>8}"
        )
    if speed is not None:
        lines += [
            "",
            f"speed on {speed.pages} benchmark pages (one process, CPU s of the extraction "
            f"calls, best of {speed.rounds} after a warm-up):",
            f"  ingester {speed.ingester_pages_per_s:.1f} pages/s, trafilatura fast=True "
            f"{speed.baseline_pages_per_s:.1f} pages/s, ratio {speed.ratio:.2f} "
            f"(wall: {speed.ingester_wall_pages_per_s:.1f} vs "
            f"{speed.baseline_wall_pages_per_s:.1f})",
        ]
    for r in results:
        if not worst:
            break
        lines += ["", f"worst pages: {r.name}"]
        width = max((len(page.id) for page in r.worst[:worst]), default=0)
        for page in r.worst[:worst]:
            if r.metric == "snippets":
                figure = f"misses {page.misses}  {page.note}"
            else:
                figure = (
                    f"F1 {page.f1:.3f}  P {_fmt(page.precision)}  R {_fmt(page.recall)}  "
                    f"{page.note}  {_host(page.url)}"
                )
            error = f"  [{page.error}]" if page.error else ""
            lines.append(f"  {page.id:<{width}}  {figure}{error}")
    return lines


def _as_json(
    results: Sequence[CorpusResult],
    speed: Speed | None,
    checked: Sequence[str],
    breaches: Sequence[str],
) -> dict[str, Any]:
    return {
        "extractor": EXTRACTOR,
        "corpora": {
            r.name: {
                "metric": r.metric,
                "pages": r.pages,
                "errors": r.errors,
                **r.scores._asdict(),
                "pages_worst_first": [asdict(p) for p in r.worst],
            }
            for r in results
        },
        "speed": None if speed is None else {**asdict(speed), "ratio": speed.ratio},
        "floors_checked": list(checked),
        "floor_breaches": list(breaches),
    }


BODY_WORST = 5


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    from bench.eval_fields import FIELD_CORPORA, WORST

    parser = argparse.ArgumentParser(prog="python -m bench.eval_extraction", description=__doc__)
    corpora = sorted({*LOADERS, *FIELD_CORPORA})
    parser.add_argument("--corpus", choices=corpora, action="append", help="repeatable")
    parser.add_argument(
        "--worst",
        type=int,
        default=None,
        metavar="N",
        help=f"worst pages shown (default: {BODY_WORST}, and {WORST} per field)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every figure here")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes for the speed")
    parser.add_argument(
        "--raise-floors", action="store_true", help="lift the F1 floors to this run's figures"
    )
    parser.add_argument("--no-fields", action="store_true", help="the body evaluation alone")
    parser.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="field evaluation processes"
    )
    return parser.parse_args(argv)


def _run_fields(args: argparse.Namespace, root: Path) -> FieldRun | None:
    """The field evaluation of the corpora asked for, printed; None when none was."""
    from bench import eval_fields

    names = [n for n in eval_fields.FIELD_CORPORA if args.corpus is None or n in args.corpus]
    if args.no_fields or not names:
        return None
    run = eval_fields.run_fields(root, names, args.jobs)
    worst = eval_fields.WORST if args.worst is None else args.worst
    print(
        "\n".join([*eval_fields.field_report(run.results, worst), "", eval_fields.run_summary(run)])
    )
    return run


def main(argv: Sequence[str] | None = None) -> int:
    # eval_fields builds on this module's metric and corpora: imported once this one is.
    from bench import eval_fields

    args = _arguments(argv)
    root = corpora_root()
    if not root.is_dir():
        print(f"eval: skipped, no corpora at {root} (set INGESTER_CORPORA to point at them)")
        return 0
    print(f"extractor: {EXTRACTOR}; corpora: {root}")
    results: list[CorpusResult] = []
    for name in [n for n in args.corpus or sorted(LOADERS) if n in LOADERS]:
        if not (root / name).is_dir():
            print(f"eval: {name} skipped, {root / name} is absent")
            continue
        results.append(evaluate_corpus(name, root, None))
    speed = None
    if BENCHMARK in {r.name for r in results} and args.rounds > 0:
        speed = measure_speed(list(load_benchmark(root / BENCHMARK)), args.rounds)

    print("\n".join(report(results, speed, BODY_WORST if args.worst is None else args.worst)))
    fields = _run_fields(args, root)
    field_results = fields.results if fields is not None else ()
    floors = load_floors()
    checked, breaches = check_floors(floors, results, speed)
    print()
    rel = FLOORS.relative_to(PROJECT)
    verdict = f"{len(breaches)} breached" if breaches else "all met"
    print(f"floors checked ({rel}): {'; '.join(checked) if checked else 'none'} ({verdict})")
    for breach in breaches:
        print(f"FLOOR BREACHED {breach}")
    if fields is not None:
        field_checked, field_breaches = eval_fields.check_field_floors(floors, field_results)
        print("\n".join(eval_fields.floor_lines(field_checked, field_breaches)))
        checked, breaches = checked + field_checked, breaches + field_breaches
    if args.raise_floors:
        raised = eval_fields.raised_field_floors(raised_floors(floors, results), field_results)
        FLOORS.write_text(json.dumps(raised, indent=2) + "\n")
        print(f"floors raised where this run beat them: {rel}")
    if args.json:
        data = _as_json(results, speed, checked, breaches)
        if fields is not None:
            data["fields"] = eval_fields.fields_as_json(field_results)
        args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
