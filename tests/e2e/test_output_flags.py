"""`--quiet` and `--verbose` work before the command name and after it alike."""

from __future__ import annotations

import pytest

from tests.support.cli import Archive
from tests.support.httpserver import LocalServer
from tests.support.samples import FeedItem, SamplePage, rss, sentences

pytestmark = pytest.mark.e2e

FERRY = SamplePage("Ferry timetable changes in winter", sentences("the ferry"))


@pytest.fixture
def polled(archive: Archive, server: LocalServer) -> Archive:
    server.set_text("/ferry", FERRY.html(), "text/html")
    items = [FeedItem(FERRY.title, server.url("/ferry"))]
    server.set_text("/harbour.xml", rss("Harbour", server.url("/"), items), "application/rss+xml")
    archive.write_config(
        f'[settings]\nhost_gap = 0\n\n[[feeds]]\nurl = "{server.url("/harbour.xml")}"\n'
        'name = "harbour"\n'
    )
    archive.cli("poll", "--all")
    return archive


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_after_the_command_silences_progress_like_before_it(
    polled: Archive, flag: str
) -> None:
    loud = polled.cli("export", str(polled.dir / "a"))
    before = polled.cli(flag, "export", str(polled.dir / "b"))
    after = polled.cli("export", str(polled.dir / "c"), flag)
    nested = polled.cli("feeds", "list", flag)

    assert b"export: 1 done" in loud.stderr
    assert before.stderr == after.stderr == nested.stderr == b""
    assert after.stdout.startswith(b"exported 1 version to ")


def test_verbose_after_the_command_logs_every_poll_like_before_it(polled: Archive) -> None:
    plain = polled.cli("poll", "--all")
    before = polled.cli("--verbose", "poll", "--all")
    after = polled.cli("poll", "--all", "-v")

    assert b"poll feed=harbour" not in plain.stderr  # unchanged: counted, not logged
    assert b"poll feed=harbour status=unchanged" in before.stderr
    assert b"poll feed=harbour status=unchanged" in after.stderr
