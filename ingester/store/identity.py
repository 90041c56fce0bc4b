"""Which article an entry is, when several stories of one feed link the same page: posts
that are anchors of one day page (``…/24.html#a100632``), a podcast's episodes that all
link the show's home page, live-blog items, "read more" links to a section.

A page that distinct stories share does not identify any of them. Each such entry is an
article of its own, archived from its feed's text: under its link with the fragment kept
where the fragment is what tells the stories apart, else under its feed and entry
(``entry_urn``). The shared page is not fetched for them, so it is never re-versioned by
each. Earlier releases archived such entries as versions ("edits") of the shared page;
``rehome`` gives each its own article back, and schema step 5 does it for every article
they merged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from ..blocks import clean
from ..types import ArticleUrls, ParsedEntry
from ..urls import anchored, entry_urn, fragments_apart, is_web_url
from .engines import Sql

# Fields of a version compared to report "which fields changed" (articles.py records them).
VERSION_FIELDS = (
    "section",
    "title",
    "author",
    "author_role",
    "author_bio",
    "image_alt",
    "image_caption",
    "body",
    "published_at",
    "modified_at",
)


def entry_link(entry: ParsedEntry) -> str | None:
    """The page an entry points at: its link, else a guid that is a web URL, else none."""
    if entry.link and is_web_url(entry.link):
        return entry.link
    if entry.guid and is_web_url(entry.guid):
        return entry.guid
    return None


def several_stories(entries: Sequence[ParsedEntry]) -> bool:
    return any(not entry.same_story(entries[0]) for entry in entries[1:])


def stories_apart(
    feed_url: str, linked: Sequence[tuple[ParsedEntry, str]]
) -> dict[str, ArticleUrls]:
    """The article each entry of one shared page is archived as, by entry key: its link
    with the fragment where no other entry's link has that fragment, else its feed and
    entry."""
    apart = fragments_apart([link for _, link in linked])
    return {
        entry.key: ArticleUrls(linked=anchored(link), anchored=True)
        if tells
        else ArticleUrls(linked=entry_urn(feed_url, entry.key))
        for (entry, link), tells in zip(linked, apart, strict=True)
    }


class _Entry:
    """One feed_entries row of the page being split."""

    def __init__(self, key: str, entry: str, first_seen: str, last_seen: str) -> None:
        self.key, self.first_seen, self.last_seen = key, first_seen, last_seen
        self.title = clean(json.loads(entry).get("title"))


def rehome(
    conn: Sql,
    page_id: int,
    feed_id: int,
    identities: Mapping[str, ArticleUrls],
) -> int:
    """Give each entry of ``feed_id`` on article ``page_id`` named in ``identities`` its
    own article, keeping every version: a version taken from a feed's text goes with the
    entry whose title it shows (the last first seen by then, where titles repeat); an
    entry left with none gets a copy of the page's version it was first archived with. The page
    keeps its own versions, numbered again from 1; with none left it is removed, and one
    no feed entry points at any more is not re-checked. Returns the entries moved."""
    rows = conn.execute(
        """SELECT entry_key, entry, first_seen_at, last_seen_at FROM feed_entries
           WHERE feed_id = ? AND article_id = ? AND entry IS NOT NULL ORDER BY first_seen_at""",
        (feed_id, page_id),
    ).fetchall()
    entries = [_Entry(*row) for row in rows if row[0] in identities]
    if not entries:
        return 0
    versions = conn.execute(
        "SELECT id, fetched_at, title, source FROM versions WHERE article_id = ? ORDER BY number",
        (page_id,),
    ).fetchall()
    owner = {
        version_id: _shown_by(entries, fetched_at, clean(title))
        for version_id, fetched_at, title, source in versions
        if source == "feed"
    }
    _point_away(conn, page_id, {v for v, key in owner.items() if key is not None})
    for entry in entries:
        article_id = _article(conn, identities[entry.key], entry)
        mine = [v for v, *_ in versions if owner.get(v) == entry.key]
        if mine:
            _move(conn, mine, article_id)
        else:
            _copy(conn, _version_at(versions, entry.first_seen), article_id)
        conn.execute(
            "UPDATE feed_entries SET article_id = ? WHERE feed_id = ? AND entry_key = ?",
            (article_id, feed_id, entry.key),
        )
    _settle(conn, page_id)
    return len(entries)


def _shown_by(entries: Sequence[_Entry], fetched_at: str, title: str) -> str | None:
    """The entry a feed version was rendered from: the one whose title it shows, the last
    first seen by then where titles repeat. None where no entry of the feed shows it (a
    version another feed's entry left)."""
    titled = [e for e in entries if e.title == title]
    seen = [e for e in titled if e.first_seen <= fetched_at] or titled
    return seen[-1].key if seen else None


def _version_at(versions: Sequence[tuple[int, str, str, str]], when: str) -> int:
    before = [v for v, fetched_at, *_ in versions if fetched_at <= when]
    return before[-1] if before else versions[0][0]


def _point_away(conn: Sql, page_id: int, leaving: set[int]) -> None:
    """The page shows its latest remaining version before its others leave: the search
    index follows ``current_version_id`` (a trigger), so no version is indexed twice."""
    remaining = conn.execute(
        "SELECT id FROM versions WHERE article_id = ? ORDER BY number", (page_id,)
    ).fetchall()
    kept = [v for (v,) in remaining if v not in leaving]
    conn.execute(
        "UPDATE articles SET current_version_id = ? WHERE id = ?",
        (kept[-1] if kept else None, page_id),
    )


def _article(conn: Sql, urls: ArticleUrls, entry: _Entry) -> int:
    row = conn.execute(
        "SELECT article_id FROM article_urls WHERE url = ?", (urls.linked,)
    ).fetchone()
    if row is not None:
        return int(row[0])
    (article_id,) = conn.execute(
        "INSERT INTO articles (url, first_seen_at, last_checked_at) VALUES (?, ?, ?) RETURNING id",
        (urls.linked, entry.first_seen, entry.last_seen),
    ).fetchone()
    conn.execute(
        "INSERT INTO article_urls (url, article_id, kind) VALUES (?, ?, 'linked')",
        (urls.linked, article_id),
    )
    return int(article_id)


def _next_number(conn: Sql, article_id: int) -> int:
    row = conn.execute(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE article_id = ?", (article_id,)
    ).fetchone()
    return int(row[0])


def _move(conn: Sql, version_ids: Sequence[int], article_id: int) -> None:
    for version_id in version_ids:
        conn.execute(
            "UPDATE versions SET article_id = ?, number = ? WHERE id = ?",
            (article_id, _next_number(conn, article_id), version_id),
        )
        conn.execute(
            "UPDATE revisits SET article_id = ? WHERE version_id = ?", (article_id, version_id)
        )
    _renumber(conn, article_id)
    conn.execute(
        "UPDATE articles SET current_version_id = ? WHERE id = ?", (version_ids[-1], article_id)
    )


def _copy(conn: Sql, version_id: int, article_id: int) -> None:
    columns = (
        "fetched_at, sha256, " + ", ".join(VERSION_FIELDS) + ", text, word_count, source, "
        "extractor, raw_sha256"
    )
    number = _next_number(conn, article_id)
    (copy_id,) = conn.execute(
        f"""INSERT INTO versions (article_id, number, kind, changed_fields, {columns})
            SELECT ?, ?, CASE WHEN ? = 1 THEN 'first' ELSE 'edit' END, '[]', {columns}
            FROM versions WHERE id = ? RETURNING id""",
        (article_id, number, number, version_id),
    ).fetchone()
    conn.execute("UPDATE articles SET current_version_id = ? WHERE id = ?", (copy_id, article_id))


def _settle(conn: Sql, page_id: int) -> None:
    """The page after its entries left: numbered again; removed when it has no version and
    no entry left, and not re-checked once no feed entry points at it."""
    versions = _renumber(conn, page_id)
    pointed_at = conn.execute(
        "SELECT 1 FROM feed_entries WHERE article_id = ? LIMIT 1", (page_id,)
    ).fetchone()
    if pointed_at is not None:
        return
    if versions == 0:
        conn.execute("DELETE FROM revisits WHERE article_id = ?", (page_id,))
        conn.execute("DELETE FROM article_urls WHERE article_id = ?", (page_id,))
        conn.execute("DELETE FROM articles WHERE id = ?", (page_id,))
    else:
        conn.execute("UPDATE articles SET next_check_at = NULL WHERE id = ?", (page_id,))


def _renumber(conn: Sql, article_id: int) -> int:
    """Number an article's versions 1, 2, … in order, the first a "first", and say again
    which fields each changed from the one before it. Returns how many it has."""
    columns = ", ".join(VERSION_FIELDS)
    rows = conn.execute(
        f"SELECT id, kind, {columns} FROM versions WHERE article_id = ? ORDER BY number",
        (article_id,),
    ).fetchall()
    # Out of the way first: (article_id, number) is unique at every step.
    conn.execute("UPDATE versions SET number = -number WHERE article_id = ?", (article_id,))
    previous = None
    for number, (version_id, kind, *fields) in enumerate(rows, start=1):
        changed: list[str] = (
            [name for name, a, b in zip(VERSION_FIELDS, previous, fields, strict=True) if a != b]
            if previous is not None
            else []
        )
        conn.execute(
            "UPDATE versions SET number = ?, kind = ?, changed_fields = ? WHERE id = ?",
            (number, "first" if number == 1 else _later(kind), json.dumps(changed), version_id),
        )
        previous = fields
    return len(rows)


def _later(kind: str) -> str:
    return "edit" if kind == "first" else kind


def split_merged_articles(conn: Sql) -> None:
    """Schema step 5: every article that several distinct stories of one feed were archived
    as gives each of them its own article (``rehome``)."""
    feeds = dict(conn.execute("SELECT id, url FROM feeds").fetchall())
    merged = conn.execute(
        """SELECT article_id, feed_id FROM feed_entries WHERE entry IS NOT NULL
           GROUP BY article_id, feed_id HAVING COUNT(*) > 1"""
    ).fetchall()
    for page_id, feed_id in merged:
        stored = [
            entry
            for (text,) in conn.execute(
                "SELECT entry FROM feed_entries WHERE article_id = ? AND feed_id = ?"
                " AND entry IS NOT NULL ORDER BY first_seen_at",
                (page_id, feed_id),
            )
            if (entry := _parsed(text)) is not None
        ]
        linked = [(entry, link) for entry in stored if (link := entry_link(entry))]
        if len(linked) > 1 and several_stories([entry for entry, _ in linked]):
            rehome(conn, page_id, feed_id, stories_apart(feeds[feed_id], linked))


def _parsed(text: str) -> ParsedEntry | None:
    try:
        return ParsedEntry.from_json(text)
    except (ValueError, TypeError):  # an entry kept by a release with other fields
        return None
