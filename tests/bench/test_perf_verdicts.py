"""The bench's verdicts and table rows, from figures given by hand: ratios to the same
run's ceilings and reader, memory per process kind, and no PASS for a missing figure."""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from pathlib import Path

import pytest

from bench import perf, perf_table, procs, reader_poll, site
from bench.baselines import Rate
from bench.daemon import Memory, Tick
from bench.perf_results import Results
from bench.reader_peer import ReaderPoll, count_statuses
from bench.verdicts import Floor, each_below, holds, rate_verdict

FEEDS = 10_000
ARGS = perf.parse_args([])  # the defaults: 10,000 feeds
SETTINGS = perf.daemon_settings(ARGS)


def kib(mb: float) -> int:
    """KiB for a figure in MB (10^6 bytes), as /proc's VmHWM gives it."""
    return round(mb * 1e6 / 1024)


def tick(per_second: float, **figures: int) -> Tick:
    """A tick of FEEDS feeds whose duration gives ``per_second`` for ``key``."""
    return Tick({"feeds": FEEDS, "duration_ms": round(FEEDS / per_second * 1000), **figures}, 0.0)


def rate(per_second: float, done: int = FEEDS) -> Rate:
    return Rate(done, done / per_second, Counter({"200": done}))


def reader(per_second: float, name: str = "poll") -> ReaderPoll:
    return ReaderPoll(name, FEEDS / per_second, updated=0, not_modified=FEEDS, errors=0)


def passing() -> Results:
    """Every figure measured and every verdict met, with a little room."""
    return Results(
        repoll=tick(8_000),  # 0.8x the ceiling, 16x reader
        repoll_ceiling=rate(10_000),
        reader_unchanged=reader(500),
        changed=tick(1_000),  # 0.5x the ceiling, 20x reader
        changed_ceiling=rate(2_000),
        reader_changed=reader(50),
        ingest=Tick({"new_articles": 1_000, "duration_ms": 10_000}, 0.0),  # 100/s
        ingest_gets=rate(90, done=1_000),  # slower than ours: not the bound judged
        ingest_extraction=rate(110, done=1_000),  # ours 0.91x
        memory=Memory(kib(100), pollers=[kib(150), kib(180)], workers=[kib(120)]),
        reader_peak_kib=kib(300),
    )


def row(results: Results, prefix: str) -> perf_table.Row:
    (found,) = [r for r in perf_table.rows(results, ARGS) if r.figure.startswith(prefix)]
    return found


def test_a_floor_holds_only_with_both_figures_measured() -> None:
    assert holds(Floor("ceiling", 0.75, 100.0), 75.0)
    assert not holds(Floor("ceiling", 0.75, 100.0), 74.9)
    assert not holds(Floor("ceiling", 0.75, None), 1e9)
    assert not holds(Floor("reader", 10, 0.0), 1.0)  # a comparison that measured nothing
    assert not holds(Floor("reader", 10, 5.0), None)
    assert rate_verdict(80, [Floor("ceiling", 0.75, 100), Floor("reader", 10, 8)])
    assert not rate_verdict(80, [Floor("ceiling", 0.75, 100), Floor("reader", 10, 8.1)])
    assert not rate_verdict(80, [])


def test_memory_of_a_kind_absent_is_nothing_to_judge() -> None:
    assert each_below([], 200) is None
    assert each_below([150, 199.9], 200) is True
    assert each_below([150, 200], 200) is False


def test_every_verdict_passes_with_every_figure_met() -> None:
    lines, ok = perf_table.table(passing(), ARGS, SETTINGS)
    verdicts = {r.figure: r.ok for r in perf_table.rows(passing(), ARGS)}
    assert ok, lines
    assert verdicts["1 re-poll, unchanged (304), feeds/s"] is True
    assert verdicts["2 re-poll, changed, no new entry, feeds/s"] is True
    assert verdicts["3 new articles/s (real pages)"] is True
    assert verdicts[f"4 daemon main process peak RSS, {FEEDS:,} feeds"] is True
    assert verdicts["4 poller processes peak RSS, max"] is True
    assert verdicts["4 extraction worker processes peak RSS, max"] is True


def test_the_table_has_a_reader_column_and_ratios_to_it() -> None:
    lines, _ = perf_table.table(passing(), ARGS, SETTINGS)
    assert lines[0] == (
        "| figure | ingester | ceiling | naive | reader | ing/ceiling | ing/naive | "
        "ing/reader | target | verdict |"
    )
    repoll = row(passing(), "1 re-poll")
    assert (repoll.ingester, repoll.ceiling, repoll.reader) == ("8,000/s", "10,000/s", "500/s")
    assert (repoll.vs_ceiling, repoll.vs_reader) == ("0.80x", "16.00x")
    assert repoll.target == ">= 0.75x ceiling and >= 10x reader"
    assert row(passing(), "4 daemon main").reader == "300 MB"
    # The absolute rates are shown, never judged.
    assert not any(">= 5,000/s" in line or ">= 80/s" in line for line in lines)


@pytest.mark.parametrize(
    ("change", "prefix"),
    [
        ({"repoll": tick(7_400)}, "1 re-poll"),  # 0.74x the ceiling
        ({"reader_unchanged": reader(900)}, "1 re-poll"),  # only 8.9x reader
        ({"reader_unchanged": None}, "1 re-poll"),  # reader not measured
        ({"repoll_ceiling": None}, "1 re-poll"),
        ({"repoll": None}, "1 re-poll"),
        ({"changed": tick(780)}, "2 re-poll"),  # 0.39x the ceiling
        ({"reader_changed": reader(150)}, "2 re-poll"),  # only 6.7x reader
        ({"reader_changed": None}, "2 re-poll"),
        ({"ingest_extraction": rate(120, done=1_000)}, "3 new articles"),  # 0.83x
        ({"ingest_extraction": None}, "3 new articles"),
        ({"memory": Memory(kib(151), [kib(100)], [kib(100)])}, "4 daemon main"),
        ({"memory": Memory(kib(100), [kib(100), kib(201)], [])}, "4 poller"),
        ({"memory": Memory(kib(100), [], [kib(100)])}, "4 poller"),  # none found
        ({"memory": Memory(kib(100), [kib(100)], [kib(100), kib(250)])}, "4 extraction"),
        ({"memory": None}, "4 daemon main"),
        ({"memory": None}, "4 poller"),
    ],
)
def test_a_figure_short_of_its_verdict_fails_the_run(
    change: dict[str, object], prefix: str
) -> None:
    results = dataclasses.replace(passing(), **change)  # type: ignore[arg-type]
    assert row(results, prefix).ok is False
    _, ok = perf_table.table(results, ARGS, SETTINGS)
    assert not ok


def test_a_missing_figure_is_said_not_measured() -> None:
    results = dataclasses.replace(passing(), repoll=None, reader_unchanged=None)
    repoll = row(results, "1 re-poll")
    assert repoll.ingester == "not measured" and repoll.reader == "-"
    assert repoll.vs_reader == "-"


def test_no_extraction_worker_is_shown_and_not_judged() -> None:
    results = dataclasses.replace(passing(), memory=Memory(kib(100), [kib(150)], []))
    workers = row(results, "4 extraction")
    assert workers.ok is None and "none found" in workers.ingester
    pollers = row(results, "4 poller")
    assert pollers.ok is True and pollers.ingester.startswith("150 MB")
    assert perf_table.table(results, ARGS, SETTINGS)[1]


def test_new_articles_are_judged_against_extraction_alone_not_the_gets() -> None:
    # GETs slower than ours do not make a pass: extraction alone is the bound.
    results = dataclasses.replace(passing(), ingest_extraction=rate(200, done=1_000))
    ingest = row(results, "3 new articles")
    assert ingest.ok is False
    assert ingest.vs_ceiling == "0.50x"
    assert ingest.ceiling == "extraction alone 200/s (GETs 90.0/s)"


def test_the_footer_keeps_the_load_average_and_says_what_reader_did() -> None:
    results = dataclasses.replace(passing(), load=[1.25, 1.5])
    results.reader_unchanged = dataclasses.replace(reader(500, "unchanged"), served={"304": FEEDS})
    lines, _ = perf_table.table(results, ARGS, SETTINGS)
    assert any("load average (1 min) at start -> end 1.25 -> 1.50" in line for line in lines)
    assert any(
        line.startswith("reader unchanged re-poll:") and "304 x10,000" in line for line in lines
    )


def test_the_footer_gives_each_polls_cpu_by_process_kind() -> None:
    results = passing()
    results.cpu = {"re-poll": {"main": 0.26, "pollers": 2.61, "others": 0.0}}
    lines, _ = perf_table.table(results, ARGS, SETTINGS)
    assert "CPU in the re-poll poll: main 0.26 s, pollers 2.61 s, others 0.00 s." in lines


def test_cpu_seconds_grow_with_the_work_a_process_does() -> None:
    before = procs.cpu_seconds(os.getpid())
    assert before is not None
    spent = time.process_time()
    while time.process_time() - spent < 0.1:  # work, not waiting: CPU time advances
        sum(range(1000))
    after = procs.cpu_seconds(os.getpid())
    assert after is not None and after >= before + 0.05
    assert procs.cpu_seconds(2**22 + 7) is None  # no such process


class _Result:
    def __init__(self, url: str, value: object) -> None:
        self.url, self.value = url, value


class _Updated:
    new = 2


class _FakeReader:
    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def update_feeds_iter(self, **kwargs: object) -> list[_Result]:
        self.calls.append(kwargs)
        return [_Result("a", None), _Result("b", _Updated()), _Result("c", ValueError("x"))]


def test_the_reader_script_polls_every_feed_and_counts_each_outcome() -> None:
    fake = _FakeReader()
    counted = reader_poll.poll(fake, workers=20)
    assert fake.calls == [{"scheduled": False, "workers": 20}]
    assert (counted["updated"], counted["not_modified"], counted["errors"]) == (1, 1, 1)
    assert counted["new_entries"] == 2
    assert counted["error_kinds"] == {"ValueError": 1}
    assert counted["first_error"] == "c: x"


def test_a_reader_poll_rate_counts_every_feed() -> None:
    poll = ReaderPoll("x", 2.0, updated=10, not_modified=5, errors=1)
    assert poll.feeds == 16 and poll.per_second == 8.0
    assert ReaderPoll("x", 0.0, 1, 0, 0).per_second == 0.0


def test_nginx_statuses_are_counted_by_whole_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "peer.log"
    log.write_bytes(b"304\n304\n200\n30")
    counts, offset = count_statuses(log, 0)
    assert counts == {"304": 2, "200": 1} and offset == 12
    log.write_bytes(b"304\n304\n200\n304\n")
    assert count_statuses(log, offset) == ({"304": 1}, 16)
    assert count_statuses(tmp_path / "absent.log", 5) == ({}, 5)


def test_nginx_logs_only_the_peers_requests() -> None:
    work, root = Path("/tmp/w"), Path("/tmp/w/site")
    conf = site.nginx_conf(work, root, 8123, 3, user=None, peer_agent="python-reader/")
    assert '"~^python-reader/" 1;' in conf
    assert f"access_log {work / site.PEER_LOG} peer_status if=$peer_request;" in conf
    assert "access_log off;" not in conf
    assert conf.count("{") == conf.count("}")
    with pytest.raises(ValueError):
        site.nginx_conf(work, root, 8123, 3, user=None, peer_agent='x" 1; }')
