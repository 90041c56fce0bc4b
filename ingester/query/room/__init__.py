"""The reading room: a Datasette plugin that reads the archive as an archive.

Loaded by ``ingester serve`` and, through the ``datasette`` entry point in
pyproject.toml, by plain ``datasette archive.db``. It adds the front page (``/``), an
article as the layout reads (``/-/article?url=URL[&version=N]``), the diff of two versions
(``/-/diff?url=URL&a=N&b=M``), the page as captured in a sandboxed frame (``/-/raw``),
search (``/-/search?q=``) and the edits feed (``/-/edits.atom[?feed=NAME|?url=URL]``); and
it makes the tables lead inward: article URLs and titles open the article page, long text
is cut short in table views, raw pages open in the sandbox.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from html import escape
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlencode

from datasette import hookimpl
from markupsafe import Markup

from ..browse import archive_metadata
from .marks import snippet_html
from .pages import article, article_path, diff, edits, front, raw, search

if TYPE_CHECKING:  # datasette.app imports its plugins, this one among them
    from datasette.app import Datasette

_CUT = 160  # characters of a long text column shown in a table view
_Hook = TypeVar("_Hook", bound=Callable[..., Any])


def hook(function: _Hook) -> _Hook:
    """datasette.hookimpl, typed."""
    return cast(_Hook, hookimpl(function))


@hook
def register_routes(datasette: Datasette) -> list[tuple[str, Any]]:
    return [
        (r"^/$", front),
        (r"^/-/article$", article),
        (r"^/-/diff$", diff),
        (r"^/-/raw$", raw),
        (r"^/-/search$", search),
        (r"^/-/edits\.atom$", edits),
    ]


# Per Datasette, the databases whose articles carry their title (schema step 6): a link
# to an article reads as its title there; an archive no release has opened since reads as
# its URL.
_TITLED: weakref.WeakKeyDictionary[Datasette, set[str]] = weakref.WeakKeyDictionary()


@hook
def startup(datasette: Datasette) -> Callable[[], Awaitable[None]]:
    async def look() -> None:
        titled = _TITLED.setdefault(datasette, set())
        for name, database in datasette.databases.items():
            if not name.startswith("_") and "title" in await database.table_columns("articles"):
                titled.add(name)

    return look


@hook
def get_metadata(datasette: Datasette, key: str, database: str, table: str) -> dict[str, Any]:
    """The archive's descriptions, facets and saved queries, for plain ``datasette`` too."""
    names = [name for name in datasette.databases if not name.startswith("_")]
    return archive_metadata(names, titled=_TITLED.get(datasette, set()))


@hook
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Datasette
) -> Markup | None:
    """Cells that lead into the archive rather than out to the live site."""
    keys = set(row.keys()) if hasattr(row, "keys") else set()
    if column == "url" and isinstance(value, str) and table in (None, "articles", "article_urls"):
        return _link(article_path(datasette, value), value)
    titled = column == "title" and isinstance(value, str)
    if titled and table in (None, "articles") and "url" in keys:
        return _link(article_path(datasette, row["url"]), value)
    if titled and table == "versions":
        # A version's own page: the article by its row id, at this version's number (a
        # foreign key's cell comes as its value and label).
        article = row["article_id"]
        article_id = article["value"] if isinstance(article, dict) else article
        query = urlencode({"id": article_id, "version": row["number"]})
        return _link(datasette.urls.path("/-/article") + "?" + query, value)
    if column == "snippet" and table is None and isinstance(value, str):
        return Markup(snippet_html(value))
    long_text = table == "versions" and column in ("text", "body", "author_bio")
    if long_text and isinstance(value, str) and len(value) > _CUT:
        return Markup(escape(value[:_CUT]) + "…")  # a row one screen tall, not three
    if table == "raw_pages" and column == "content" and "sha256" in keys:
        view = datasette.urls.path("/-/raw") + "?" + urlencode({"sha": row["sha256"]})
        return _link(view, f"the page ({len(value or b''):,} bytes compressed)")
    return None


def _link(href: str, text: str) -> Markup:
    return Markup(f'<a href="{escape(href)}">{escape(text)}</a>')
