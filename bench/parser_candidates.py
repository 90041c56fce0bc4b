"""Faster feed parsers as candidates (issue 18), differentially against ``parse_feed``.

``python -m bench.parser_candidates`` makes a virtualenv in a work folder (a temporary
directory, or ``--workdir``), installs the pinned candidates there (never into the
project) and runs this same file inside it as a worker subprocess, bounded by a timeout
per file and in all. The worker parses each corpus file with one candidate and prints
JSON lines holding the fields of our ``ParsedFeed``, mapped from the candidate's
feedparser-like result the way ``ingester/parse/feed.py`` maps feedparser's (entry id ->
guid, ``published_parsed`` -> ISO 8601 UTC, the longest content, tag terms ...). This
side runs our own ``parse_feed`` on the same bytes, with the headers and URL that
``bench/feed_corpora.py`` serves them with, and compares field by field.

Corpora (``../shared/corpora``, or ``$INGESTER_CORPORA``): real-feeds (every ``.xml``
and ``.html``) and feedparser-tests (every file below ``tests/``), compared; then
malicious-input and a few hostile feeds made here (entity bombs inside RSS, an external
entity naming a local file, deep nesting, 12,000 items), each parser on each in its own
process under ``RLIMIT_AS`` (1 GiB) and a timeout, noting hangs, crashes and memory;
then the per-parse time of each parser on a small RSS feed of 3 items (bench/site.py).

Neither candidate takes response headers or the feed's URL: both get the bytes alone, so
a charset named only by the HTTP header and links relative to the feed's URL are theirs
to get wrong. Exits 0 (it measures; it does not judge), also when the corpora are absent.
"""

from __future__ import annotations

# Only the standard library at module level: the worker half of this file runs in the
# candidates' virtualenv, where neither the project nor feedparser is installed.
import argparse
import calendar
import dataclasses
import hashlib
import importlib
import itertools
import json
import math
import os
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

# name -> (pinned requirement, import name)
CANDIDATES: dict[str, tuple[str, str]] = {
    "fastfeedparser": ("fastfeedparser==0.6.5", "fastfeedparser"),
    "feedparser-rs": ("feedparser-rs==0.7.1", "feedparser_rs"),
}
# Our ParsedFeed fields a candidate has nothing for, whatever the feed says.
NO_SUCH_FIELD: dict[str, dict[str, str]] = {
    "fastfeedparser": {"feed update_interval": "no ttl, sy:updatePeriod or sy:updateFrequency"},
    "feedparser-rs": {},
}
FEED_FIELDS = ("title", "link", "update_interval", "entries")  # entries: their count
ENTRY_FIELDS = (
    "key",
    "guid",
    "link",
    "title",
    "author",
    "summary",
    "content",
    "categories",
    "published",
    "updated",
)
LABELS = (*(f"feed {f}" for f in FEED_FIELDS), *(f"entry {f}" for f in ENTRY_FIELDS))
MEMORY_LIMIT = 1 << 30  # RLIMIT_AS of every worker, bytes
CORPUS_FILE_TIMEOUT = 30.0  # seconds for one file's parses (all repeats) in a worker
HOSTILE_TIMEOUT = 20.0  # seconds for one hostile input, process start included
WORKER_TIMEOUT = 900.0  # seconds for a candidate's whole corpus run
INSTALL_TIMEOUT = 600.0
MICRO_TIMEOUT = 120.0
XXE_MARKER = "XXE-MARKER-5b1f0c"


# == the worker: stdlib only, runs in the candidates' virtualenv (or the project's) ======


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def _get(obj: Any, name: str) -> Any:
    """``dict.get`` on a feedparser-like dict (never a fallback to another key), or the
    ``get`` of feedparser-rs' objects; None where there is nothing."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return dict.get(obj, name)
    getter = getattr(obj, "get", None)
    if getter is None:
        return getattr(obj, name, None)
    try:
        return getter(name)
    except (KeyError, TypeError, AttributeError):
        return None


def _hash_key(title: str | None, body: str | None) -> str:
    digest = hashlib.sha256(f"{title or ''}\0{body or ''}".encode()).hexdigest()
    return f"sha256:{digest[:32]}"


def _iso_struct(parsed: Any) -> str | None:
    """A UTC struct_time as feed.py writes it."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def _iso_text(value: object) -> str | None:
    """An ISO 8601 string (fastfeedparser's dates) in feed.py's form: UTC, whole seconds
    (feedparser's struct_time has none finer), naive read as UTC."""
    text = _text(value)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=0).isoformat()


_PERIOD_SECONDS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 365 * 86400,
}


def _positive_int(value: object) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number > 0 else None


def _interval(ttl: object, period: object, frequency: object) -> int | None:
    """feed.py's ``_update_interval`` on the three values, wherever a parser keeps them."""
    found = []
    minutes = _positive_int(ttl) if ttl is not None else None
    if minutes is not None:
        found.append(minutes * 60)
    name = str(period or "").strip().lower()
    if name in _PERIOD_SECONDS:
        found.append(_PERIOD_SECONDS[name] // (_positive_int(frequency) or 1))
    return max(found) if found else None


def _entry_fields(entry: Any, summary: object, published: str | None, updated: str | None) -> Any:
    guid = _text(_get(entry, "id"))
    link = _text(_get(entry, "link"))
    title = _text(_get(entry, "title"))
    summary_text = _text(summary)
    values = [_text(_get(c, "value")) for c in _get(entry, "content") or ()]
    present = [v for v in values if v]
    content = max(present, key=len) if present else None
    terms = (_text(_get(tag, "term")) for tag in _get(entry, "tags") or ())
    return {
        "key": guid or link or _hash_key(title, content or summary_text),
        "guid": guid,
        "link": link,
        "title": title,
        "author": _text(_get(entry, "author")),
        "summary": summary_text,
        "content": content,
        "categories": [t for t in terms if t is not None],
        "published": published,
        "updated": updated,
    }


def _fastfeedparser_fields(result: Any) -> Any:
    """fastfeedparser returns a dict: the feed's keys with ``entries`` among them (or
    under ``feed``); dates are ISO strings; the entry's summary is ``description``; it has
    no ttl or sy:* at all. It raises where there is no feed."""
    feed = result.get("feed", result)
    entries = result.get("entries") if "entries" in result else feed.get("entries")
    return {
        "title": _text(feed.get("title")),
        "link": _text(feed.get("link")),
        "update_interval": _interval(feed.get("ttl"), None, None),
        "entries": [
            _entry_fields(
                e,
                dict.get(e, "description", dict.get(e, "summary")),
                _iso_text(dict.get(e, "published")),
                _iso_text(dict.get(e, "updated")),
            )
            for e in entries or ()
        ],
    }


def _feedparser_rs_fields(result: Any) -> Any:
    """feedparser-rs: feedparser's shape in Rust objects; sy:* under ``syndication``.
    No version and no entries is no feed, as parse_feed has it."""
    if not result.version and not result.entries:
        return None
    feed = result.feed
    syndication = getattr(feed, "syndication", None)
    return {
        "title": _text(_get(feed, "title")),
        "link": _text(_get(feed, "link")),
        "update_interval": _interval(
            _get(feed, "ttl"),
            getattr(syndication, "update_period", None),
            getattr(syndication, "update_frequency", None),
        ),
        "entries": [
            _entry_fields(
                e,
                _get(e, "summary"),
                _iso_struct(_get(e, "published_parsed")),
                _iso_struct(_get(e, "updated_parsed")),
            )
            for e in result.entries
        ],
    }


@dataclass(frozen=True)
class Parser:
    name: str
    version: str
    parse: Callable[[bytes, dict[str, str], str], Any]  # raises where it refuses
    fields: Callable[[Any], Any]  # our ParsedFeed's fields as JSON; None for no feed


def load_parser(name: str) -> Parser:
    """A candidate in this interpreter (its virtualenv), or ``ours``: parse_feed."""
    if name == "ours":
        feed_module = importlib.import_module("ingester.parse.feed")

        def ours_fields(parsed: Any) -> Any:
            return json.loads(json.dumps(dataclasses.asdict(parsed)))

        def ours_parse(data: bytes, headers: dict[str, str], url: str) -> Any:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return feed_module.parse_feed(data, headers, url)

        version = importlib.import_module("feedparser").__version__
        return Parser("ours", f"parse_feed (feedparser {version})", ours_parse, ours_fields)
    module = importlib.import_module(CANDIDATES[name][1])
    version = str(getattr(module, "__version__", "?"))
    if name == "fastfeedparser":
        return Parser(
            name, version, lambda data, _h, _u: module.parse(data), _fastfeedparser_fields
        )
    return Parser(
        name,
        version,
        lambda data, _h, _u: module.parse(data, sanitize_html=False),
        _feedparser_rs_fields,
    )


def run_one(parser: Parser, data: bytes, headers: dict[str, str], url: str, repeat: int) -> Any:
    """One file through one parser ``repeat`` times: the outcome, the fields, and the
    least CPU time of the parse alone and of parse plus mapping."""
    best_parse = best_total = math.inf
    fields: Any = None
    for _ in range(repeat):
        started = time.process_time()
        try:
            raw = parser.parse(data, headers, url)
            parsed = time.process_time()
            fields = parser.fields(raw)
        except Exception as e:  # a candidate's refusals come in many types
            return {
                "status": "raised",
                "error": f"{type(e).__name__}: {str(e)[:200]}",
                "cpu": time.process_time() - started,
            }
        done = time.process_time()
        del raw
        best_parse = min(best_parse, parsed - started)
        best_total = min(best_total, done - started)
    if fields is None:
        return {"status": "nofeed", "cpu": best_total}
    return {"status": "ok", "feed": fields, "cpu_parse": best_parse, "cpu": best_total}


def _hostile_one(parser: Parser, data: bytes, headers: dict[str, str], url: str) -> Any:
    """One hostile input, once: outcome, time, peak memory and the size of what came out
    (not the text: an expanded bomb is gigabytes)."""
    before = _peak_kb()
    wall = time.perf_counter()
    record = run_one(parser, data, headers, url, 1)
    record["wall"] = time.perf_counter() - wall
    record["maxrss_kb"] = _peak_kb()
    record["baseline_kb"] = before
    feed = record.pop("feed", None)
    if feed is not None:
        text = json.dumps(feed)
        record["entries"] = len(feed["entries"])
        record["chars"] = len(text)
        record["xxe"] = XXE_MARKER in text
        first = feed["entries"][0]["title"] if feed["entries"] else None
        record["sample"] = str(first or feed["title"])[:40]
    return record


def _peak_kb() -> int:
    """This process's peak resident memory, kB: VmHWM (ru_maxrss carries the parent's
    peak across fork and exec on Linux, so a small worker of a big driver reads big)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), None)
    return int(line.split()[1]) if line else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _micro(parser: Parser, data: bytes, headers: dict[str, str], url: str) -> Any:
    """Per-parse CPU microseconds on one small feed: best of 5 runs of enough loops."""

    def per_call(call: Callable[[], Any], loops: int) -> float:
        started = time.process_time()
        for _ in range(loops):
            call()
        return (time.process_time() - started) / loops * 1e6

    def measure(call: Callable[[], Any]) -> float:
        loops = 1
        while per_call(call, loops) * loops < 50_000:  # 50 ms
            loops *= 2
        return min(per_call(call, loops) for _ in range(5))

    return {
        "parse_us": measure(lambda: parser.parse(data, headers, url)),
        "total_us": measure(lambda: parser.fields(parser.parse(data, headers, url))),
    }


def _emit(message: Any) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def worker(job_path: str) -> int:
    """Run a job file: ``parser``, ``mode`` (corpus, hostile, micro), ``items`` (path,
    headers, url), ``start``, ``repeat``; one JSON line per file, after a ``begin`` line
    that names the file, so the caller knows which file a hang or a crash was on."""
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    resource.setrlimit(resource.RLIMIT_AS, (job["rlimit_as"], job["rlimit_as"]))
    parser = load_parser(job["parser"])
    _emit({"hello": parser.version})
    items = job["items"]
    for index in range(job["start"], len(items)):
        _emit({"begin": index})
        item = items[index]
        data = Path(item["path"]).read_bytes()
        args = (parser, data, item["headers"], item["url"])
        if job["mode"] == "micro":
            record = _micro(*args)
        elif job["mode"] == "hostile":
            record = _hostile_one(*args)
        else:
            record = run_one(*args, job["repeat"])
        record["i"] = index
        _emit(record)
        del data, args, record
    return 0


# == the driver: the project's side =====================================================


@dataclass(frozen=True)
class Item:
    name: str  # corpus-relative, e.g. real-feeds/feed-rs/rss2/x.xml
    path: Path
    headers: dict[str, str]
    url: str
    note: str = ""

    def job(self) -> dict[str, Any]:
        return {"path": str(self.path), "headers": self.headers, "url": self.url}


def corpus_items(root: Path) -> list[Item]:
    """Every file of real-feeds (.xml and .html, no Content-Type, as the corpus implies)
    and of feedparser-tests (with its Header: lines and the default Content-Type that
    the corpus harness serves), at the URL the harness serves it from (without a port)."""
    from bench.feed_corpora import FEEDPARSER_TESTS, REAL_FEEDS, load_cases, served

    items = []
    real = root / REAL_FEEDS
    if real.is_dir():
        for path in sorted([*real.rglob("*.xml"), *real.rglob("*.html")]):
            name = path.relative_to(real).as_posix()
            items.append(Item(f"{REAL_FEEDS}/{name}", path, {}, f"http://127.0.0.1/{name}"))
    tests = root / FEEDPARSER_TESTS / "tests"
    if tests.is_dir():
        headers = {case.path: served(case) for case in load_cases(root / FEEDPARSER_TESTS)}
        for path in sorted(p for p in tests.rglob("*") if p.is_file()):
            name = path.relative_to(tests).as_posix()
            # a few files have no readable header comment: served as the harness would
            header = headers.get(path, {"Content-Type": "application/xml"})
            url = f"http://127.0.0.1/tests/{name}"
            items.append(Item(f"{FEEDPARSER_TESTS}/{name}", path, header, url))
    return items


def _channel(body: str, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<rss version="2.0"><channel>'
        f"<title>Hostile</title><link>http://127.0.0.1/</link>{body}</channel></rss>\n"
    ).encode()


def hostile_items(root: Path, folder: Path, max_bytes: int) -> list[Item]:
    """malicious-input as it is; its gzip and deflate bombs inflated to the fetcher's
    size cap (all a fetch can hand over); and hostile RSS feeds made here."""
    import zlib

    folder.mkdir(parents=True, exist_ok=True)
    items = []
    source = root / "malicious-input"
    for path in sorted(p for p in source.rglob("*") if p.is_file() and p.name != "LICENSE"):
        name = path.relative_to(root).as_posix()
        items.append(Item(name, path, {}, f"http://127.0.0.1/{name}"))
    for name, wbits in (("bomb-gzip.bin", 31), ("bomb-deflate.bin", 47)):
        path = source / "scrapy-compression" / name
        if not path.is_file():
            continue
        try:
            inflated = zlib.decompressobj(wbits).decompress(path.read_bytes(), max_bytes)
        except zlib.error:
            inflated = zlib.decompressobj(-15).decompress(path.read_bytes(), max_bytes)
        target = folder / f"{name}.inflated"
        target.write_bytes(inflated)
        items.append(Item(f"{name} inflated", target, {}, "http://127.0.0.1/x", "10 MiB"))
    secret = folder / "xxe-secret.txt"
    secret.write_text(XXE_MARKER, encoding="utf-8")
    levels = "".join(
        f'<!ENTITY l{n} "{"".join(f"&l{n - 1};" for _ in range(10))}">\n' for n in range(1, 10)
    )
    made = {
        # 10^9 copies of "lol" in one title: 3 GB if expanded
        "rss-billion-laughs.xml": _channel(
            "<item><title>&l9;</title><guid>a</guid></item>",
            f'<!DOCTYPE rss [\n<!ENTITY l0 "lol">\n{levels}]>\n',
        ),
        # a 100 kB entity used 20,000 times: 2 GB from 160 kB
        "rss-quadratic.xml": _channel(
            "<item><title>q</title><description>" + "&a;" * 20_000 + "</description></item>",
            f'<!DOCTYPE rss [<!ENTITY a "{"B" * 100_000}">]>\n',
        ),
        "rss-xxe-file.xml": _channel(
            "<item><title>&x;</title><guid>x</guid></item>",
            f'<!DOCTYPE rss [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n',
        ),
        "rss-deep-nesting.xml": _channel(
            "<item><title>deep</title><description>"
            + "<b>" * 100_000
            + "x"
            + "</b>" * 100_000
            + "</description></item>"
        ),
        "rss-12000-items.xml": _channel(
            "".join(
                f"<item><title>Item {n}</title><guid>g{n}</guid>"
                f"<link>http://127.0.0.1/{n}</link></item>"
                for n in range(12_000)
            )
        ),
    }
    for name, data in made.items():
        (folder / name).write_bytes(data)
        url = f"http://127.0.0.1/hostile/{name}"
        items.append(Item(f"made/{name}", folder / name, {}, url, f"{len(data):,} B"))
    return items


def build_venv(workdir: Path) -> Path:
    """The candidates' virtualenv (reused when it already has the pinned versions)."""
    venv = workdir / "candidates-venv"
    python = venv / "bin" / "python"
    pins = [pin for pin, _ in CANDIDATES.values()]
    wanted = " ".join(pin.split("==")[1] for pin in pins)
    check = "import importlib.metadata as m; print(*(m.version(n) for n in {names!r}))"
    names = [pin.split("==")[0] for pin in pins]
    if python.exists():
        have = subprocess.run(
            [str(python), "-c", check.format(names=names)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if have.returncode == 0 and have.stdout.strip() == wanted:
            return python
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # pip may warn about local index folders that are absent: harmless.
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *pins],
        check=True,
        timeout=INSTALL_TIMEOUT,
    )
    return python


def run_worker(
    python: Path,
    parser: str,
    mode: str,
    items: Sequence[Item],
    workdir: Path,
    *,
    repeat: int = 1,
    item_timeout: float,
    total_timeout: float,
) -> tuple[str, dict[int, Any]]:
    """Run the worker over ``items``; a file it hangs on (past ``item_timeout``) or dies
    on is recorded as ``timeout`` or ``crash`` and the worker restarts after it."""
    results: dict[int, Any] = {}
    version = "?"
    start = 0
    deadline = time.monotonic() + total_timeout
    job_path = workdir / f"job-{parser}-{mode}.json"
    log_path = workdir / f"worker-{parser}-{mode}.stderr"
    while start < len(items):
        job = {
            "parser": parser,
            "mode": mode,
            "items": [item.job() for item in items],
            "start": start,
            "repeat": repeat,
            "rlimit_as": MEMORY_LIMIT,
        }
        job_path.write_text(json.dumps(job), encoding="utf-8")
        with log_path.open("ab") as log:
            # -I: not the bench folder on sys.path (its site.py and profile.py)
            proc = subprocess.Popen(
                [str(python), "-I", str(Path(__file__).resolve()), "--worker", str(job_path)],
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=workdir,
            )
        start, version = _follow(proc, results, start, len(items), deadline, item_timeout, version)
        if time.monotonic() >= deadline:
            break
    for index in range(len(items)):
        results.setdefault(index, {"status": "timeout", "error": "worker's total time ran out"})
    return version, results


def _follow(
    proc: subprocess.Popen[bytes],
    results: dict[int, Any],
    start: int,
    count: int,
    deadline: float,
    item_timeout: float,
    version: str,
) -> tuple[int, str]:
    """Read one worker's lines until it ends, hangs or dies; where to start the next."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    buffer = bytearray()
    current: int | None = None
    item_deadline = time.monotonic() + item_timeout + 30  # the first includes the imports
    try:
        while True:
            left = min(item_deadline, deadline) - time.monotonic()
            if left <= 0:
                proc.kill()
                proc.wait()
                if current is None:
                    return count, version
                results[current] = {"status": "timeout", "error": f"over {item_timeout:.0f}s"}
                return current + 1, version
            if not selector.select(left):
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                code = proc.wait()
                if current is not None and current not in results:
                    how = f"signal {-code}" if code < 0 else f"exit {code}"
                    results[current] = {"status": "crash", "error": f"worker died: {how}"}
                    return current + 1, version
                if current is None and code != 0:
                    raise RuntimeError(f"worker failed to start (exit {code}); see stderr log")
                return count, version
            buffer += chunk
            while (newline := buffer.find(b"\n")) >= 0:
                message = json.loads(bytes(buffer[:newline]))
                del buffer[: newline + 1]
                if "hello" in message:
                    version = message["hello"]
                elif "begin" in message:
                    current = message["begin"]
                    item_deadline = time.monotonic() + item_timeout
                else:
                    results[message.pop("i")] = message
    finally:
        selector.close()
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise _Timeout


def run_ours(items: Sequence[Item], repeat: int) -> dict[int, Any]:
    """parse_feed on every file, here in the project's interpreter, each under an alarm."""
    parser = load_parser("ours")
    results: dict[int, Any] = {}
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for index, item in enumerate(items):
            signal.setitimer(signal.ITIMER_REAL, CORPUS_FILE_TIMEOUT)
            try:
                results[index] = run_one(
                    parser, item.path.read_bytes(), item.headers, item.url, repeat
                )
            except _Timeout:
                results[index] = {"status": "timeout", "error": "parse_feed over the limit"}
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    return results


# -- comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    file: str
    url: str  # the file's URL, which our side resolves relative links against
    field: str
    entry: int | None
    ours: Any
    theirs: Any


@dataclass
class Comparison:
    candidate: str
    version: str
    files: int = 0
    parsed: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # where we parse
    accepted_where_we_raise: list[tuple[str, str]] = field(default_factory=list)
    both_reject: int = 0
    timeouts: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    both_parse: int = 0
    differing_feeds: int = 0
    entries_compared: int = 0
    entries_differing: int = 0
    # corpus -> [files both parse, of them differing, entries compared, of them differing]
    by_corpus: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * 4))
    keys_differing: int = 0
    differences: list[Difference] = field(default_factory=list)
    cpu_ours: float = 0.0
    cpu_theirs: float = 0.0
    cpu_theirs_parse: float = 0.0


def _refusal(record: Any) -> str:
    return str(record.get("error") or "returned no feed")


def compare(
    candidate: str, version: str, items: Sequence[Item], ours: Any, theirs: Any
) -> Comparison:
    result = Comparison(candidate, version, files=len(items))
    for index, item in enumerate(items):
        mine, other = ours[index], theirs[index]
        if other["status"] == "timeout":
            result.timeouts.append(item.name)
        if other["status"] == "crash":
            result.crashes.append(item.name)
        if other["status"] == "ok":
            result.parsed += 1
        if mine["status"] == "ok" and other["status"] != "ok":
            result.rejected.append((item.name, f"{other['status']}: {_refusal(other)}"))
        elif mine["status"] != "ok" and other["status"] == "ok":
            entries = len(other["feed"]["entries"])
            title = other["feed"]["title"]
            result.accepted_where_we_raise.append((item.name, f"{entries} entries, {title!r}"))
        elif mine["status"] != "ok":
            result.both_reject += 1
        else:
            result.both_parse += 1
            result.by_corpus[item.name.split("/", 1)[0]][0] += 1
            result.cpu_ours += mine["cpu"]
            result.cpu_theirs += other["cpu"]
            result.cpu_theirs_parse += other["cpu_parse"]
            _compare_feed(result, item, mine["feed"], other["feed"])
    return result


def _compare_feed(result: Comparison, item: Item, mine: Any, other: Any) -> None:
    name, url = item.name, item.url
    found: list[Difference] = []
    for key in FEED_FIELDS:
        a, b = mine[key], other[key]
        if key == "entries":
            a, b = len(a), len(b)
        if a != b:
            found.append(Difference(name, url, f"feed {key}", None, a, b))
    for index, (x, y) in enumerate(zip(mine["entries"], other["entries"], strict=False)):
        result.entries_compared += 1
        here = [
            Difference(name, url, f"entry {k}", index, x[k], y[k])
            for k in ENTRY_FIELDS
            if x[k] != y[k]
        ]
        result.entries_differing += bool(here)
        result.keys_differing += x["key"] != y["key"]
        found += here
    result.differing_feeds += bool(found)
    counts = result.by_corpus[name.split("/", 1)[0]]
    counts[1] += bool(found)
    counts[2] += min(len(mine["entries"]), len(other["entries"]))
    counts[3] += len({d.entry for d in found if d.entry is not None})
    result.differences += found


def _squeeze(value: Any) -> Any:
    from bench.feed_corpora import normalise_space

    return normalise_space(value) if isinstance(value, str) else value


def _markup_only(d: Difference) -> bool:
    """The same text once the markup is read as HTML (attribute order, tag case, quoting,
    entities) and white space is squeezed: feedparser re-serialises the HTML it reads."""
    if not (isinstance(d.ours, str) and isinstance(d.theirs, str)):
        return False
    from lxml import etree, html

    from bench.feed_corpora import normalise_space

    def text(markup: str) -> str | None:
        try:
            element = html.fragment_fromstring(markup, create_parent="div")
        except (ValueError, etree.ParserError):
            return None
        return normalise_space(element.text_content())

    ours = text(d.ours)
    return ours is not None and ours == text(d.theirs)


def _feed_url(d: Difference) -> bool:
    """Ours is theirs resolved against the feed's URL (which no candidate is told)."""
    from urllib.parse import urljoin

    if not (isinstance(d.ours, str) and isinstance(d.theirs, str)):
        return False
    try:
        return urljoin(d.url, d.theirs) == d.ours
    except ValueError:  # not a URL at all ("Invalid IPv6 URL")
        return False


def _window(a: Any, b: Any, width: int = 44) -> tuple[str, str]:
    """Both values short enough to read, around where two strings first differ."""
    if not (isinstance(a, str) and isinstance(b, str)):
        return _clip(repr(a), width), _clip(repr(b), width)
    same = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
    start = max(0, (min(len(a), len(b)) if same is None else same) - 12)
    lead = "…" if start else ""
    return (
        _clip(lead + repr(a[start:])[1:-1], width, True),
        _clip(lead + repr(b[start:])[1:-1], width, True),
    )


def _clip(text: str, width: int, quote: bool = False) -> str:
    text = text if len(text) <= width else text[: width - 1] + "…"
    return f"'{text}'" if quote else text


def _examples(differences: Sequence[Difference], count: int) -> list[Difference]:
    """``count`` examples, the corpora alternating, a folder not shown before first."""
    by_corpus: dict[str, list[Difference]] = defaultdict(list)
    for d in differences:
        by_corpus[d.file.split("/", 1)[0]].append(d)
    lanes = [[d for d in group if d is not None] for group in by_corpus.values()]
    order = [d for row in itertools.zip_longest(*lanes) for d in row if d is not None]
    chosen: list[Difference] = []
    folders: set[str] = set()
    for d in order:
        folder = d.file.rsplit("/", 1)[0]
        if folder not in folders and not any(c.file == d.file for c in chosen):
            chosen.append(d)
            folders.add(folder)
        if len(chosen) == count:
            return chosen
    return chosen + [d for d in order if d not in chosen][: count - len(chosen)]


def report_comparison(result: Comparison, examples: int) -> list[str]:
    lines = [
        f"== {result.candidate} {result.version} (import "
        f"{CANDIDATES[result.candidate][1]}): {result.files} files",
        f"  parsed {result.parsed}; rejected where we parse {len(result.rejected)}; "
        f"accepted where we raise ParseError {len(result.accepted_where_we_raise)}; "
        f"both reject {result.both_reject}; timeouts {len(result.timeouts)}; "
        f"crashes {len(result.crashes)}",
    ]
    kinds = Counter(why.split(":", 2)[1].strip() for _, why in result.rejected)
    if result.rejected:
        lines.append("  rejected, by exception: " + ", ".join(f"{k} {n}" for k, n in kinds.items()))
        lines += [f"    {name}: {_clip(why, 90)}" for name, why in result.rejected[:examples]]
    if result.accepted_where_we_raise:
        lines.append(f"  accepted where we raise ({len(result.accepted_where_we_raise)}), e.g.:")
        shown = result.accepted_where_we_raise[: examples * 2]
        lines += [f"    {name}: {_clip(what, 60)}" for name, what in shown]
    lines += [f"  timeout: {name}" for name in result.timeouts]
    lines += [f"  crash: {name}" for name in result.crashes]
    lines.append(
        f"  both parse {result.both_parse}: {result.differing_feeds} feeds differ; entries "
        f"compared {result.entries_compared}, {result.entries_differing} differ "
        f"(would be archived as new versions), {result.keys_differing} with another key "
        f"(would be archived as new entries)"
    )
    for corpus, (files, differing, compared, changed) in result.by_corpus.items():
        lines.append(
            f"    {corpus}: {differing} of {files} feeds differ, {changed} of {compared} entries"
        )
    lines.append(
        f"  {'field':22}{'feeds':>7}{'entries':>9}{'ours only':>11}{'theirs only':>13}"
        f"{'space only':>12}{'markup only':>13}{'feed URL':>10}"
    )
    by_field: dict[str, list[Difference]] = defaultdict(list)
    for d in result.differences:
        by_field[d.field].append(d)
    missing = NO_SUCH_FIELD[result.candidate]
    for label in LABELS:
        group = by_field.get(label, [])
        if not group and label not in missing:
            continue
        feeds = len({d.file for d in group})
        entries = str(len(group)) if label.startswith("entry") else ""
        only_ours = sum(d.theirs is None or d.theirs == [] for d in group)
        only_theirs = sum(d.ours is None or d.ours == [] for d in group)
        spaces = sum(_squeeze(d.ours) == _squeeze(d.theirs) for d in group)
        markup = sum(_markup_only(d) for d in group) - spaces
        resolved = sum(_feed_url(d) for d in group)
        lines.append(
            f"  {label:22}{feeds:>7}{entries:>9}{only_ours:>11}{only_theirs:>13}{spaces:>12}"
            f"{markup:>13}{resolved:>10}"
        )
        if label in missing:
            lines.append(f"    (no such field: {missing[label]})")
    for label in LABELS:
        group = by_field.get(label, [])
        if group:
            lines.append(f"  {label}, e.g.:")
        for d in _examples(group, examples):
            a, b = _window(d.ours, d.theirs)
            where = f"[{d.entry}]" if d.entry is not None else ""
            lines.append(f"    {d.file}{where}: ours {a} | theirs {b}")
    if result.cpu_theirs:
        lines.append(
            f"  CPU over the {result.both_parse} files both parse: parse_feed "
            f"{result.cpu_ours:.2f}s, {result.candidate} {result.cpu_theirs:.2f}s with the "
            f"mapping ({result.cpu_theirs_parse:.2f}s parse alone): "
            f"{result.cpu_ours / result.cpu_theirs:.1f}x faster"
        )
    return lines


def report_hostile(items: Sequence[Item], runs: Mapping[str, Mapping[int, Any]]) -> list[str]:
    lines = [
        f"== hostile inputs: each parser in its own process, RLIMIT_AS {MEMORY_LIMIT >> 20} MiB, "
        f"timeout {HOSTILE_TIMEOUT:.0f}s: wall time, peak RSS, entries (e), characters out (c)"
    ]
    names = list(runs)
    lines.append((f"  {'input':40}" + "".join(f"{n:30}" for n in names)).rstrip())
    for index, item in enumerate(items):
        cells = [_hostile_cell(runs[n][index]) for n in names]
        label = item.name + (f" ({item.note})" if item.note else "")
        row = f"  {_clip(label, 39):40}" + "".join(f"{c:30}" for c in cells)
        lines.append(row.rstrip())
    return lines


def _hostile_cell(record: Any) -> str:
    """Wall time, peak RSS of the whole worker process, and what came out: entries (e)
    and characters (c) of the fields, or what was raised."""
    status = record["status"]
    if status in ("timeout", "crash"):
        return f"{status.upper()} {record.get('error', '')}"[:29]
    head = f"{record.get('wall', 0):5.2f}s {record.get('maxrss_kb', 0) / 1024:4.0f}MB "
    if status == "ok":
        xxe = " XXE!" if record.get("xxe") else ""
        chars = record["chars"]
        size = (
            f"{chars / 1e6:.1f}M"
            if chars >= 1e6
            else f"{chars / 1e3:.0f}k"
            if chars >= 1e4
            else chars
        )
        return f"{head}{record['entries']}e {size}c{xxe}"
    if status == "nofeed":
        return f"{head}no feed"
    return f"{head}{str(record.get('error', '')).split(':', 1)[0]}"


def small_feed(folder: Path) -> Item:
    """A typical small RSS feed of 3 items, as bench/site.py renders the bench's feeds."""
    from bench.site import EPOCH, Layout, base_items, render_feed

    layout = Layout(feeds=1, hosts=1, port=8080)
    path = folder / "small-feed.xml"
    path.write_bytes(render_feed(layout, 0, base_items(layout, 0), EPOCH))
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
    return Item("small-feed.xml", path, headers, "http://127.1.0.1:8080/feeds/0.xml")


def micro_ours(item: Item) -> dict[str, float]:
    """feedparser by itself (as parse_feed calls it, and with its defaults) and parse_feed."""
    import io

    import feedparser

    parser = load_parser("ours")
    data = item.path.read_bytes()
    headers = {k.lower(): v for k, v in item.headers.items()}
    headers["content-location"] = item.url

    def bare(sanitize: bool) -> Parser:
        def call(d: bytes, _h: dict[str, str], _u: str) -> Any:
            return feedparser.parse(io.BytesIO(d), response_headers=headers, sanitize_html=sanitize)

        return Parser("feedparser", "", call, lambda raw: raw)

    return {
        "feedparser (sanitize_html=False)": _micro(bare(False), data, headers, item.url)[
            "parse_us"
        ],
        "feedparser (defaults)": _micro(bare(True), data, headers, item.url)["parse_us"],
        "parse_feed": _micro(parser, data, item.headers, item.url)["parse_us"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workdir", type=Path, help="keep the venv and logs here (reused)")
    parser.add_argument("--repeat", type=int, default=3, help="parses per file, least CPU kept")
    parser.add_argument("--examples", type=int, default=4, help="examples per field")
    parser.add_argument("--limit", type=int, help="only the first N corpus files (a quick look)")
    parser.add_argument("--worker", metavar="JOB", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    from bench.feed_corpora import corpora_root

    root = corpora_root()
    if not root.is_dir():
        print(f"parser-candidates: skipped, no corpora at {root} (set INGESTER_CORPORA)")
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return _run(root, args.workdir.resolve(), args)
    with tempfile.TemporaryDirectory(prefix="parser-candidates-") as temporary:
        return _run(root, Path(temporary), args)


def _run(root: Path, workdir: Path, args: argparse.Namespace) -> int:
    from bench.feed_corpora import harness_settings

    started = time.perf_counter()
    python = build_venv(workdir)
    took = time.perf_counter() - started
    print(f"parser-candidates: candidates' venv in {python.parent.parent} ({took:.0f}s)")
    items = corpus_items(root)[: args.limit]
    print(f"corpus: {len(items)} files of {root}")
    ours = run_ours(items, args.repeat)
    refused = sum(r["status"] != "ok" for r in ours.values())
    print(f"parse_feed: {len(items) - refused} parsed, {refused} raise ParseError")
    all_differences: list[Any] = []
    for name in CANDIDATES:
        version, theirs = run_worker(
            python,
            name,
            "corpus",
            items,
            workdir,
            repeat=args.repeat,
            item_timeout=CORPUS_FILE_TIMEOUT,
            total_timeout=WORKER_TIMEOUT,
        )
        result = compare(name, version, items, ours, theirs)
        print("\n".join(report_comparison(result, args.examples)))
        all_differences += [
            {"candidate": name, **dataclasses.asdict(d)} for d in result.differences
        ]
    (workdir / "differences.json").write_text(json.dumps(all_differences, indent=1), "utf-8")

    hostile = hostile_items(root, workdir / "hostile", harness_settings().max_feed_bytes)
    runs: dict[str, dict[int, Any]] = {}
    for name in ("ours", *CANDIDATES):
        interpreter = Path(sys.executable) if name == "ours" else python
        runs[name] = {}
        for index, item in enumerate(hostile):  # a process each: its own peak memory
            _, one = run_worker(
                interpreter,
                name,
                "hostile",
                [item],
                workdir,
                item_timeout=HOSTILE_TIMEOUT,
                total_timeout=HOSTILE_TIMEOUT + 40,
            )
            runs[name][index] = one[0]
    print("\n".join(report_hostile(hostile, runs)))

    feed = small_feed(workdir)
    timings = micro_ours(feed)
    for name in CANDIDATES:
        _, one = run_worker(
            python,
            name,
            "micro",
            [feed],
            workdir,
            item_timeout=MICRO_TIMEOUT,
            total_timeout=MICRO_TIMEOUT + 30,
        )
        if one[0].get("parse_us") is not None:
            timings[f"{name} (parse)"] = one[0]["parse_us"]
            timings[f"{name} (parse + mapping)"] = one[0]["total_us"]
    print(f"== one small RSS feed of 3 items ({feed.path.stat().st_size} B), CPU µs per parse")
    reference = timings["parse_feed"]
    for name, micros in timings.items():
        print(f"  {name:36}{micros:9.1f} µs   parse_feed / this: {reference / micros:5.1f}x")
    if args.workdir:
        print(f"details: {workdir / 'differences.json'}, worker logs in {workdir}")
    print(f"parser-candidates: {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
