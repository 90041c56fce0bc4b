"""The benchmark's web: many feeds on many loopback hosts, their pages, and nginx serving them.

Every host is its own loopback address (``127.1.x.y``), so the daemon's per-host limits see
as many hosts as a real subscription list would; nginx listens on all of them in one
``server`` block. nginx's static handler gives every file an ETag and a Last-Modified and
answers conditional requests with 304, as a well-behaved feed server does; a rewritten
file gets an mtime a few seconds later than any before, so both validators change even
when its size does not.

Feeds link to generated news pages, shared within a host so the first poll extracts a few
pages per host rather than one per item; new articles link to the real pages of the
article-extraction benchmark, each served under many distinct URLs.
"""

from __future__ import annotations

import gzip
import os
import random
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench import procs

# A real page is served as /real/<n>-<page id>.html for any n: one file, many article URLs.
REAL_LOCATION = r"^/real/(\d+)-([0-9a-f]+)\.html$"
PEER_LOG = "nginx-peer.log"  # statuses of another reader's requests (nginx_conf's peer_agent)
TIMING_LOG = "nginx-timing.log"  # every request with its times (nginx_conf's timing_log)
ROBOTS_TXT = "User-agent: *\nDisallow: /search/\nDisallow: /account/\n"
# The feeds' dates count back from here, so the generated site is the same on every run.
EPOCH = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


def host_address(index: int) -> str:
    """The loopback address of host ``index``: 250 hosts per 127.1.x.0/24."""
    if not 0 <= index < 250 * 256:
        raise ValueError(f"host index out of range: {index}")
    return f"127.1.{index // 250}.{index % 250 + 1}"


# TEST-NET-2 (RFC 5737): the hosts of a site that other network namespaces reach
# (bench/cluster.py), where a namespace's own loopback cannot.
TEST_NET = "198.51.100"


def test_net_address(index: int) -> str:
    if not 0 <= index < 254:
        raise ValueError(f"host index out of range for {TEST_NET}.0/24: {index}")
    return f"{TEST_NET}.{index + 1}"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the same port is then used on every host)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Layout:
    """The shape of the site; every URL follows from it."""

    feeds: int
    hosts: int
    port: int
    items_per_feed: int = 3
    articles_per_host: int = 6
    test_net: bool = False  # hosts on TEST_NET (for other namespaces), not on loopback

    def host_of(self, feed: int) -> int:
        return feed % self.hosts  # round-robin: neighbouring feeds are on different hosts

    def address(self, host: int) -> str:
        return test_net_address(host) if self.test_net else host_address(host)

    def addresses(self) -> list[str]:
        return [self.address(host) for host in range(self.hosts)]

    def origin(self, host: int) -> str:
        return f"http://{self.address(host)}:{self.port}"

    def feed_url(self, feed: int) -> str:
        return f"{self.origin(self.host_of(feed))}/feeds/{feed}.xml"

    def article_url(self, host: int, article: int) -> str:
        return f"{self.origin(host)}/articles/{host}-{article}.html"

    def real_url(self, host: int, serial: int, page_id: str) -> str:
        return f"{self.origin(host)}/real/{serial}-{page_id}.html"


@dataclass(frozen=True, slots=True)
class Item:
    title: str
    link: str
    guid: str
    published: datetime
    description: str


# -- feeds ------------------------------------------------------------------------------


def base_items(layout: Layout, feed: int) -> list[Item]:
    """A feed's first items: each links one of its host's generated articles."""
    host = layout.host_of(feed)
    nth = feed // layout.hosts  # this feed's place among its host's feeds
    items = []
    for i in range(layout.items_per_feed):
        article = (nth * layout.items_per_feed + i) % layout.articles_per_host
        items.append(
            Item(
                title=headline(host, article),
                link=layout.article_url(host, article),
                guid=f"bench-feed-{feed}-item-{i}",
                published=EPOCH - timedelta(hours=article + 1),
                description=f"{teaser(host, article)} (feed {feed}, item {i})",
            )
        )
    return items


def new_item(layout: Layout, feed: int, serial: int, page_id: str) -> Item:
    """An item that was not in the feed before, linking a real page under a URL of its own."""
    host = layout.host_of(feed)
    return Item(
        title=f"Breaking story {serial} from host {host}",
        link=layout.real_url(host, serial, page_id),
        guid=f"bench-feed-{feed}-new-{serial}",
        published=EPOCH + timedelta(minutes=serial),
        description=f"A new story, number {serial}, first seen in feed {feed}.",
    )


def render_feed(layout: Layout, feed: int, items: Sequence[Item], built: datetime) -> bytes:
    """RSS 2.0, as a CMS writes it: channel metadata, then items newest first."""
    host = layout.host_of(feed)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0">\n<channel>\n',
        f"<title>Bench feed {feed}</title>\n",
        f"<link>{layout.origin(host)}/</link>\n",
        f"<description>News from host {host}, section {feed // layout.hosts}</description>\n",
        f"<lastBuildDate>{format_datetime(built)}</lastBuildDate>\n",
    ]
    for item in items:
        parts.append(
            "<item>\n"
            f"<title>{escape(item.title)}</title>\n"
            f"<link>{escape(item.link)}</link>\n"
            f'<guid isPermaLink="false">{escape(item.guid)}</guid>\n'
            f"<pubDate>{format_datetime(item.published)}</pubDate>\n"
            f"<description>{escape(item.description)}</description>\n"
            "</item>\n"
        )
    parts.append("</channel>\n</rss>\n")
    return "".join(parts).encode("utf-8")


# -- generated article pages ------------------------------------------------------------

_VOCABULARY = (
    "council budget river bridge school hospital minister election market harbour festival "
    "police court railway museum library weather storm farmers energy prices housing "
    "airport teachers union contract vote plan report study researchers officials residents "
    "company workers factory project funding mayor district village coast mountain forest "
    "season team match coach players stadium fans record result crowd evening morning "
    "yesterday tomorrow week month year announced said warned expected agreed rejected "
    "opened closed delayed approved reviewed promised claimed reported confirmed denied "
    "new old local national regional public private major minor early late strong weak "
    "higher lower several many few most some every first last second final annual"
)
_FIRST_NAMES = "Ana Ben Chloe Dara Emil Farah Gus Hana Ivo Jun Kira Lars Mina Noor Otto Pia"
_LAST_NAMES = "Berg Costa Diallo Eriksen Fischer Garcia Haddad Ito Jansen Kowalski Lund"
_WORDS = _VOCABULARY.split()
_NAMES = _FIRST_NAMES.split()
_SURNAMES = _LAST_NAMES.split()


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 22))]
    return " ".join(words).capitalize() + rng.choice(".....?!")


def _rng(host: int, article: int) -> random.Random:
    return random.Random(host * 1009 + article)


def headline(host: int, article: int) -> str:
    rng = _rng(host, article)
    return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(5, 9))).capitalize()


def teaser(host: int, article: int) -> str:
    return _sentence(random.Random(host * 1009 + article + 500_000))


def render_article(host: int, article: int) -> bytes:
    """A small news page: navigation, headline, byline, paragraphs, a sidebar, a footer."""
    rng = _rng(host, article)
    title = headline(host, article)
    rng.random()  # headline() drew from a twin generator; move on from the same seed
    author = f"{rng.choice(_NAMES)} {rng.choice(_SURNAMES)}"
    day = EPOCH - timedelta(hours=article + 1)
    paragraphs = [
        " ".join(_sentence(rng) for _ in range(rng.randint(3, 6))) for _ in range(rng.randint(4, 8))
    ]
    nav = "".join(
        f'<li><a href="/section/{name}.html">{name.title()}</a></li>'
        for name in ("news", "politics", "business", "sport", "culture", "weather")
    )
    sidebar = "".join(
        f'<li><a href="/articles/{host}-{(article + k) % 50}.html">{_sentence(rng)[:60]}</a></li>'
        for k in range(1, 6)
    )
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)} | Host {host} News</title>
<meta name="description" content="{escape(teaser(host, article))}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="{day.isoformat()}">
</head>
<body>
<header><a class="logo" href="/">Host {host} News</a><nav><ul>{nav}</ul></nav></header>
<main>
<article>
<h1>{escape(title)}</h1>
<p class="byline">By <span class="author">{author}</span>,
<time datetime="{day.isoformat()}">{day:%d %B %Y}</time></p>
{body}
</article>
<aside class="sidebar"><h2>Most read</h2><ul>{sidebar}</ul>
<div class="newsletter">Sign up for our morning newsletter. Unsubscribe at any time.</div>
</aside>
</main>
<footer><p>&copy; 2025 Host {host} News. All rights reserved.</p>
<ul><li><a href="/about.html">About</a></li><li><a href="/contact.html">Contact</a></li>
<li><a href="/privacy.html">Privacy</a></li></ul></footer>
</body>
</html>
"""
    return page.encode("utf-8")


# -- the site on disk -------------------------------------------------------------------


class Site:
    """The files nginx serves, under ``root``, and the rewrites the phases make."""

    def __init__(self, root: Path, layout: Layout) -> None:
        self.root = root
        self.layout = layout
        self.generation = 0  # rewrites so far: each moves the mtimes further forward
        self.real_pages: list[str] = []  # ids of the real pages served under /real/

    def feed_path(self, feed: int) -> Path:
        return self.root / "feeds" / f"{feed}.xml"

    def write(self, corpus: Path | None) -> None:
        """Every feed (version 1), every generated article, the real pages if available."""
        layout = self.layout
        (self.root / "feeds").mkdir(parents=True)
        (self.root / "articles").mkdir()
        (self.root / "real").mkdir()
        # Article pages are fetched only where robots.txt allows; news sites keep one.
        (self.root / "robots.txt").write_text(ROBOTS_TXT)
        for host in range(layout.hosts):
            for article in range(layout.articles_per_host):
                path = self.root / "articles" / f"{host}-{article}.html"
                path.write_bytes(render_article(host, article))
        for feed in range(layout.feeds):
            self.feed_path(feed).write_bytes(
                render_feed(layout, feed, base_items(layout, feed), EPOCH)
            )
        if corpus is not None:
            for source in sorted(corpus.glob("*.html.gz")):
                page_id = source.name.removesuffix(".html.gz")
                (self.root / "real" / f"{page_id}.html").write_bytes(
                    gzip.decompress(source.read_bytes())
                )
                self.real_pages.append(page_id)

    def rewrite(self, contents: dict[int, bytes]) -> None:
        """Replace feed files; their mtime moves forward so ETag and Last-Modified change."""
        self.generation += 1
        stamp = int(time.time()) + 10 * self.generation
        for feed, content in contents.items():
            path = self.feed_path(feed)
            path.write_bytes(content)
            os.utime(path, (stamp, stamp))

    def rebuild_all(self, built: datetime) -> None:
        """Every feed again with the same items and a new lastBuildDate."""
        layout = self.layout
        self.rewrite(
            {
                feed: render_feed(layout, feed, base_items(layout, feed), built)
                for feed in range(layout.feeds)
            }
        )

    def add_new_items(self, count: int, built: datetime, first_serial: int = 0) -> list[str]:
        """One new item in each of the first ``count`` feeds (round-robin, so ``count``
        different hosts while count <= hosts), each linking a distinct article URL that
        serves a real page, or a new generated one when the corpus is absent. Calls with
        different ``first_serial`` values give different URLs (rounds of new articles).

        Returns the new article URLs."""
        if count > self.layout.feeds:
            raise ValueError(f"{count} new articles need as many feeds, not {self.layout.feeds}")
        contents: dict[int, bytes] = {}
        urls = []
        for feed in range(count):
            if self.real_pages:
                page_id = self.real_pages[feed % len(self.real_pages)]
                item = new_item(self.layout, feed, first_serial + feed, page_id)
            else:
                item = self._generated_new_item(feed)
            items = [item, *base_items(self.layout, feed)]
            contents[feed] = render_feed(self.layout, feed, items, built)
            urls.append(item.link)
        self.rewrite(contents)
        return urls

    def _generated_new_item(self, feed: int) -> Item:
        """Without the corpus: a new generated page, numbered past the shared ones."""
        layout = self.layout
        host = layout.host_of(feed)
        article = layout.articles_per_host + feed
        path = self.root / "articles" / f"{host}-{article}.html"
        path.write_bytes(render_article(host, article))
        return Item(
            title=headline(host, article),
            link=layout.article_url(host, article),
            guid=f"bench-feed-{feed}-new-{feed}",
            published=EPOCH + timedelta(minutes=feed),
            description=teaser(host, article),
        )


# -- nginx ------------------------------------------------------------------------------


def nginx_conf(
    workdir: Path,
    site: Path,
    port: int,
    hosts: int,
    user: str | None,
    gzip: bool = False,
    peer_agent: str | None = None,
    addresses: Sequence[str] | None = None,
    timing_log: bool = False,
    page_rate: int | None = None,
) -> str:
    """One server block listening on 127.0.0.1 and every host address, serving ``site``;
    with ``gzip``, pages and feeds compressed for clients that accept it, as most of the
    web serves them. With ``peer_agent``, the status of each request whose User-Agent
    starts with it (another feed reader polling the same site) is logged to
    ``PEER_LOG`` in ``workdir``, and nothing else is: the daemon's requests cost nginx
    no log line.

    ``addresses`` replaces the loopback hosts (a cluster's site on TEST_NET). With
    ``timing_log``, every request is logged to ``TIMING_LOG`` with when it ended, how
    long it took, which host it was for and who asked (``$msec $request_time
    $server_addr $remote_addr $status $request_uri``), which is how per-host limits are
    read back; ``page_rate`` sends article pages at that many bytes a second, so
    requests last long enough to overlap where limits would let them.

    Every path nginx would write to (pid, logs, temp folders) is inside ``workdir``.
    ``user`` is set only when running as root, where nginx would otherwise switch its
    worker to ``nobody``, who cannot read a private temporary folder.
    """
    # Each listening socket takes a connection slot in the worker; the rest are clients.
    connections = hosts + 1 + 16384
    served = list(addresses) if addresses is not None else [host_address(i) for i in range(hosts)]
    listens = "\n".join(f"        listen {address}:{port};" for address in ["127.0.0.1", *served])
    temp = "\n".join(
        f"    {kind}_temp_path {workdir}/nginx-temp/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user_line = f"user {user};\n" if user else ""
    compression = "gzip on;\n    gzip_types application/rss+xml;" if gzip else "gzip off;"
    logging = "access_log off;"
    if peer_agent is not None:
        # Written into the regex as it is: only characters that match themselves.
        if not re.fullmatch(r"[A-Za-z0-9_./-]+", peer_agent):
            raise ValueError(f"peer_agent must be letters, digits and _./-: {peer_agent!r}")
        logging = (
            f'map $http_user_agent $peer_request {{\n        "~^{peer_agent}" 1;\n'
            "        default 0;\n    }\n"
            "    log_format peer_status '$status';\n"
            f"    access_log {workdir / PEER_LOG} peer_status if=$peer_request;"
        )
    if timing_log:
        logging = (
            "log_format timing '$msec $request_time $server_addr $remote_addr $status "
            "$request_uri';\n"
            f"    access_log {workdir / TIMING_LOG} timing;"
        )
    rate = (
        f"\n        location /articles/ {{\n            limit_rate {page_rate};\n        }}"
        if page_rate
        else ""
    )
    return f"""# Written by bench/site.py for one benchmark run.
{user_line}worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
worker_rlimit_nofile {connections + 1024};

events {{
    worker_connections {connections};
}}

http {{
    {logging}
    log_not_found off;
    keepalive_requests 100000;
    keepalive_timeout 300s;
    sendfile on;
    tcp_nodelay on;
    {compression}
    types {{
        application/rss+xml xml;
        text/html html;
    }}
    default_type application/octet-stream;
{temp}

    server {{
{listens}
        root {site};

        location ~ {REAL_LOCATION} {{
            try_files /real/$2.html =404;
        }}{rate}
    }}
}}
"""


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_version(binary: str) -> str:
    done = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10, check=False)
    return (done.stderr or done.stdout).strip().removeprefix("nginx version: ")


class Nginx:
    """nginx in the foreground (``daemon off``), so the PID is our child's; stopped by it."""

    def __init__(
        self,
        workdir: Path,
        site: Path,
        port: int,
        hosts: int,
        gzip: bool = False,
        peer_agent: str | None = None,
        prefix: Sequence[str] = (),
        **options: Any,
    ) -> None:
        """``prefix`` runs it (``ip netns exec NAME``: in another network namespace);
        ``options`` go to nginx_conf (addresses, timing_log, page_rate)."""
        self.workdir = workdir
        self.prefix = list(prefix)
        self.peer_log = workdir / PEER_LOG if peer_agent is not None else None
        self.port = port
        self.binary = nginx_binary()
        self.conf = workdir / "nginx.conf"
        user = None
        if os.geteuid() == 0:
            import grp
            import pwd

            user = f"{pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name}"
        self.conf.write_text(
            nginx_conf(workdir, site, port, hosts, user, gzip, peer_agent, **options)
        )
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (workdir / "nginx-temp" / kind).mkdir(parents=True, exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(
        self, probe: str, timeout: float = 20.0, ready: Callable[[], bool] | None = None
    ) -> None:
        """Start nginx and wait until ``probe`` (a URL it serves) answers 200, or until
        ``ready`` says so (where this process cannot reach it)."""
        self.proc = subprocess.Popen(
            [
                *self.prefix,
                self.binary,
                "-c",
                str(self.conf),
                "-p",
                str(self.workdir),
                "-e",
                str(self.workdir / "nginx-error.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.proc.returncode}: {self.log_tail()}")
            if ready is not None:
                if ready():
                    return
                time.sleep(0.1)
                continue
            try:
                with opener.open(probe, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"nginx did not answer {probe} within {timeout:.0f} s: {self.log_tail()}"
        )

    def log_tail(self, lines: int = 5) -> str:
        path = self.workdir / "nginx-error.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return " | ".join(text.strip().splitlines()[-lines:]) or "(no error log)"

    def stop(self) -> None:
        if self.proc is not None:
            procs.stop(self.proc, grace=10.0)
