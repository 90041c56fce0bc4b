"""Every command once with a terminal for its output (a pty), as a user at a prompt runs it:
progress bars and colours are only drawn there, so only there can they break."""

from __future__ import annotations

import pytest

from tests.support.cli import Archive, Terminal
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences
from tests.support.serving import free_port

pytestmark = pytest.mark.e2e

FERRY = SamplePage("Ferry timetable changes in winter", sentences("the ferry"))
MARKET = SamplePage("Night market returns to the square", sentences("the market"))
OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="Local" title="Local"><outline type="rss" text="Culture" xmlUrl="{url}"/></outline>
</body></opml>"""


@pytest.fixture
def site(archive: Archive, server: LocalServer) -> Archive:
    server.set_text("/ferry", FERRY.html(), "text/html")
    server.set_text("/market", MARKET.html(), "text/html")
    items = [FeedItem(FERRY.title, server.url("/ferry"))]
    server.set_text("/harbour.xml", rss("Harbour", server.url("/"), items), "application/rss+xml")
    culture = [FeedItem(MARKET.title, server.url("/market"))]
    server.set_text("/culture.xml", rss("Culture", server.url("/"), culture), "application/rss+xml")
    archive.write_config(
        "[settings]\nhost_gap = 0\ntick = 3600\n\n"
        f'[[feeds]]\nurl = "{server.url("/harbour.xml")}"\nname = "harbour"\n'
    )
    return archive


@pytest.mark.timeout(300)
def test_every_command_runs_on_a_terminal_without_a_traceback(
    site: Archive, server: LocalServer
) -> None:
    ferry = server.url("/ferry")
    edited = FERRY.edited(title="Ferry timetable changes again")
    (site.dir / "subs.opml").write_text(OPML.format(url=server.url("/culture.xml")))
    steps: list[tuple[tuple[str, ...], str | None, int]] = [
        (("poll", "--all"), None, 0),
        (("run",), "daemon started", 0),
        (("status",), None, 0),
        (("fetch", server.url("/harbour.xml")), None, 0),
        (("fetch", ferry), None, 0),
        (("fetch", ferry, "--dry-run"), None, 0),
        (("show", ferry), None, 0),
        (("history", ferry), None, 0),
        (("diff", ferry), None, 0),
        (("search", "ferry"), None, 0),
        (("reextract", "--all"), None, 0),
        (("export", str(site.dir / "out")), None, 0),
        (("export", str(site.dir / "jsonl"), "--format", "jsonl"), None, 0),
        (("serve", "--port", str(free_port())), "Datasette on", 0),
        (("feeds", "add", server.url("/other.xml"), "--name", "other"), None, 0),
        (("feeds", "list"), None, 0),
        (("feeds", "remove", "other"), None, 0),
        (("opml", "import", str(site.dir / "subs.opml")), None, 0),
        (("opml", "export"), None, 0),
        (("show", server.url("/nowhere")), None, 1),
        (("nosuchcommand",), None, 2),
    ]
    failures = []
    for args, until, expected in steps:
        if args == ("fetch", ferry):
            server.set_text("/ferry", edited.html(), "text/html")  # so diff has two versions
        done: Terminal = site.tty(*args, until=until)
        if "Traceback" in done.output or done.returncode != expected:
            failures.append(f"{' '.join(args)}: exit {done.returncode}\n{done.output}")
    assert not failures, "\n\n".join(failures)
