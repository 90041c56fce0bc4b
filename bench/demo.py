"""`make demo`: the whole product offline, on pages that ship with the project.

Serves the project's sample article pages (tests/data/pages, written for the project),
one story of its own, and two feeds pointing at them from a server on 127.0.0.1; polls
them into a demo archive with the real CLI, then edits the story and fetches it again, so
that its history, its diff and Datasette's recently edited articles have an edit to show;
shows a few articles in the layout, then serves Datasette on the archive until Ctrl-C,
and stops everything it started. The archive is thrown away after, unless ``--keep``.
"""

from __future__ import annotations

import argparse
import html
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "data" / "pages"
# The reference article's text belongs to its publisher: it stays in the tests.
NOT_SHOWN = {"kyiv-reference"}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


# The demo's own story, which the publisher edits once the first poll has archived it.
EDITED = "harbour-wall.html"
STORY = (
    "Harbour wall to be rebuilt before winter",
    [
        "The council approved the rebuilding of the harbour wall on Tuesday evening.",
        "Work starts in September and should take eleven weeks, the engineers said.",
        "Fishing boats will moor at the north quay while the wall is closed.",
    ],
)
STORY_EDITED = (
    "Harbour wall to be rebuilt by spring",
    [
        "The council approved the rebuilding of the harbour wall on Tuesday evening.",
        "Work starts in October and should take twenty weeks, the engineers said.",
        "Fishing boats will moor at the north quay while the wall is closed.",
        "Correction: an earlier version of this story gave the wrong start date.",
    ],
)


def story_html(title: str, paragraphs: list[str]) -> str:
    e = html.escape
    body = "\n".join(f"<p>{e(p)}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{e(title)} | Demo News</title>'
        f'<meta property="og:title" content="{e(title)}">'
        '<meta property="article:section" content="Local">'
        '<meta name="author" content="Demo Reporter"></head>'
        f"<body><article><h1>{e(title)}</h1>{body}</article></body></html>\n"
    )


def build_site(site: Path, base_url: str) -> list[str]:
    """Copy the sample pages into ``site``, add the demo's story, and write two RSS feeds;
    returns the page URLs, the story's last."""
    names = sorted(p.stem for p in PAGES.glob("*.html") if p.stem not in NOT_SHOWN)
    urls, items = [], []
    for name in names:
        content = (PAGES / f"{name}.html").read_bytes()
        (site / f"{name}.html").write_bytes(content)
        title = lxml_html.document_fromstring(content).findtext(".//title") or name
        urls.append(f"{base_url}/{name}.html")
        items.append(_item(title.strip(), urls[-1]))
    (site / EDITED).write_text(story_html(*STORY), encoding="utf-8")
    urls.append(f"{base_url}/{EDITED}")
    half = len(items) // 2
    news, blog = [*items[:half], _item(STORY[0], urls[-1])], items[half:]
    for feed, chosen in (("news.xml", news), ("blog.xml", blog)):
        (site / feed).write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Demo {feed}</title><link>{base_url}/</link><description>demo</description>"
            f"{''.join(chosen)}</channel></rss>\n",
            encoding="utf-8",
        )
    return urls


def _item(title: str, url: str) -> str:
    return f"<item><title>{html.escape(title)}</title><link>{url}</link><guid>{url}</guid></item>"


def port_taken(port: int) -> bool:
    """Whether something listens on 127.0.0.1:``port`` already (Datasette would not start,
    and the demo's address would show someone else's server)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def ingester(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ingester", "--config", str(workdir / "feeds.toml")]
    command += ["--db", str(workdir / "demo.db"), *args]
    return subprocess.run(command, check=True, text=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8001, help="Datasette's port")
    parser.add_argument("--no-serve", action="store_true", help="stop before Datasette")
    parser.add_argument("--show", type=int, default=3, help="articles to print")
    parser.add_argument("--keep", action="store_true", help="keep the archive after the demo")
    args = parser.parse_args(argv)
    if not PAGES.is_dir():
        print(f"demo: no sample pages at {PAGES} (run it from a clone of the project)")
        return 1
    if not args.no_serve and port_taken(args.port):
        print(
            f"demo: port {args.port} on 127.0.0.1 is taken (another server?); "
            "give another with --port N",
            file=sys.stderr,
        )
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="ingester-demo-"))
    try:
        return _demo(workdir, args)
    finally:
        if args.keep:
            print(f"kept: {workdir / 'demo.db'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _demo(workdir: Path, args: argparse.Namespace) -> int:
    site = workdir / "site"
    site.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(site)))
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        urls = build_site(site, base_url)
        (workdir / "feeds.toml").write_text(
            "[settings]\nhost_gap = 0\nprivate_pages = true  # the demo site is local\n\n"
            f'[[feeds]]\nurl = "{base_url}/news.xml"\nname = "demo-news"\n\n'
            f'[[feeds]]\nurl = "{base_url}/blog.xml"\nname = "demo-blog"\n',
            encoding="utf-8",
        )
        print(f"demo site on {base_url}/ with {len(urls)} articles in 2 feeds")
        print(f"archive: {workdir / 'demo.db'}\n")
        print(ingester(workdir, "poll", "--all").stdout)
        edited = urls[-1]
        print(f"the publisher edits {edited}; fetched again:")
        (site / EDITED).write_text(story_html(*STORY_EDITED), encoding="utf-8")
        print(ingester(workdir, "fetch", edited).stdout)
        print(ingester(workdir, "history", edited).stdout)
        print(ingester(workdir, "diff", edited).stdout)
        for url in urls[: args.show]:
            print("=" * 72)
            print(ingester(workdir, "show", url).stdout)
        if not args.no_serve:
            return _serve(workdir, args.port, edited)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    return 0


def _serve(workdir: Path, port: int, edited: str) -> int:
    room = f"http://127.0.0.1:{port}"
    story = urllib.parse.quote(edited, safe="")
    print(f"the reading room on {room}/ - Ctrl-C stops the demo", flush=True)
    print(f"  the edited story: {room}/-/article?url={story}", flush=True)
    print(f"  what changed:     {room}/-/diff?url={story}&a=1&b=2", flush=True)
    print(f"  the edits feed:   {room}/-/edits.atom", flush=True)
    serve = [sys.executable, "-m", "ingester", "--config", str(workdir / "feeds.toml")]
    serve += ["--db", str(workdir / "demo.db"), "serve", "--port", str(port)]
    process = subprocess.Popen(serve)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=10)
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
