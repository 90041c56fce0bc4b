"""The reading room's pages, as Datasette views: the front page, an article, a diff of two
of its versions, the page as captured, search and the edits feed. Every read goes through
``store/reading.py`` on Datasette's read-only connection; every string from a page is
escaped by the templates (autoescape) or by ``marks.py``."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from datasette.utils.asgi import NotFound, Request, Response
from markupsafe import Markup

from ...errors import NotFound as IngesterNotFound
from ...fetch.records import stored_content
from ...render.diff import paragraph_segments
from ...store import reading
from ...store.identity import VERSION_FIELDS
from ...store.raw_pages import raw_content
from ...store.reading import ArticleView, VersionView
from ..browse import REPLAY_BASE
from ..replay import replay_url
from .atom import edits_feed
from .chart import bars_svg
from .marks import diff_html, snippet_html

if TYPE_CHECKING:  # datasette.app imports its plugins, this one among them
    from datasette.app import Datasette
    from datasette.database import Database

WORDS_PER_MINUTE = 230  # a common reading speed for news prose
EDITS_IN_FEED = 50
# What an archived page may do in the reading room: show its own styles and inline
# images, nothing else; no script runs, no request leaves (the sandbox and the policy
# each forbid it).
RAW_PAGE_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
# The most a captured page may decode to here: above the fetcher's default cap
# (max_page_bytes), which every captured page was read within, and a bound all the same.
RAW_PAGE_MAX_BYTES = 64 * 1024 * 1024


def archive_database(datasette: Datasette) -> Database:
    """The archive: the first database attached (``ingester serve`` attaches only it)."""
    for name, database in datasette.databases.items():
        if not name.startswith("_"):
            return database
    raise NotFound("no archive attached")


def article_path(datasette: Datasette, url: str, version: int | None = None) -> str:
    query = {"url": url, **({"version": version} if version is not None else {})}
    return str(datasette.urls.path("/-/article")) + "?" + urlencode(query)


def diff_path(datasette: Datasette, url: str, a: int, b: int) -> str:
    return str(datasette.urls.path("/-/diff")) + "?" + urlencode({"url": url, "a": a, "b": b})


def replay_path(datasette: Datasette, version: VersionView) -> str | None:
    """The version's capture in ``ingester replay`` (pywb), as it was received; None for
    a version with no capture. Where replay runs comes from the plugin's configuration
    (``plugins: {ingester: {replay: URL}}``), by default where it starts by default."""
    if version.capture is None:
        return None
    config = datasette.plugin_config("ingester") or {}
    base = config.get("replay") if isinstance(config, dict) else None
    return replay_url(str(base or REPLAY_BASE), version.capture.date, version.capture.url)


async def _render(
    datasette: Datasette, request: Request, template: str, context: dict[str, Any]
) -> Response:
    links = {
        "article_path": partial(article_path, datasette),
        "diff_path": partial(diff_path, datasette),
        "replay_path": partial(replay_path, datasette),
    }
    html = await datasette.render_template(template, {**links, **context}, request=request)
    return Response.html(html)


def _number(request: Request, name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise NotFound(f"{name} must be a version number, not {value!r}")
    return int(value)


async def _article(datasette: Datasette, request: Request) -> ArticleView:
    url = request.args.get("url")
    row_id = _number(request, "id")
    if not url and row_id is not None:  # from a table's row, which knows the article's id
        url = await archive_database(datasette).execute_fn(
            partial(reading.article_url, article_id=row_id)
        )
    if not url:
        raise NotFound("which article? ?url= is missing")
    found: ArticleView | None = await archive_database(datasette).execute_fn(
        partial(reading.article_view, url=url)
    )
    if found is None or not found.versions:
        raise NotFound(f"no article archived under {url}")
    return found


# -- the pages ---------------------------------------------------------------------------------


async def front(datasette: Datasette, request: Request) -> Response:
    database = archive_database(datasette)
    page = await database.execute_fn(reading.front_page)
    return await _render(
        datasette,
        request,
        "ingester_front.html",
        {
            "page": page,
            "database_path": datasette.urls.database(database.name),
            "chart_days": Markup(bars_svg(page.per_day, "Versions and edits per day")),
            "chart_feeds": Markup(bars_svg(page.per_feed, "Versions and edits per feed")),
        },
    )


async def article(datasette: Datasette, request: Request) -> Response:
    found = await _article(datasette, request)
    number = _number(request, "version")
    shown = found.version(number)
    if shown is None:
        raise NotFound(f"{found.url} has no version {number}")
    return await _render(
        datasette,
        request,
        "ingester_article.html",
        {
            "article": found,
            "shown": shown,
            "minutes": max(1, round(shown.word_count / WORDS_PER_MINUTE)),
            "raw_path": _raw_path(datasette, found.url, shown),
            "previous": _before(found, shown),
        },
    )


async def diff(datasette: Datasette, request: Request) -> Response:
    found = await _article(datasette, request)
    b = _number(request, "b") or found.current
    before = _before(found, found.version(b)) if found.version(b) else None
    a = _number(request, "a") or (before.number if before else b)
    old, new = found.version(a), found.version(b)
    if old is None or new is None:
        raise NotFound(f"{found.url} has no version {a if old is None else b}")
    fields = []
    for name in VERSION_FIELDS:
        was, now = old.fields[name] or "", new.fields[name] or ""
        paragraphs = paragraph_segments(was, now)
        fields.append(
            {
                "name": name,
                "changed": was != now,
                "inline": Markup(diff_html(paragraphs)),
                "old": Markup(diff_html(paragraphs, "old")),
                "new": Markup(diff_html(paragraphs, "new")),
            }
        )
    context = {"article": found, "old": old, "new": new, "fields": fields}
    return await _render(datasette, request, "ingester_diff.html", context)


async def raw(datasette: Datasette, request: Request) -> Response:
    """The page as it was fetched (``?url=&version=``, or ``?sha=`` from the raw_pages
    table), for the sandboxed frame, or as text (``&as=text``): from the version's WARC
    capture, decoded as the fetcher decoded it, or from raw_pages for a version fetched
    before captures were kept."""
    sha256 = request.args.get("sha")
    try:
        if sha256 is None:
            shown = (await _article(datasette, request)).version(_number(request, "version"))
            if shown is not None and shown.capture is not None:
                content = await asyncio.to_thread(stored_content, shown.capture, RAW_PAGE_MAX_BYTES)
                return _raw_response(request, content)
            if shown is None or shown.raw_sha256 is None:
                raise NotFound("no captured page for this version (it was read from its feed)")
            sha256 = shown.raw_sha256
        content = await archive_database(datasette).execute_fn(partial(raw_content, sha256=sha256))
    except IngesterNotFound as e:
        raise NotFound(str(e)) from e
    return _raw_response(request, content)


def _raw_response(request: Request, content: bytes) -> Response:
    as_text = request.args.get("as") == "text"
    return Response(
        content,
        content_type="text/plain; charset=utf-8" if as_text else "text/html",
        headers={"Content-Security-Policy": RAW_PAGE_POLICY, "X-Content-Type-Options": "nosniff"},
    )


async def search(datasette: Datasette, request: Request) -> Response:
    words = request.args.get("q", "")
    found = await archive_database(datasette).execute_fn(partial(reading.search_hits, words=words))
    hits = [(url, title, Markup(snippet_html(text))) for url, title, text in found]
    return await _render(datasette, request, "ingester_search.html", {"q": words, "hits": hits})


async def edits(datasette: Datasette, request: Request) -> Response:
    feed, url = request.args.get("feed"), request.args.get("url")
    found = await archive_database(datasette).execute_fn(
        partial(reading.recent_edits, limit=EDITS_IN_FEED, feed=feed, url=url)
    )
    about = f" of {feed}" if feed else f" of {url}" if url else ""
    body = edits_feed(
        found,
        title=f"Edits{about}, as the archive recorded them",
        self_url=datasette.absolute_url(request, request.full_path),
        diff_url=datasette.absolute_url(request, datasette.urls.path("/-/diff")),
    )
    return Response(body, content_type="application/atom+xml; charset=utf-8")


def _before(found: ArticleView, version: VersionView | None) -> VersionView | None:
    earlier = [v for v in found.versions if version and v.number < version.number]
    return earlier[-1] if earlier else None


def _raw_path(datasette: Datasette, url: str, version: VersionView) -> str | None:
    if version.raw_sha256 is None and version.capture is None:
        return None
    query = urlencode({"url": url, "version": version.number})
    return str(datasette.urls.path("/-/raw")) + "?" + query
