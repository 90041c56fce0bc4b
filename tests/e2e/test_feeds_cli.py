"""`ingester feeds` and `ingester opml`: the config file edited in place, the archive follows."""

from __future__ import annotations

import json
import signal
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.cli import PROJECT, Archive, Daemon

pytestmark = pytest.mark.e2e

SHIPPED = (PROJECT / "config/feeds.toml").read_text(encoding="utf-8")


@pytest.fixture
def configured(archive: Archive) -> Archive:
    archive.config.write_text(SHIPPED, encoding="utf-8")  # as shipped: nothing added
    return archive


def feed_rows(db: Path) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT url, name, section, active FROM feeds ORDER BY id").fetchall()


def test_feeds_add_appends_and_keeps_comments_and_order(configured: Archive) -> None:
    out = configured.out(
        "feeds",
        "add",
        "https://example.org/feed.xml",
        "--name",
        "ex",
        "--section",
        "Tech",
        "--interval",
        "2h",
    )

    text = configured.config.read_text(encoding="utf-8")
    assert out.startswith("added ex")
    assert text.startswith(SHIPPED.rstrip("\n"))  # every comment and feed as it was
    assert text.endswith(
        '\n\n[[feeds]]\nurl = "https://example.org/feed.xml"\nname = "ex"\nsection = "Tech"\n'
        'interval = "2h"\n'
    )
    listed = json.loads(configured.out("feeds", "list", "--json"))
    assert listed[-1] == {
        "url": "https://example.org/feed.xml",
        "name": "ex",
        "title": None,
        "site_url": None,
        "section": "Tech",
        "interval": 7200,
        "last_status": None,
        "next_poll_at": None,
    }
    assert [row["name"] for row in listed][:2] == ["kyiv-independent", "bbc-world"]


def test_feeds_remove_takes_out_one_table_and_the_archive_follows(configured: Archive) -> None:
    configured.cli("feeds", "add", "https://example.org/feed.xml", "--name", "ex")
    configured.db.touch()
    configured.cli("feeds", "list")  # the archive exists but has not synced yet
    configured.cli("feeds", "remove", "https://example.org/feed.xml")
    configured.cli("feeds", "remove", "bbc-world")

    text = configured.config.read_text(encoding="utf-8")
    assert "example.org" not in text and "bbc" not in text
    assert "# Feeds the daemon polls" in text and "kyivindependent.com" in text
    rows = {str(url): active for url, _, _, active in feed_rows(configured.db)}
    assert rows["https://feeds.bbci.co.uk/news/world/rss.xml"] == 0
    assert rows["https://kyivindependent.com/news-archive/rss/"] == 1


def test_feeds_add_refuses_a_duplicate_and_a_bad_url_without_touching_the_file(
    configured: Archive,
) -> None:
    duplicate = configured.cli(
        "feeds", "add", "https://kyivindependent.com/news-archive/rss/", check=False
    )
    bad = configured.cli("feeds", "add", "file:///etc/passwd", check=False)

    assert duplicate.returncode == 1 and "already in" in duplicate.stderr.decode()
    assert bad.returncode == 1 and "http(s)" in bad.stderr.decode()
    assert len(bad.stderr.decode().strip().splitlines()) == 1
    assert configured.config.read_text(encoding="utf-8") == SHIPPED


OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="World">
      <outline text="Example World" type="rss" xmlUrl="https://example.com/world.xml"/>
      <outline text="Europe">
        <outline text="Example Europe" type="rss" xmlUrl="https://example.com/europe.xml"/>
      </outline>
    </outline>
    <outline text="Loose feed" type="rss" xmlUrl="https://example.net/feed"/>
  </body>
</opml>
"""


def test_opml_import_files_nested_outlines_under_their_nearest_category(
    archive: Archive, tmp_path: Path
) -> None:
    (tmp_path / "subs.opml").write_text(OPML, encoding="utf-8")

    out = archive.out("opml", "import", str(tmp_path / "subs.opml"))
    again = archive.out("opml", "import", str(tmp_path / "subs.opml"))

    assert out.strip() == "added 3 feeds, 0 already there"
    assert again.strip() == "added 0 feeds, 3 already there"
    listed = json.loads(archive.out("feeds", "list", "--json"))
    assert [(f["url"], f["name"], f["title"], f["section"]) for f in listed] == [
        ("https://example.com/world.xml", "example-world", "Example World", "World"),
        ("https://example.com/europe.xml", "example-europe", "Example Europe", "Europe"),
        ("https://example.net/feed", "loose-feed", "Loose feed", None),
    ]


SITES = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>Mine</title></head><body>
  <outline text="Kyiv Independent: News" type="rss" xmlUrl="https://kyiv.example/rss"
           htmlUrl="https://kyiv.example/"/>
  <outline text="Kyiv Independent: News" type="rss" xmlUrl="https://kyiv.example/rss2"/>
  <outline text="Café Olé — Blog" type="rss" xmlUrl="https://cafe.example/feed"/>
</body></opml>
"""


def test_opml_titles_become_slug_names_and_titles_and_site_urls_are_kept(
    archive: Archive, tmp_path: Path
) -> None:
    (tmp_path / "sites.opml").write_text(SITES, encoding="utf-8")

    archive.cli("opml", "import", str(tmp_path / "sites.opml"))
    exported = archive.out("opml", "export")

    listed = json.loads(archive.out("feeds", "list", "--json"))
    assert [(f["name"], f["title"], f["site_url"]) for f in listed] == [
        ("kyiv-independent-news", "Kyiv Independent: News", "https://kyiv.example/"),
        ("kyiv-independent-news-2", "Kyiv Independent: News", None),
        ("cafe-ole-blog", "Café Olé — Blog", None),
    ]
    assert (
        '<outline type="rss" text="Kyiv Independent: News" title="Kyiv Independent: News"'
        ' xmlUrl="https://kyiv.example/rss" htmlUrl="https://kyiv.example/"/>'
    ) in exported
    assert '<outline type="rss" text="Café Olé — Blog" title="Café Olé — Blog"' in exported


def test_opml_export_round_trips_through_import(configured: Archive, tmp_path: Path) -> None:
    exported = configured.out("opml", "export")
    (tmp_path / "out.opml").write_text(exported, encoding="utf-8")
    other = Archive(tmp_path / "other")
    other.dir.mkdir()

    other.cli("opml", "import", str(tmp_path / "out.opml"))

    def feeds(a: Archive) -> list[tuple[str, str, str]]:
        rows = json.loads(a.out("feeds", "list", "--json"))
        return sorted((r["url"], r["name"], r["section"]) for r in rows)

    assert feeds(other) == feeds(configured)


@pytest.mark.parametrize(
    "hostile",
    [
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        '<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/f"/></body></opml>',
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<opml version="2.0"><body><outline text="&x;" xmlUrl="https://x.example/f"/></body></opml>',
        '<?xml version="1.0"?><!DOCTYPE opml SYSTEM "http://127.0.0.1:9/opml.dtd">'
        '<opml version="2.0"><body><outline text="t" xmlUrl="https://x.example/f"/></body></opml>',
    ],
    ids=["entity-expansion", "xxe-file", "external-dtd"],
)
def test_a_hostile_opml_is_refused(configured: Archive, tmp_path: Path, hostile: str) -> None:
    (tmp_path / "bad.opml").write_text(hostile, encoding="utf-8")

    done = configured.cli("opml", "import", str(tmp_path / "bad.opml"), check=False)

    assert done.returncode == 1
    message = done.stderr.decode().strip()
    assert len(message.splitlines()) == 1 and "refused" in message
    assert configured.config.read_text(encoding="utf-8") == SHIPPED


def test_an_empty_feed_list_says_no_feeds_are_configured(archive: Archive) -> None:
    archive.write_config("[settings]\nhost_gap = 0\n")

    listed = archive.out("feeds", "list")
    polled = archive.out("poll")
    every = archive.out("poll", "--all")

    for out in (listed, polled, every):
        assert out == f"no feeds configured in {archive.config} (add one: ingester feeds add URL)\n"


def test_the_daemon_warns_when_no_feeds_are_configured(archive: Archive) -> None:
    archive.write_config("[settings]\nhost_gap = 0\n")
    daemon = Daemon(archive)
    try:
        line = daemon.wait_for("no feeds configured", timeout=30)
        assert " WARNING " in line and str(archive.config) in line
        assert daemon.stop(signal.SIGTERM) == 0
    finally:
        daemon.close()
