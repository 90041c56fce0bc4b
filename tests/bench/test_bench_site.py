"""The benchmark harness's pure parts: the generated site, nginx's config, the daemon's
config and tick lines, and the table's verdicts. No nginx, no daemon."""

from __future__ import annotations

import gzip
import os
import re
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest

from bench import perf, perf_results, perf_table, site
from bench.daemon import Tick, parse_tick, write_config
from ingester.config import load_config


def test_host_addresses_are_distinct_loopback_addresses() -> None:
    assert site.host_address(0) == "127.1.0.1"
    assert site.host_address(249) == "127.1.0.250"
    assert site.host_address(250) == "127.1.1.1"
    addresses = {site.host_address(i) for i in range(5000)}
    assert len(addresses) == 5000
    assert all(a.startswith("127.") for a in addresses)
    with pytest.raises(ValueError):
        site.host_address(-1)


def test_feeds_are_spread_round_robin_over_hosts() -> None:
    layout = site.Layout(feeds=10, hosts=4, port=8080)
    assert [layout.host_of(n) for n in range(6)] == [0, 1, 2, 3, 0, 1]
    assert layout.feed_url(5) == "http://127.1.0.2:8080/feeds/5.xml"


def test_a_feed_is_rss_whose_items_link_articles_on_its_host() -> None:
    layout = site.Layout(feeds=20, hosts=5, port=8080, items_per_feed=3, articles_per_host=6)
    body = site.render_feed(layout, 7, site.base_items(layout, 7), site.EPOCH)
    parsed = feedparser.parse(body)
    assert not parsed.bozo
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Bench feed 7"
    assert "updated" in parsed.feed  # lastBuildDate
    assert len(parsed.entries) == 3
    origin = layout.origin(layout.host_of(7))
    for entry in parsed.entries:
        assert entry.link.startswith(f"{origin}/articles/2-")
        assert entry.id.startswith("bench-feed-7-item-")
        assert entry.published and entry.summary


def test_feeds_of_one_host_share_its_articles() -> None:
    layout = site.Layout(feeds=100, hosts=10, port=1, items_per_feed=3, articles_per_host=6)
    links = {item.link for n in range(0, 100, 10) for item in site.base_items(layout, n)}
    assert len(links) == 6


def test_a_rebuilt_feed_differs_only_in_its_build_date() -> None:
    layout = site.Layout(feeds=3, hosts=3, port=1)
    items = site.base_items(layout, 1)
    old = site.render_feed(layout, 1, items, site.EPOCH).decode()
    new = site.render_feed(layout, 1, items, site.EPOCH + timedelta(days=1)).decode()
    assert old != new
    strip = re.compile(r"<lastBuildDate>.*</lastBuildDate>")
    assert strip.sub("", old) == strip.sub("", new)


def test_article_pages_are_varied_news_pages() -> None:
    page = site.render_article(3, 1).decode()
    assert page == site.render_article(3, 1).decode()  # the same on every run
    assert page != site.render_article(3, 2).decode()
    assert f"<h1>{site.headline(3, 1)}</h1>" in page
    assert page.count("<p>") >= 4
    for part in ("<nav>", '<aside class="sidebar">', 'class="byline"', "<footer>"):
        assert part in page


def test_site_rewrites_move_both_validators(tmp_path: Path) -> None:
    layout = site.Layout(feeds=4, hosts=2, port=1, items_per_feed=2, articles_per_host=3)
    web = site.Site(tmp_path / "site", layout)
    web.write(corpus=None)
    assert len(list((tmp_path / "site" / "feeds").iterdir())) == 4
    assert len(list((tmp_path / "site" / "articles").iterdir())) == 6
    before = web.feed_path(0).stat().st_mtime
    web.rebuild_all(site.EPOCH + timedelta(days=1))
    first = web.feed_path(0).stat().st_mtime
    assert first >= before + 5  # Last-Modified has one-second resolution
    web.rebuild_all(site.EPOCH + timedelta(days=2))
    assert web.feed_path(0).stat().st_mtime > first


def test_new_items_without_the_corpus_link_new_generated_pages(tmp_path: Path) -> None:
    layout = site.Layout(feeds=4, hosts=2, port=1, items_per_feed=2, articles_per_host=3)
    web = site.Site(tmp_path / "site", layout)
    web.write(corpus=None)
    urls = web.add_new_items(3, site.EPOCH)
    assert len(set(urls)) == 3
    for feed, url in enumerate(urls):
        path = url.split(":1", 1)[1]
        assert (tmp_path / "site" / path.lstrip("/")).is_file()
        parsed = feedparser.parse(web.feed_path(feed).read_bytes())
        assert parsed.entries[0].link == url
        assert len(parsed.entries) == 3


def test_new_items_cycle_through_the_real_pages(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for page_id in ("ab12", "cd34"):
        (corpus / f"{page_id}.html.gz").write_bytes(gzip.compress(b"<html>real</html>"))
    layout = site.Layout(feeds=5, hosts=5, port=1)
    web = site.Site(tmp_path / "site", layout)
    web.write(corpus)
    assert (tmp_path / "site" / "real" / "ab12.html").read_bytes() == b"<html>real</html>"
    urls = web.add_new_items(3, site.EPOCH)
    paths = [url.split(":1", 1)[1] for url in urls]
    assert paths == ["/real/0-ab12.html", "/real/1-cd34.html", "/real/2-ab12.html"]
    assert all(re.match(site.REAL_LOCATION, path) for path in paths)
    assert len({url.split("/real/")[0] for url in urls}) == 3  # three hosts
    with pytest.raises(ValueError):
        web.add_new_items(6, site.EPOCH)


def test_nginx_config_listens_on_every_host_and_writes_only_in_the_work_folder() -> None:
    work, root = Path("/tmp/w"), Path("/tmp/w/site")
    conf = site.nginx_conf(work, root, 8123, 300, user=None)
    listens = re.findall(r"^\s*listen (\S+);$", conf, re.MULTILINE)
    assert len(listens) == 301
    assert listens[0] == "127.0.0.1:8123"
    assert "127.1.1.50:8123" in listens
    for directive in ("worker_processes 1;", "daemon off;", "access_log off;",
                      "keepalive_requests 100000;", f"root {root};"):  # fmt: skip
        assert directive in conf
    connections = int(re.search(r"worker_connections (\d+);", conf).group(1))  # type: ignore[union-attr]
    assert connections > 301 + 10_000
    for path in re.findall(r"(?:pid|error_log|_temp_path) (\S+)", conf):
        assert path.startswith("/tmp/w/")
    assert "user " not in conf
    assert "user root root;" in site.nginx_conf(work, root, 8123, 3, user="root root")
    assert conf.count("{") == conf.count("}")


def test_daemon_config_is_one_ingester_accepts(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    settings = perf.daemon_settings(perf.parse_args(["--concurrency", "50"]))
    write_config(path, settings, ["http://127.1.0.1:9/feeds/0.xml", "http://127.1.0.2:9/f/1"])
    config = load_config(path)
    assert [f.name for f in config.feeds] == ["bench-0", "bench-1"]
    assert config.settings.concurrency == 50
    assert config.settings.host_gap == 0
    assert config.settings.recheck_budget == 0
    assert config.settings.private_pages is True
    assert config.settings.tick == 1


def test_tick_lines_are_parsed_and_other_lines_are_not() -> None:
    line = (
        "2025-01-06 08:00:00,123 INFO tick feeds=10000 duration_ms=1834 ok=0 "
        "not_modified=10000 unchanged=0 error=0 gone=0 new_articles=0 new_versions=0"
    )
    figures = parse_tick(line)
    assert figures is not None
    assert figures["feeds"] == 10000
    assert figures["not_modified"] == 10000
    assert Tick(figures, 0.0).seconds == pytest.approx(1.834)
    assert parse_tick("2025-01-06 08:00:00,123 INFO tick abandoned: stopping") is None
    assert parse_tick("... INFO poll feed=bench-1 status=ok http=200 new_articles=0") is None


def _snapshot(rows: dict[str, int]) -> perf_results.Snapshot:
    return perf_results.Snapshot(rows=rows, size=0, wchar={1: 0}, stderr_bytes=0)


def test_bookkeeping_passes_only_when_polls_alone_grow() -> None:
    before = _snapshot({"polls": 100, "feeds": 10, "articles": 5})
    quiet = perf_results.Bookkeeping(
        10, before, _snapshot({"polls": 110, "feeds": 10, "articles": 5}), 2
    )
    assert quiet.passed(keep_polls=500)
    noisy = perf_results.Bookkeeping(
        10, before, _snapshot({"polls": 110, "feeds": 10, "articles": 6}), 2
    )
    assert noisy.grown() == {"polls": 10, "articles": 1}
    assert not noisy.passed(keep_polls=500)
    twice = perf_results.Bookkeeping(
        10, before, _snapshot({"polls": 120, "feeds": 10, "articles": 5}), 3
    )
    assert not twice.passed(keep_polls=500)


def test_a_changed_feeds_capture_is_bookkeeping_but_two_are_not() -> None:
    before = _snapshot({"polls": 100, "feeds": 10, "captures": 40})
    changed = perf_results.Bookkeeping(
        10, before, _snapshot({"polls": 110, "feeds": 10, "captures": 50}), 2
    )
    assert changed.outside_polls() == 0 and changed.captures() == 10
    assert changed.passed(keep_polls=500)
    doubled = perf_results.Bookkeeping(
        10, before, _snapshot({"polls": 110, "feeds": 10, "captures": 60}), 2
    )
    assert not doubled.passed(keep_polls=500)


def test_writes_are_summed_over_the_daemons_processes_without_its_log() -> None:
    before = perf_results.Snapshot(rows={}, size=0, wchar={1: 1000, 2: 500}, stderr_bytes=100)
    after = perf_results.Snapshot(
        rows={}, size=0, wchar={1: 1500, 2: 900, 3: 200}, stderr_bytes=400
    )
    books = perf_results.Bookkeeping(10, before, after, 1)
    assert books.written_per_feed() == (500 + 400 + 200 - 300) / 10
    gone = perf_results.Snapshot(rows={}, size=0, wchar={1: 2000}, stderr_bytes=400)
    assert perf_results.Bookkeeping(10, before, gone, 1).written_per_feed() is None


def test_a_run_that_measured_nothing_fails() -> None:
    args = perf.parse_args(["--feeds", "10", "--hosts", "2", "--new-articles", "2"])
    results = perf_results.Results(aborted="first poll: no tick line within 1 s")
    lines, ok = perf_table.table(results, args, perf.daemon_settings(args))
    assert not ok
    assert lines[0].startswith("| figure | ingester | ceiling | naive |")
    assert any("ABORTED" in line for line in lines)
    assert os.cpu_count() is None or any(f"{os.cpu_count()} cores" in line for line in lines)
