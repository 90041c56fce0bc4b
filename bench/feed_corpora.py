"""`make feeds-eval`: our fetch and parse path against two outside feed corpora.

- feedparser-tests (kurtmckee/feedparser's test feeds): every file is served from a
  LocalServer on 127.0.0.1 with its ``Header:`` lines as response headers, fetched with
  ``Fetcher.get_feed`` and read by ``parse.feedparser_result`` (the code path of
  ``parse_feed``: our header handling, ``sanitize_html=False``); its ``Expect:`` line is
  then evaluated against that result. The baseline is ``feedparser.parse(path,
  response_headers=...)`` on the same file, as feedparser's own suite runs it.
- real-feeds: every feed with a feed-rs reading (``*.serde.json``) is served and parsed the
  same way; the feed title and entry titles must equal feed-rs's (whitespace normalised).
  Every feed of the folder, with or without a reading, is checked for mojibake.
- undeclared: every legacy-encoded file of both corpora that declares its encoding, with
  the declaration taken out, must read as declared (the encoding is then detected).

Exits 1 when any real-feeds title differs or shows mojibake, or an undeclared feed reads
otherwise than declared (the two-byte euc-kr cases of feedparser-tests excepted).
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import datetime
import json
import os
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import feedparser

from ingester.config import Settings
from ingester.errors import IngesterError
from ingester.fetch import Fetcher
from ingester.parse import parse_feed
from ingester.parse.feed import feedparser_result
from tests.support.httpserver import LocalServer, Route  # the tests' server: stdlib only

PROJECT = Path(__file__).resolve().parent.parent

FEEDPARSER_TESTS = "feedparser-tests"
REAL_FEEDS = "real-feeds"
# feedparser's JSON Feed support came after 6.0, feed-rs reads JSON Feed: not comparable.
READINGS_EXCLUDED = {"jsonfeed": "JSON Feed: feedparser 6.0 reads only XML feeds"}
# Files of real-feeds that are XML but not feeds (a <note> document): refused, as they
# should be, so there is no title to check.
NOT_FEEDS = frozenset(
    {"xml_sample_1.xml", "xml_sample_2.xml", "xml-iso88591.xml", "xml-iso88591_utf8_mismatch.xml"}
)

Outcome = Literal["pass", "fail", "error", "skip"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "error", "skip")


def corpora_root() -> Path:
    """``$INGESTER_CORPORA``, else ``../shared/corpora`` beside the project."""
    override = os.environ.get("INGESTER_CORPORA")
    return Path(override) if override else PROJECT.parent / "shared" / "corpora"


def harness_settings() -> Settings:
    """Default settings, without the per-host politeness gap (every file is on one host)."""
    return Settings(host_gap=0.0, host_concurrency=16)


# -- feedparser-tests ---------------------------------------------------------------------


@dataclass(frozen=True)
class FeedCase:
    path: Path
    name: str  # relative to the tests folder, e.g. "encoding/u16.xml"
    description: str
    expect: str
    headers: dict[str, str]
    skip_unless: str | None

    @property
    def category(self) -> str:
        """The subfolder below the top one: ``wellformed/atom10/x.xml`` -> ``wellformed/atom10``."""
        return str(Path(self.name).parent)


_DESCRIPTION = re.compile(r"Description:\s*(.*?)\s*Expect:\s*(.*?)\s*-->", re.DOTALL)
_HEADER = re.compile(r"^Header:\s+([^:]+):(.+)$", re.MULTILINE)
_SKIP_UNLESS = re.compile(r"SkipUnless:\s*(.*?)\n")
# The header comment is ASCII in whatever encoding the feed uses (some are UTF-16/32).
_COMMENT_CODECS = ("utf-8", "utf-32", "utf-16", "utf-16-be", "utf-16-le", "latin-1")


def _comment_text(data: bytes) -> str:
    for codec in _COMMENT_CODECS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if "Expect:" in text:
            return text
    return data.decode("latin-1")


def read_case(path: Path, root: Path) -> FeedCase | None:
    """A test file's header comment; None when it has no ``Expect:`` line."""
    text = _comment_text(path.read_bytes())
    found = _DESCRIPTION.search(text)
    if not found:
        return None
    skip = _SKIP_UNLESS.search(text)
    return FeedCase(
        path=path,
        name=path.relative_to(root).as_posix(),
        description=found.group(1),
        expect=found.group(2),
        headers={k.strip(): v.strip() for k, v in _HEADER.findall(text)},
        skip_unless=skip.group(1).strip() if skip else None,
    )


def load_cases(folder: Path) -> list[FeedCase]:
    root = folder / "tests"
    cases = (read_case(p, root) for p in sorted(root.rglob("*")) if p.is_file())
    return [c for c in cases if c is not None]


# What feedparser's test module has at hand when it evaluates the lines.
_EVAL_GLOBALS: dict[str, Any] = {
    "feedparser": feedparser,
    "time": time,
    "datetime": datetime,
    "codecs": codecs,
    "sys": sys,
}


def _skipped(case: FeedCase) -> bool:
    if not case.skip_unless:
        return False
    try:
        return not eval(case.skip_unless, dict(_EVAL_GLOBALS))
    except (ImportError, LookupError, NotImplementedError, AttributeError):
        return True


def evaluate(expect: str, result: Any) -> Outcome:
    """``pass`` when the line holds for ``result``, ``error`` when it cannot be evaluated."""
    try:
        with warnings.catch_warnings():
            # Expectations read deprecated keys (``updated`` falling back to ``published``,
            # ``has_key``): feedparser warns, which is its business, not a failure.
            warnings.simplefilter("ignore")
            return "pass" if eval(expect, dict(_EVAL_GLOBALS), result) else "fail"
    except Exception:
        return "error"


def baseline(case: FeedCase, sanitize_html: bool = True) -> Outcome:
    """feedparser by itself, reading the file, the way its own suite does (and, with
    ``sanitize_html=False``, without its sanitiser, as our path reads feeds)."""
    if _skipped(case):
        return "skip"
    headers = {k.lower(): v for k, v in case.headers.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = feedparser.parse(
            str(case.path), response_headers=headers, sanitize_html=sanitize_html
        )
    return evaluate(case.expect, result)


@dataclass
class Tally:
    counts: Counter[Outcome] = field(default_factory=Counter)
    by_case: dict[str, Outcome] = field(default_factory=dict)

    def add(self, case: FeedCase, outcome: Outcome) -> None:
        self.counts[outcome] += 1
        self.by_case[case.name] = outcome

    @property
    def rate(self) -> float:
        run = sum(self.counts[o] for o in ("pass", "fail", "error"))
        return self.counts["pass"] / run if run else 0.0


@dataclass
class FeedparserTestsResult:
    cases: list[FeedCase]
    ours: Tally
    theirs: Tally
    unsanitised: Tally  # feedparser by itself with sanitize_html=False

    def base_uri_only(self, case: FeedCase) -> bool:
        """Feedparser fails the case too once it knows the feed's URL, as our path always
        does: it resolves Atom ids, RSS guids and hrefs against it, and its own suite reads
        files that have none."""
        headers = {k.lower(): v for k, v in case.headers.items()}
        headers["content-location"] = f"http://127.0.0.1/tests/{case.name}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = feedparser.parse(str(case.path), response_headers=headers, sanitize_html=False)
        return evaluate(case.expect, result) != "pass"

    def unexplained(self) -> list[FeedCase]:
        return [
            c
            for c in self.regressions()
            if not self.sanitiser_only(c) and not self.base_uri_only(c)
        ]

    def sanitiser_only(self, case: FeedCase) -> bool:
        """Feedparser passes the case only with its sanitiser on: our path reads feeds
        with it off, so the case says nothing about our fetch and header handling."""
        return self.unsanitised.by_case[case.name] != "pass"

    def regressions(self) -> list[FeedCase]:
        """Cases feedparser passes by itself and our path does not."""
        return [
            c
            for c in self.cases
            if self.theirs.by_case[c.name] == "pass" and self.ours.by_case[c.name] != "pass"
        ]

    def gains(self) -> list[FeedCase]:
        return [
            c
            for c in self.cases
            if self.ours.by_case[c.name] == "pass" and self.theirs.by_case[c.name] != "pass"
        ]


def served(case: FeedCase) -> dict[str, str]:
    """The response headers for a case: its ``Header:`` lines, and the Content-Type that
    feedparser's own test server guesses from the ``.xml`` suffix where they set none (a
    server that sends none makes every case bozo, and many expect ``not bozo``)."""
    if any(name.lower() == "content-type" for name in case.headers):
        return dict(case.headers)
    return {"Content-Type": "application/xml", **case.headers}


async def _ours(cases: Sequence[FeedCase], server: LocalServer) -> list[Outcome]:
    async with Fetcher(harness_settings()) as fetcher:
        semaphore = asyncio.Semaphore(16)

        async def one(case: FeedCase) -> Outcome:
            if _skipped(case):
                return "skip"
            url = server.url(f"/tests/{case.name}")
            async with semaphore:
                try:
                    fetched = await fetcher.get_feed(url)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        result = feedparser_result(
                            fetched.content, fetched.headers, fetched.final_url
                        )
                except IngesterError:
                    return "error"
            return evaluate(case.expect, result)

        return list(await asyncio.gather(*(one(c) for c in cases)))


def run_feedparser_tests(folder: Path) -> FeedparserTestsResult:
    cases = load_cases(folder)
    ours, theirs, unsanitised = Tally(), Tally(), Tally()
    with LocalServer() as server:
        for case in cases:
            server.set(f"/tests/{case.name}", Route(case.path.read_bytes(), headers=served(case)))
        outcomes = asyncio.run(_ours(cases, server))
    for case, outcome in zip(cases, outcomes, strict=True):
        ours.add(case, outcome)
        theirs.add(case, baseline(case))
        unsanitised.add(case, baseline(case, sanitize_html=False))
    return FeedparserTestsResult(cases, ours, theirs, unsanitised)


# -- real-feeds ------------------------------------------------------------------------------


def normalise_space(text: str | None) -> str | None:
    return re.sub(r"\s+", " ", text).strip() or None if text else None


def mojibake(text: str) -> bool:
    """U+FFFD, C1 controls, or text that is UTF-8 read as windows-1252 or Latin-1."""
    if "\ufffd" in text or re.search("[\x80-\x9f]", text):
        return True
    if text.isascii():
        return False
    for codec in ("cp1252", "latin-1"):
        try:
            repaired = text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if repaired != text:
            return True
    return False


@dataclass(frozen=True)
class RealFeed:
    path: Path
    name: str
    reading: Path | None  # feed-rs's *.serde.json, where there is one


def load_real_feeds(folder: Path) -> list[RealFeed]:
    feeds = []
    for path in sorted(folder.rglob("*.xml")):
        reading = path.with_name(path.name.removesuffix(".xml") + ".serde.json")
        feeds.append(
            RealFeed(
                path, path.relative_to(folder).as_posix(), reading if reading.exists() else None
            )
        )
    return feeds


def excluded_readings(folder: Path) -> dict[str, str]:
    """Readings without a feed we can parse, and why."""
    return {
        p.relative_to(folder).as_posix(): READINGS_EXCLUDED[p.parent.name]
        for p in sorted(folder.rglob("*.serde.json"))
        if p.parent.name in READINGS_EXCLUDED
    }


def reading_titles(reading: Path) -> tuple[str | None, list[str | None]]:
    data = json.loads(reading.read_text(encoding="utf-8"))

    def text(node: Mapping[str, Any] | None) -> str | None:
        return normalise_space(node.get("content")) if node else None

    return text(data.get("title")), [text(e.get("title")) for e in data.get("entries", ())]


@dataclass
class RealFeedsResult:
    feeds: int = 0
    with_reading: int = 0
    titles_compared: int = 0
    mismatches: list[str] = field(default_factory=list)
    mojibake: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    not_feeds: list[str] = field(default_factory=list)


def check_feed(feed: RealFeed, content: bytes, headers: Mapping[str, str], url: str) -> list[str]:
    """Problems with one feed as our parse path reads it (titles vs feed-rs, mojibake)."""
    parsed = parse_feed(content, headers, url)
    ours = [normalise_space(parsed.title), *(normalise_space(e.title) for e in parsed.entries)]
    problems = [
        f"{feed.name}: mojibake in {title!r}" for title in ours if title and mojibake(title)
    ]
    if feed.reading is not None:
        feed_title, entry_titles = reading_titles(feed.reading)
        theirs = [feed_title, *entry_titles]
        if len(ours) != len(theirs):
            problems.append(f"{feed.name}: {len(ours) - 1} entries, feed-rs {len(theirs) - 1}")
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=False)):
            if mine != other:
                where = "feed title" if index == 0 else f"entry {index - 1} title"
                problems.append(f"{feed.name}: {where} {mine!r} != feed-rs {other!r}")
    return problems


async def _fetch_all(feeds: Sequence[RealFeed], server: LocalServer) -> list[tuple[bytes, Any]]:
    async with Fetcher(harness_settings()) as fetcher:
        results = await asyncio.gather(*(fetcher.get_feed(server.url(f"/{f.name}")) for f in feeds))
    return [(r.content, r) for r in results]


def run_real_feeds(folder: Path, content_type: str | None = None) -> RealFeedsResult:
    """Serve every feed (with ``content_type``, or none: the corpus files come from disk
    and imply none) and check it."""
    feeds = load_real_feeds(folder)
    outcome = RealFeedsResult()
    headers = {"Content-Type": content_type} if content_type else {}
    with LocalServer() as server:
        for feed in feeds:
            server.set(f"/{feed.name}", Route(body=feed.path.read_bytes(), headers=headers))
        fetched = asyncio.run(_fetch_all(feeds, server))
    for feed, (content, result) in zip(feeds, fetched, strict=True):
        if feed.path.name in NOT_FEEDS:
            outcome.not_feeds.append(feed.name)
            continue
        outcome.feeds += 1
        try:
            problems = check_feed(feed, content, result.headers, result.final_url)
        except IngesterError as e:
            outcome.errors.append(f"{feed.name}: {e}")
            continue
        if feed.reading is not None:
            outcome.with_reading += 1
            outcome.titles_compared += 1 + len(reading_titles(feed.reading)[1])
        outcome.mojibake += [p for p in problems if "mojibake" in p]
        outcome.mismatches += [p for p in problems if "mojibake" not in p]
    return outcome


# -- undeclared encodings ---------------------------------------------------------------------

# The copy of feedparser's suite in the corpora has no chardet cases (its
# tests/illformed/chardet/ folder): these stand in. Every file of both corpora that is in a
# legacy encoding (not ASCII, not UTF-8, no BOM) and declares it is served with its
# declaration taken out and no Content-Type, so that only detection can read it; its
# titles must equal those of the declared file, read the same way.
_DECLARATION = re.compile(rb"""(<\?xml[^>]*?)\s+encoding\s*=\s*["'][A-Za-z0-9._:-]+["']""")
# feedparser-tests' euc-kr cases write one two-byte character ("\ub144"): two bytes
# cannot tell EUC-KR from windows-1252, which reads them as cleanly.
TOO_SHORT_TO_DETECT = frozenset({"euc-kr.xml", "euc-kr-attribute.xml", "euc-kr-item.xml"})


@dataclass
class UndeclaredResult:
    feeds: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    mojibake: list[str] = field(default_factory=list)
    too_short: list[str] = field(default_factory=list)


def _legacy_declared(data: bytes) -> bool:
    declared = _DECLARATION.match(data)
    if data.isascii() or not declared or b"utf" in declared.group(0).lower():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _titles(data: bytes, headers: Mapping[str, str]) -> list[str | None]:
    parsed = parse_feed(data, headers, "http://127.0.0.1/feed.xml")
    return [normalise_space(parsed.title), *(normalise_space(e.title) for e in parsed.entries)]


def run_undeclared(root: Path) -> UndeclaredResult:
    outcome = UndeclaredResult()
    paths = [*sorted((root / REAL_FEEDS).rglob("*.xml"))]
    paths += sorted((root / FEEDPARSER_TESTS / "tests").rglob("*.xml"))
    for path in paths:
        data = path.read_bytes()
        if path.name in NOT_FEEDS or not _legacy_declared(data):
            continue
        name = path.relative_to(root).as_posix()
        try:
            declared = _titles(data, {})
            detected = _titles(_DECLARATION.sub(rb"\1", data, count=1), {})
        except IngesterError as e:
            outcome.wrong.append(f"{name}: {e}")
            continue
        outcome.feeds.append(name)
        if detected != declared:
            where = outcome.too_short if path.name in TOO_SHORT_TO_DETECT else outcome.wrong
            where.append(f"{name}: {detected[:2]!r} != declared {declared[:2]!r}")
        outcome.mojibake += [f"{name}: {t!r}" for t in detected if t and mojibake(t)]
    return outcome


def report_undeclared(result: UndeclaredResult) -> list[str]:
    lines = [
        f"undeclared (legacy-encoded feeds, declaration removed): {len(result.feeds)} feeds, "
        f"{len(result.wrong)} read otherwise than declared, {len(result.mojibake)} mojibake, "
        f"{len(result.too_short)} too short to detect"
    ]
    lines += [f"  {p}" for p in [*result.wrong, *result.mojibake]]
    lines += [f"  too short: {p}" for p in result.too_short]
    return lines


# -- report ----------------------------------------------------------------------------------


def report_feedparser_tests(result: FeedparserTestsResult) -> list[str]:
    lines = [f"feedparser-tests: {len(result.cases)} files"]
    lines.append(f"  {'':10}{'ours':>8}{'feedparser':>12}{'unsanitised':>13}")
    tallies = (result.ours, result.theirs, result.unsanitised)
    for outcome in OUTCOMES:
        n1, n2, n3 = (t.counts[outcome] for t in tallies)
        lines.append(f"  {outcome:10}{n1:>8}{n2:>12}{n3:>13}")
    r1, r2, r3 = (f"{t.rate:.1%}" for t in tallies)
    lines.append(f"  {'pass rate':10}{r1:>8}{r2:>12}{r3:>13}")
    lines.append(
        "  (unsanitised: feedparser by itself with sanitize_html=False, as parse/feed.py calls it)"
    )
    regressions = result.regressions()
    sanitiser = [c for c in regressions if result.sanitiser_only(c)]
    base = [c for c in regressions if not result.sanitiser_only(c) and result.base_uri_only(c)]
    other = result.unexplained()
    for label, group in (
        ("its sanitiser's doing (parse/feed.py turns it off)", sanitiser),
        ("the feed's URL as base (feedparser's suite reads files that have none)", base),
        ("unexplained", other),
    ):
        if group:
            lines.append(f"  feedparser passes, ours does not: {label}:")
            counts = Counter(c.category for c in group)
            lines += [f"    {cat:36} {n:4}" for cat, n in sorted(counts.items())]
    gains = Counter(c.category for c in result.gains())
    if gains:
        lines.append("  ours passes, feedparser does not:")
        lines += [f"    {cat:36} {n:4}" for cat, n in sorted(gains.items())]
    return lines


def report_real_feeds(label: str, result: RealFeedsResult) -> list[str]:
    lines = [
        f"real-feeds ({label}): {result.feeds} feeds, {result.with_reading} with a feed-rs "
        f"reading, {result.titles_compared} titles compared, {len(result.mismatches)} "
        f"mismatches, {len(result.mojibake)} mojibake, {len(result.errors)} errors"
    ]
    lines += [f"  {p}" for p in [*result.mismatches, *result.mojibake, *result.errors]]
    return lines


# Content-Types a server might send for the real feeds, each a separate run: none (as the
# corpus implies), the generic XML types without a charset (text/xml means US-ASCII by
# RFC 3023, a trap), and a header that claims UTF-8 for every feed (mislabelled Latin-1).
REAL_FEED_CONTENT_TYPES: tuple[str | None, ...] = (
    None,
    "application/rss+xml",
    "text/xml",
    "application/xml; charset=utf-8",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--list", action="store_true", help="list every regressed case")
    args = parser.parse_args(argv)
    root = corpora_root()
    if not root.is_dir():
        print(f"feeds-eval: skipped, no corpora at {root} (set INGESTER_CORPORA)")
        return 0
    status = 0
    started = time.perf_counter()
    if (root / FEEDPARSER_TESTS).is_dir():
        result = run_feedparser_tests(root / FEEDPARSER_TESTS)
        print("\n".join(report_feedparser_tests(result)))
        if args.list:
            for case in result.regressions():
                if not result.sanitiser_only(case):
                    print(f"    {case.name}: {case.expect}")
        if result.unexplained():
            status = 1
    else:
        print(f"feeds-eval: {FEEDPARSER_TESTS} skipped, {root / FEEDPARSER_TESTS} is absent")
    if (root / REAL_FEEDS).is_dir():
        for name, why in excluded_readings(root / REAL_FEEDS).items():
            print(f"real-feeds: excluded {name}: {why}")
        for content_type in REAL_FEED_CONTENT_TYPES:
            real = run_real_feeds(root / REAL_FEEDS, content_type)
            print("\n".join(report_real_feeds(content_type or "no Content-Type", real)))
            if real.mismatches or real.mojibake or real.errors:
                status = 1
    else:
        print(f"feeds-eval: {REAL_FEEDS} skipped, {root / REAL_FEEDS} is absent")
    if (root / REAL_FEEDS).is_dir() and (root / FEEDPARSER_TESTS).is_dir():
        undeclared = run_undeclared(root)
        print("\n".join(report_undeclared(undeclared)))
        if undeclared.wrong or undeclared.mojibake:
            status = 1
    print(f"feeds-eval: {time.perf_counter() - started:.1f}s")
    return status


if __name__ == "__main__":
    sys.exit(main())
