"""The schedule and politeness rules end to end, against a real server that misbehaves on cue:
the real CLI in a subprocess (``archive.cli``), for what a user sees: poll lines, the feed
rows, ``ingester status``. (The rules about *when*, on an explicit clock, are in-process in
tests/pipeline/test_pipeline.py.)

The daemon tests at the end run ``ingester run`` for real. Waiting on its log lines, with a
deadline, is the one place a test lets wall-clock time pass.
"""

from __future__ import annotations

import itertools
import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ingester.clock import iso
from ingester.config import DEFAULT_USER_AGENT
from ingester.store import Store
from tests.support.cli import Archive, Daemon
from tests.support.harness import (
    BRIDGE,
    RSS_TYPE,
    STORM,
    T0,
    Harness,
    article_row,
    empty_feed,
    paths,
    query,
    serve_pages,
    when,
)
from tests.support.httpserver import LocalServer, Route
from tests.support.samples import FeedItem, rss

pytestmark = pytest.mark.e2e


def toml_value(value: str | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


def write_config(
    archive: Archive, feeds: list[dict[str, str]], **settings: str | float | bool
) -> None:
    """A config whose settings default to no pause between requests to one host."""
    values: dict[str, str | float | bool] = {"host_gap": 0, **settings}
    lines = ["[settings]", *(f"{key} = {toml_value(v)}" for key, v in values.items())]
    for feed in feeds:
        lines += ["", "[[feeds]]", *(f"{key} = {toml_value(v)}" for key, v in feed.items())]
    archive.write_config("\n".join(lines) + "\n")


def feed_row(db: Path, name: str) -> dict[str, Any]:
    [row] = query(db, "SELECT * FROM feeds WHERE name = ?", name)
    return row


def poll_starts(db: Path, name: str) -> list[datetime]:
    rows = query(
        db,
        "SELECT p.started_at FROM polls p JOIN feeds f ON f.id = p.feed_id"
        " WHERE f.name = ? ORDER BY p.id",
        name,
    )
    return [datetime.fromisoformat(r["started_at"]) for r in rows]


def utc_seconds() -> datetime:
    """Now, to the second, as the archive stores times."""
    return datetime.now(UTC).replace(microsecond=0)


# -- failures: Retry-After, timeouts -------------------------------------------------------


def test_429_with_retry_after_puts_the_feed_off_and_status_shows_why(
    archive: Archive, server: LocalServer
) -> None:
    headers = {"Retry-After": "7200"}
    server.set_text("/feed.xml", "Slow down", "text/plain", status=429, headers=headers)
    write_config(archive, [{"url": server.url("/feed.xml"), "name": "busy"}])
    before = utc_seconds()

    out = archive.out("poll", "--all")

    after = utc_seconds() + timedelta(seconds=1)
    assert out.startswith("error") and "429" in out
    row = feed_row(archive.db, "busy")
    assert row["consecutive_failures"] == 1
    assert row["last_http_status"] == 429
    assert "429" in row["last_error"]
    assert row["last_success_at"] is None
    assert before + timedelta(hours=2) <= when(row["next_poll_at"]) <= after + timedelta(hours=2)
    # Not due: a plain poll leaves it alone.
    assert archive.out("poll").startswith("no feeds due")
    assert server.hits("/feed.xml") == 1
    [line] = [x for x in archive.out("status").splitlines() if "busy" in x]
    assert "failures: 1" in line and "429" in line and row["next_poll_at"] in line
    [health] = json.loads(archive.out("status", "--json"))["feeds"]
    assert health["consecutive_failures"] == 1
    assert health["last_http_status"] == 429
    assert health["next_poll_at"] == row["next_poll_at"]


def test_a_feed_slower_than_the_timeout_fails_and_the_others_are_polled(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/slow.xml", empty_feed(server), RSS_TYPE, delay=30)
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE)
    feeds = [
        {"url": server.url("/slow.xml"), "name": "slow"},
        {"url": server.url("/feed.xml"), "name": "quick"},
    ]
    write_config(archive, feeds, timeout=1.0)
    started = time.monotonic()

    out = archive.out("poll", "--all")

    assert time.monotonic() - started < 20  # it did not wait for the slow server
    slow_line, quick_line = out.splitlines()
    assert slow_line.startswith("error") and "timed out" in slow_line
    assert quick_line.startswith("ok")
    slow = feed_row(archive.db, "slow")
    assert slow["consecutive_failures"] == 1
    assert "timed out" in slow["last_error"]
    assert slow["next_poll_at"] is not None  # backed off, not given up
    assert feed_row(archive.db, "quick")["last_status"] == "ok"


# -- redirects and gone feeds ---------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
def test_a_permanent_redirect_moves_the_feed_and_is_logged(
    archive: Archive, server: LocalServer, status: int
) -> None:
    server.set("/old.xml", Route(b"", status=status, headers={"Location": "/new.xml"}))
    server.set_text("/new.xml", empty_feed(server), RSS_TYPE)
    write_config(archive, [{"url": server.url("/old.xml"), "name": "moving"}])

    first = archive.cli("-v", "poll", "--all")
    archive.cli("poll", "--all")

    log = first.stderr.decode()
    assert "feed moved" in log and server.url("/new.xml") in log
    row = feed_row(archive.db, "moving")
    assert row["url"] == server.url("/old.xml")  # the configured URL stays as written
    assert row["poll_url"] == server.url("/new.xml")
    # The second poll went straight to the new URL.
    assert paths(server) == ["/old.xml", "/new.xml", "/new.xml"]
    assert f"moved to {server.url('/new.xml')}" in archive.out("status")


@pytest.mark.parametrize("status", [302, 307])
def test_a_temporary_redirect_does_not_move_the_feed(
    archive: Archive, server: LocalServer, status: int
) -> None:
    server.set("/old.xml", Route(b"", status=status, headers={"Location": "/new.xml"}))
    server.set_text("/new.xml", empty_feed(server), RSS_TYPE)
    write_config(archive, [{"url": server.url("/old.xml"), "name": "visiting"}])

    archive.cli("poll", "--all")
    archive.cli("poll", "--all")

    assert feed_row(archive.db, "visiting")["poll_url"] is None
    assert paths(server) == ["/old.xml", "/new.xml", "/old.xml", "/new.xml"]


def test_a_gone_feed_is_marked_and_never_polled_again(
    harness: Harness, archive: Archive, server: LocalServer
) -> None:
    server.set_text("/dead.xml", "Gone", "text/plain", status=410)
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE)
    harness.add(server.url("/dead.xml"), "dead", interval=600)
    harness.add(server.url("/feed.xml"), "live", interval=600)

    results = harness.poll_due()

    assert sorted((r.feed, r.status) for r in results) == [("dead", "gone"), ("live", "ok")]
    row = harness.feed("dead")
    assert row["last_status"] == "gone"
    assert row["gone_at"] == iso(T0)
    assert row["next_poll_at"] is None
    harness.clock.advance(days=30)
    assert harness.due() == ["live"]
    # The real CLI, a year of real time later as far as these rows go: the live feed is
    # long due and polled; the gone one is not asked again.
    write_config(
        archive,
        [
            {"url": server.url("/dead.xml"), "name": "dead"},
            {"url": server.url("/feed.xml"), "name": "live"},
        ],
    )
    out = archive.out("poll")
    assert "live" in out and "dead" not in out
    assert (server.hits("/dead.xml"), server.hits("/feed.xml")) == (1, 2)
    [line] = [x for x in archive.out("status").splitlines() if "dead" in x]
    assert "gone since" in line and "not polled" in line


# -- conditional GET and unchanged bodies ---------------------------------------------------


def test_the_newest_validators_are_kept_and_sent(archive: Archive, server: LocalServer) -> None:
    url = server.url("/feed.xml")
    first_day, second_day = "Mon, 21 Jul 2025 10:00:00 GMT", "Tue, 22 Jul 2025 10:00:00 GMT"
    v1 = empty_feed(server, "Harbour News")
    server.set_text("/feed.xml", v1, RSS_TYPE, headers={"ETag": '"v1"', "Last-Modified": first_day})
    write_config(archive, [{"url": url, "name": "news"}])

    archive.cli("poll", "--all")
    assert "if-none-match" not in server.requests[-1].headers
    assert feed_row(archive.db, "news")["etag"] == '"v1"'

    # A 304 that carries new validators: they replace the stored ones.
    server.set(
        "/feed.xml", Route(b"", status=304, headers={"ETag": '"v2"', "Last-Modified": second_day})
    )
    archive.cli("poll", "--all")
    sent = server.requests[-1].headers
    assert (sent.get("if-none-match"), sent.get("if-modified-since")) == ('"v1"', first_day)
    row = feed_row(archive.db, "news")
    assert (row["last_status"], row["etag"], row["last_modified"]) == (
        "not_modified",
        '"v2"',
        second_day,
    )

    # The next request sends the newest; the server recognises it and answers 304.
    server.set_text(
        "/feed.xml", v1, RSS_TYPE, headers={"ETag": '"v2"', "Last-Modified": second_day}
    )
    archive.cli("poll", "--all")
    sent = server.requests[-1].headers
    assert (sent.get("if-none-match"), sent.get("if-modified-since")) == ('"v2"', second_day)
    assert feed_row(archive.db, "news")["last_status"] == "not_modified"

    # Changed content under a new ETag: a 200, and the ETag after it is the one sent next.
    server.set_text(
        "/feed.xml",
        empty_feed(server, "Harbour News, new edition"),
        RSS_TYPE,
        headers={"ETag": '"v3"'},
    )
    archive.cli("poll", "--all")
    assert feed_row(archive.db, "news")["last_status"] == "ok"
    archive.cli("poll", "--all")
    assert server.requests[-1].headers.get("if-none-match") == '"v3"'
    assert feed_row(archive.db, "news")["last_status"] == "not_modified"
    assert len(server.requests) == 5


def test_a_body_identical_to_the_last_is_unchanged_and_its_pages_not_fetched(
    archive: Archive, server: LocalServer
) -> None:
    items = serve_pages(server, {"/a/storm": STORM})
    build = "Mon, 21 Jul 2025 10:00:00 GMT"
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items, build), RSS_TYPE)
    write_config(archive, [{"url": server.url("/feed.xml"), "name": "news"}])

    first = archive.out("poll", "--all")
    second = archive.out("poll", "--all")

    assert first.startswith("ok") and "new articles: 1" in first
    assert second.startswith("unchanged")
    assert server.hits("/feed.xml") == 2
    assert server.hits("/a/storm") == 1
    statuses = query(archive.db, "SELECT status, http_status FROM polls ORDER BY id")
    assert statuses == [
        {"status": "ok", "http_status": 200},
        {"status": "unchanged", "http_status": 200},
    ]

    # One changed byte (a new build time) and the feed is read again; its entry is as it
    # was, so its page is not (finding edits there is the re-checks' work).
    build = "Mon, 21 Jul 2025 11:00:00 GMT"
    server.set_text("/feed.xml", rss("Harbour News", server.url("/"), items, build), RSS_TYPE)
    assert archive.out("poll", "--all").startswith("ok")
    assert server.hits("/feed.xml") == 3
    assert server.hits("/a/storm") == 1


# -- robots.txt ----------------------------------------------------------------------------------


def test_a_page_robots_txt_forbids_is_kept_from_the_feed_and_never_requested(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/robots.txt", "User-agent: *\nDisallow: /a/\n", "text/plain")
    server.set_text("/a/storm", STORM.html(), "text/html")
    [open_item] = serve_pages(server, {"/b/bridge": BRIDGE})
    blocked = FeedItem(
        STORM.title,
        server.url("/a/storm"),
        content="".join(f"<p>{p}</p>" for p in STORM.paragraphs),
    )
    server.set_text(
        "/feed.xml", rss("Harbour News", server.url("/"), [blocked, open_item]), RSS_TYPE
    )
    write_config(archive, [{"url": server.url("/feed.xml"), "name": "news"}])

    out = archive.out("poll", "--all")

    assert "new articles: 2" in out and "page errors: 1" in out
    assert server.hits("/a/storm") == 0
    assert server.hits("/b/bridge") == 1
    assert server.hits("/robots.txt") == 1
    url = server.url("/a/storm")
    [version] = json.loads(archive.out("history", url, "--json"))
    assert version["source"] == "feed"
    shown = archive.out("show", url)
    assert STORM.title in shown and all(p in shown for p in STORM.paragraphs)
    assert "robots.txt" in article_row(archive.db, url)["last_error"]
    [poll] = query(archive.db, "SELECT page_errors FROM polls")
    [page_error] = json.loads(poll["page_errors"])
    assert url in page_error and "robots.txt" in page_error
    # The allowed page is archived from the page itself.
    assert archive.out("show", server.url("/b/bridge")) == BRIDGE.expected_layout()
    # Every request, robots.txt included, names the project and a contact URL.
    agents = {r.headers.get("user-agent") for r in server.requests}
    assert agents == {DEFAULT_USER_AGENT}
    assert DEFAULT_USER_AGENT.startswith("ingester/") and "+https://" in DEFAULT_USER_AGENT


# -- status and the heartbeat ---------------------------------------------------------------


def test_status_reports_health_and_check_follows_the_heartbeat(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/feed.xml", empty_feed(server), RSS_TYPE)
    write_config(archive, [{"url": server.url("/feed.xml"), "name": "news"}])
    archive.cli("poll", "--all")

    unstarted = archive.cli("status", "--check", check=False)
    report = json.loads(archive.out("status", "--json"))

    assert unstarted.returncode == 1
    assert "no heartbeat" in unstarted.stderr.decode()
    assert report["daemon"]["healthy"] is False
    [health] = report["feeds"]
    assert (health["name"], health["last_status"], health["consecutive_failures"]) == (
        "news",
        "ok",
        0,
    )
    assert health["next_poll_at"] == feed_row(archive.db, "news")["next_poll_at"]

    store = Store(archive.db)
    try:
        now = datetime.now(UTC)
        store.heartbeat(4242, now - timedelta(minutes=10), now, 60)
    finally:
        store.close()
    fresh = archive.cli("status", "--check")
    daemon = json.loads(archive.out("status", "--json"))["daemon"]

    assert fresh.returncode == 0
    assert "healthy" in fresh.stdout.decode() and "4242" in fresh.stdout.decode()
    assert (daemon["healthy"], daemon["pid"], daemon["tick"]) == (True, 4242, 60)

    store = Store(archive.db)
    try:
        stale = datetime.now(UTC) - timedelta(hours=1)
        store.heartbeat(4242, stale - timedelta(minutes=10), stale, 60)
    finally:
        store.close()
    old = archive.cli("status", "--check", check=False)

    assert old.returncode == 1
    assert "STALE" in old.stderr.decode()


# -- the daemon -------------------------------------------------------------------------------


def polls_of(db: Path, name: str) -> int:
    return len(poll_starts(db, name))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` every 50 ms until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.05)


@pytest.mark.timeout(180)
def test_sighup_adds_and_removes_feeds_without_a_restart(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/alpha.xml", empty_feed(server, "Alpha"), RSS_TYPE)
    server.set_text("/beta.xml", empty_feed(server, "Beta"), RSS_TYPE)
    quick: dict[str, str | float | bool] = {"tick": "1s", "min_interval": "1s", "jitter": 0}
    alpha = {"url": server.url("/alpha.xml"), "name": "alpha", "interval": "2s"}
    beta = {"url": server.url("/beta.xml"), "name": "beta", "interval": "1s"}
    write_config(archive, [alpha], **quick)
    daemon = Daemon(archive)
    try:
        daemon.wait_for("poll feed=alpha")
        write_config(archive, [beta], **quick)
        daemon.process.send_signal(signal.SIGHUP)
        daemon.wait_for("config reloaded: 1 feeds")
        alpha_at_reload = polls_of(archive.db, "alpha")
        for _ in range(10):  # nine gaps of a second or more: alpha would be due 2-4 times
            daemon.wait_for("poll feed=beta")
        alpha_after = polls_of(archive.db, "alpha")
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()

    # One poll of alpha may have been under way as the signal came.
    assert alpha_after - alpha_at_reload <= 1
    assert feed_row(archive.db, "alpha")["active"] == 0
    assert feed_row(archive.db, "beta")["active"] == 1
    assert "Traceback" not in "".join(daemon.seen)


@pytest.mark.timeout(120)
def test_the_daemon_keeps_polling_past_a_feed_that_times_out(
    archive: Archive, server: LocalServer
) -> None:
    server.set_text("/slow.xml", empty_feed(server, "Slow"), RSS_TYPE, delay=30)
    server.set_text("/quick.xml", empty_feed(server, "Quick"), RSS_TYPE)
    feeds = [
        {"url": server.url("/slow.xml"), "name": "slow", "interval": "1s"},
        {"url": server.url("/quick.xml"), "name": "quick", "interval": "1s"},
    ]
    write_config(archive, feeds, tick="1s", min_interval="1s", jitter=0, timeout=1.0)
    daemon = Daemon(archive)
    try:
        first = daemon.wait_for("poll feed=slow")
        second = daemon.wait_for("poll feed=slow")
        daemon.wait_for("poll feed=quick")
        running = daemon.process.poll() is None
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()

    assert running
    for line in (first, second):
        assert "status=error" in line and "timed out" in line
    slow = feed_row(archive.db, "slow")
    assert slow["consecutive_failures"] >= 2 and "timed out" in slow["last_error"]
    assert polls_of(archive.db, "quick") >= 2
    assert feed_row(archive.db, "quick")["consecutive_failures"] == 0


@dataclass
class Stopped:
    code: int
    took: float
    log: str


@pytest.fixture
def stopped_mid_poll(archive: Archive, server: LocalServer) -> Stopped:
    """A daemon sent SIGTERM while its tick waits for a page that takes a minute."""
    server.set_text("/a/slow", STORM.html(), "text/html", delay=60)
    server.set_text(
        "/feed.xml",
        rss("Harbour News", server.url("/"), [FeedItem(STORM.title, server.url("/a/slow"))]),
        RSS_TYPE,
    )
    write_config(
        archive,
        [{"url": server.url("/feed.xml"), "name": "news"}],
        tick="1s",
        timeout=90.0,
    )
    daemon = Daemon(archive)
    try:
        wait_until(lambda: server.hits("/a/slow") == 1, 60, "the slow page was requested")
        began = time.monotonic()
        code = daemon.stop(signal.SIGTERM)
        took = time.monotonic() - began
    finally:
        daemon.close()
    return Stopped(code, took, "".join(daemon.seen))


def test_sigterm_during_a_slow_page_exits_promptly_with_the_feed_row_intact(
    stopped_mid_poll: Stopped, archive: Archive
) -> None:
    assert stopped_mid_poll.code == 0
    assert stopped_mid_poll.took < 15
    assert "daemon stopped" in stopped_mid_poll.log
    [(check,)] = [tuple(r.values()) for r in query(archive.db, "PRAGMA integrity_check")]
    assert check == "ok"
    row = feed_row(archive.db, "news")
    # The abandoned poll left no half-record: the feed is as it was, and still due.
    assert row["active"] == 1 and row["consecutive_failures"] == 0
    assert polls_of(archive.db, "news") == 0
    assert when(row["next_poll_at"]) <= datetime.now(UTC)


def test_a_deliberate_stop_during_a_poll_logs_no_error(stopped_mid_poll: Stopped) -> None:
    assert stopped_mid_poll.code == 0
    assert " ERROR " not in stopped_mid_poll.log
    assert "Traceback" not in stopped_mid_poll.log


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_a_running_daemon_polls_each_feed_at_its_computed_interval(
    archive: Archive, server: LocalServer
) -> None:
    tick = 1
    server.set_text("/fast.xml", empty_feed(server, "Fast"), RSS_TYPE)
    server.set_text("/steady.xml", empty_feed(server, "Steady"), RSS_TYPE)
    server.set_text(
        "/cached.xml",
        empty_feed(server, "Cached"),
        RSS_TYPE,
        headers={"Cache-Control": "max-age=8", "ETag": '"c1"'},
    )
    server.set_text("/broken.xml", "Internal error", "text/plain", status=500)
    feeds = [
        {"url": server.url("/fast.xml"), "name": "fast", "interval": "3s"},
        {"url": server.url("/steady.xml"), "name": "steady", "interval": "5s"},
        {"url": server.url("/cached.xml"), "name": "cached", "interval": "2s"},
        {"url": server.url("/broken.xml"), "name": "broken", "interval": "1s"},
    ]
    write_config(archive, feeds, tick=f"{tick}s", min_interval="1s", jitter=0)
    daemon = Daemon(archive)
    try:
        for _ in range(12):  # a minute and a half: eleven gaps of the cached feed's 8 s
            daemon.wait_for("poll feed=cached", timeout=60)
        stopped_at = datetime.now(UTC)
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()

    tolerance = tick + 1  # a poll starts at the first tick after it is due; times are whole s
    expected = {"fast": [3], "steady": [5], "cached": [max(2, 8)]}
    starts = {
        name: poll_starts(archive.db, name) for name in ("fast", "steady", "cached", "broken")
    }
    for name, [interval] in expected.items():
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts[name])]
        assert len(gaps) >= 10, (name, gaps)
        assert all(interval <= g <= interval + tolerance for g in gaps), (name, gaps)
        # Not starved at the end either.
        assert (stopped_at - starts[name][-1]).total_seconds() <= interval + tolerance + 1
    # The failing feed backs off: 1, 2, 4, 8, 16 ... seconds.
    broken_gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts["broken"])]
    assert len(broken_gaps) >= 4, broken_gaps
    for failures, g in enumerate(broken_gaps):
        assert 2**failures <= g <= 2**failures + tolerance, broken_gaps
    # Every feed was polled at the first tick.
    first = [s[0] for s in starts.values()]
    assert (max(first) - min(first)).total_seconds() <= tolerance
    statuses = query(
        archive.db,
        "SELECT f.name, p.status FROM polls p JOIN feeds f ON f.id = p.feed_id",
    )
    assert {r["status"] for r in statuses if r["name"] == "broken"} == {"error"}
    assert {r["status"] for r in statuses if r["name"] == "cached"} == {"ok", "not_modified"}
    assert {r["status"] for r in statuses if r["name"] == "fast"} == {"ok", "unchanged"}
    assert feed_row(archive.db, "broken")["consecutive_failures"] == len(starts["broken"])
