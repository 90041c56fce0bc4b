"""`make demo`: the whole product offline, on pages that ship with the project.

Serves the project's sample article pages (tests/data/pages, written for the project)
and two feeds pointing at them from a server on 127.0.0.1, polls them into a demo
archive with the real CLI, shows a few articles in the layout, then serves Datasette on
the archive until Ctrl-C, and stops everything it started.
"""

from __future__ import annotations

import argparse
import html
import subprocess
import sys
import tempfile
import threading
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


def build_site(site: Path, base_url: str) -> list[str]:
    """Copy the sample pages into ``site`` and write two RSS feeds; returns page URLs."""
    names = sorted(p.stem for p in PAGES.glob("*.html") if p.stem not in NOT_SHOWN)
    urls, items = [], []
    for name in names:
        content = (PAGES / f"{name}.html").read_bytes()
        (site / f"{name}.html").write_bytes(content)
        title = lxml_html.document_fromstring(content).findtext(".//title") or name
        url = f"{base_url}/{name}.html"
        urls.append(url)
        items.append(
            f"<item><title>{html.escape(title.strip())}</title><link>{url}</link>"
            f"<guid>{url}</guid></item>"
        )
    half = len(items) // 2
    for feed, chosen in (("news.xml", items[:half]), ("blog.xml", items[half:])):
        (site / feed).write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Demo {feed}</title><link>{base_url}/</link><description>demo</description>"
            f"{''.join(chosen)}</channel></rss>\n",
            encoding="utf-8",
        )
    return urls


def ingester(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ingester", "--config", str(workdir / "feeds.toml")]
    command += ["--db", str(workdir / "demo.db"), *args]
    return subprocess.run(command, check=True, text=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8001, help="Datasette's port")
    parser.add_argument("--no-serve", action="store_true", help="stop before Datasette")
    parser.add_argument("--show", type=int, default=3, help="articles to print")
    args = parser.parse_args(argv)
    if not PAGES.is_dir():
        print(f"demo: no sample pages at {PAGES} (run it from a clone of the project)")
        return 1
    with tempfile.TemporaryDirectory(prefix="ingester-demo-") as tmp:
        workdir = Path(tmp)
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
            print(f"demo site on {base_url}/ with {len(urls)} articles in 2 feeds\n")
            print(ingester(workdir, "poll", "--all").stdout)
            for url in urls[: args.show]:
                print("=" * 72)
                print(ingester(workdir, "show", url).stdout)
            if not args.no_serve:
                print(f"Datasette on http://127.0.0.1:{args.port}/ - Ctrl-C stops the demo")
                serve = [sys.executable, "-m", "ingester", "--config", str(workdir / "feeds.toml")]
                serve += ["--db", str(workdir / "demo.db"), "serve", "--port", str(args.port)]
                process = subprocess.Popen(serve)
                try:
                    process.wait()
                except KeyboardInterrupt:
                    process.terminate()
                    process.wait(timeout=10)
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
