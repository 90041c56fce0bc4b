"""The archive's schema: its migrations, and what each table and column means.

Each migration upgrades the schema by one step; ``PRAGMA user_version`` counts the steps
done. A migration that has shipped is never edited: a change is a new step, so an archive
made by any earlier release upgrades in place. The descriptions below feed Datasette's
metadata and ``docs/schema.md`` (``make docs``), so the two cannot drift apart.
"""

from __future__ import annotations

SCHEMA_V1 = """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT,
    section TEXT,
    interval INTEGER,
    title TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    added_at TEXT NOT NULL,
    last_polled_at TEXT,
    last_success_at TEXT,
    last_status TEXT,
    last_http_status INTEGER,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at TEXT
);
CREATE INDEX feeds_due ON feeds (active, next_poll_at);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    first_seen_at TEXT NOT NULL,
    last_checked_at TEXT,
    page_etag TEXT,
    page_last_modified TEXT,
    page_sha256 TEXT,
    last_error TEXT,
    last_error_at TEXT
);

CREATE TABLE article_urls (
    url TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    kind TEXT NOT NULL
);
CREATE INDEX article_urls_article ON article_urls (article_id);

CREATE TABLE feed_entries (
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    entry_key TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, entry_key)
);
CREATE INDEX feed_entries_article ON feed_entries (article_id);

CREATE TABLE raw_pages (
    sha256 TEXT PRIMARY KEY,
    encoding TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    first_fetched_at TEXT NOT NULL
);

CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    number INTEGER NOT NULL,
    fetched_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    section TEXT,
    title TEXT,
    author TEXT,
    author_role TEXT,
    author_bio TEXT,
    image_alt TEXT,
    image_caption TEXT,
    body TEXT NOT NULL,
    published_at TEXT,
    modified_at TEXT,
    text TEXT NOT NULL,
    word_count INTEGER NOT NULL,
    source TEXT NOT NULL,
    extractor TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    raw_sha256 TEXT REFERENCES raw_pages (sha256),
    UNIQUE (article_id, number)
);

CREATE TABLE polls (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds (id),
    started_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    new_articles INTEGER NOT NULL,
    new_versions INTEGER NOT NULL,
    error TEXT,
    page_errors TEXT NOT NULL
);
CREATE INDEX polls_feed ON polls (feed_id, started_at);
"""

# Versions become distinct per article; the version the page shows now is a pointer, so a
# page flipping between two renderings never adds more than those two versions. Adds
# re-extraction as a kind of version, the feed entry as last seen, and full-text search.
SCHEMA_V2 = """
ALTER TABLE versions ADD COLUMN kind TEXT NOT NULL DEFAULT 'edit';
UPDATE versions SET kind = 'first' WHERE number = 1;
CREATE INDEX versions_article_sha ON versions (article_id, sha256);

ALTER TABLE articles ADD COLUMN current_version_id INTEGER REFERENCES versions (id);
ALTER TABLE articles ADD COLUMN revisits INTEGER NOT NULL DEFAULT 0;
UPDATE articles SET current_version_id = (
    SELECT id FROM versions WHERE article_id = articles.id ORDER BY number DESC LIMIT 1);

CREATE TABLE revisits (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    version_id INTEGER NOT NULL REFERENCES versions (id),
    seen_at TEXT NOT NULL
);
CREATE INDEX revisits_article ON revisits (article_id, seen_at);

ALTER TABLE feed_entries ADD COLUMN entry TEXT;

CREATE VIRTUAL TABLE versions_fts USING fts5 (
    title, body, content="versions", content_rowid="id", tokenize="unicode61 remove_diacritics 2"
);
INSERT INTO versions_fts (rowid, title, body)
    SELECT v.id, v.title, v.body FROM articles a JOIN versions v ON v.id = a.current_version_id;
CREATE TRIGGER articles_search AFTER UPDATE OF current_version_id ON articles
WHEN old.current_version_id IS NOT new.current_version_id
BEGIN
    INSERT INTO versions_fts (versions_fts, rowid, title, body)
        SELECT 'delete', id, title, body FROM versions WHERE id = old.current_version_id;
    INSERT INTO versions_fts (rowid, title, body)
        SELECT id, title, body FROM versions WHERE id = new.current_version_id;
END;
"""

# The schedule grows: feeds follow permanent redirects and can be gone, remember their
# last body and what the server asked for; articles carry their next re-check; the daemon
# leaves a heartbeat.
SCHEMA_V3 = """
ALTER TABLE feeds ADD COLUMN poll_url TEXT;
ALTER TABLE feeds ADD COLUMN gone_at TEXT;
ALTER TABLE feeds ADD COLUMN content_sha256 TEXT;
ALTER TABLE feeds ADD COLUMN server_interval INTEGER;

ALTER TABLE articles ADD COLUMN next_check_at TEXT;
UPDATE articles SET next_check_at = COALESCE(last_checked_at, first_seen_at)
    WHERE url LIKE 'http%';
CREATE INDEX articles_due ON articles (next_check_at);

CREATE TABLE daemon (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    tick INTEGER NOT NULL,
    stopped_at TEXT
);
"""

MIGRATIONS: tuple[str, ...] = (SCHEMA_V1, SCHEMA_V2, SCHEMA_V3)

# A search hit's context: matched words in [brackets], on one line.
SEARCH_SNIPPET = "replace(snippet(versions_fts, 1, '[', ']', ' … ', 12), char(10), ' ')"


# What each table and column means, for Datasette users. A test checks that every column
# of a fresh archive is described here.
TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "feeds": (
        "The feeds, one row each: the configured ones and those fetched by hand. The row is "
        "also the feed's schedule and health.",
        {
            "id": "Row id.",
            "url": "The feed's URL.",
            "name": "Short name from the config, used by `ingester poll NAME` and the logs.",
            "section": "Section used for articles that name none of their own (config).",
            "interval": "Configured seconds between polls; empty means the default.",
            "title": "The feed's own title, as it last said.",
            "active": "1 when the config lists the feed and the daemon polls it.",
            "etag": "ETag from the last response, sent back as If-None-Match.",
            "last_modified": "Last-Modified from the last response, sent as If-Modified-Since.",
            "added_at": "When the feed was first recorded (UTC, ISO 8601).",
            "last_polled_at": "When the last poll started.",
            "last_success_at": "When the last poll that did not fail started.",
            "last_status": "Outcome of the last poll: ok, not_modified, unchanged, gone or error.",
            "last_http_status": "HTTP status of the last poll, if a response came.",
            "last_error": "The last poll's error, one line; empty when it succeeded.",
            "consecutive_failures": "Polls that failed in a row; 0 after a success.",
            "next_poll_at": "When the feed is due next: the daemon's schedule. Empty for a "
            "feed that is gone.",
            "poll_url": "Where the feed is polled now, when permanent redirects (301, 308) "
            "moved it from url.",
            "gone_at": "When the feed answered 410 Gone; it is not polled after that.",
            "content_sha256": "SHA-256 of the feed's last body: the same body again is not parsed.",
            "server_interval": "The least seconds between polls the server asked for "
            "(Cache-Control max-age, Expires, RSS ttl, sy:updatePeriod).",
        },
    ),
    "polls": (
        "One row per poll of a feed.",
        {
            "id": "Row id.",
            "feed_id": "The feed polled.",
            "started_at": "When the poll started.",
            "duration_ms": "How long it took, in milliseconds.",
            "status": "ok, not_modified (HTTP 304), unchanged (the same body again), gone "
            "(HTTP 410) or error.",
            "http_status": "HTTP status of the feed's response, if one came.",
            "new_articles": "Articles seen for the first time in this poll.",
            "new_versions": "Versions added in this poll.",
            "error": "Why the poll failed, one line.",
            "page_errors": "JSON list of the article pages that failed, with why.",
        },
    ),
    "articles": (
        "One row per article, keyed by its canonical URL.",
        {
            "id": "Row id.",
            "url": "The canonical URL: the page's same-site rel=canonical (or og:url), else "
            "the URL after redirects, without tracking parameters.",
            "first_seen_at": "When the article was first archived.",
            "last_checked_at": "When its page was last looked at.",
            "page_etag": "ETag of the page as last fetched.",
            "page_last_modified": "Last-Modified of the page as last fetched.",
            "page_sha256": "SHA-256 of the page's bytes as last fetched (see raw_pages).",
            "last_error": "Why the last look at the page failed; empty when it did not.",
            "last_error_at": "When a look at the page last failed.",
            "current_version_id": "The version the article showed at its last successful look.",
            "revisits": "How often the article went back to a rendering it had shown before "
            "(see revisits).",
            "next_check_at": "When its page is looked at again to catch edits; empty when it "
            "is past its re-check schedule.",
        },
    ),
    "article_urls": (
        "Every URL an article was seen under, so any of them finds it.",
        {
            "url": "The URL, canonicalised (lower-case host, no fragment or tracking params).",
            "article_id": "The article.",
            "kind": "linked (as a feed linked it), final (after redirects) or canonical.",
        },
    ),
    "feed_entries": (
        "Which feeds carried which articles: one row per feed and entry.",
        {
            "feed_id": "The feed.",
            "entry_key": "The entry's identity in the feed: its guid, else its link, else a "
            "hash of its title and content.",
            "article_id": "The article the entry points at.",
            "first_seen_at": "When the feed first carried the entry.",
            "last_seen_at": "When the feed last carried it.",
            "entry": "The entry as last seen (JSON: title, author, summary, content, ...).",
        },
    ),
    "raw_pages": (
        "Fetched pages, compressed, stored once per distinct content.",
        {
            "sha256": "SHA-256 of the page's bytes: its key.",
            "encoding": "How content is compressed: zstd (zlib in archives from before 0.2).",
            "size": "Size of the page in bytes, uncompressed.",
            "content": "The compressed page.",
            "first_fetched_at": "When these exact bytes were first fetched.",
        },
    ),
    "versions": (
        "Every distinct rendering of every article, numbered from 1. A new version is "
        "stored only when the rendered text differs from every earlier one.",
        {
            "id": "Row id.",
            "article_id": "The article.",
            "number": "1 for the first version, then counting up.",
            "fetched_at": "When this rendering was first fetched.",
            "sha256": "SHA-256 of the rendered text's UTF-8 bytes.",
            "section": "Section the article is filed under.",
            "title": "Headline.",
            "author": "Author's name (several joined with commas).",
            "author_role": "Author's role, from the author box or JSON-LD jobTitle.",
            "author_bio": "Author's biography.",
            "image_alt": "Lead image's alt text.",
            "image_caption": "Lead image's caption, credit in parentheses.",
            "body": "Body text, one paragraph per line.",
            "published_at": "Publication time as the publisher states it.",
            "modified_at": "Modification time as the publisher states it.",
            "text": "The whole article in the article layout: what `ingester show` prints.",
            "word_count": "Words in the body.",
            "source": "page (extracted from the article page) or feed (the feed's content).",
            "extractor": "What extracted it: trafilatura and its version, or feed.",
            "changed_fields": "JSON list of the fields that differ from the version shown "
            "before this one.",
            "raw_sha256": "The page it was extracted from (see raw_pages).",
            "kind": "first, edit (the publisher changed it) or reextraction (a newer "
            "extractor read the same page differently).",
        },
    ),
    "daemon": (
        "The running daemon's heartbeat (one row), for `ingester status` and health checks.",
        {
            "id": "Always 1.",
            "pid": "Process id of the daemon.",
            "started_at": "When it started.",
            "heartbeat_at": "When it last ticked.",
            "tick": "Seconds between ticks: a heartbeat much older than this means trouble.",
            "stopped_at": "When the daemon stopped cleanly; empty while it runs.",
        },
    ),
    "revisits": (
        "Times an article went back to a rendering it had shown before (an undone edit, "
        "or a page flipping between two renderings): no version is added for those.",
        {
            "id": "Row id.",
            "article_id": "The article.",
            "version_id": "The earlier version it showed again.",
            "seen_at": "When.",
        },
    ),
}


def schema_markdown() -> str:
    """docs/schema.md, from TABLES."""
    lines = [
        "# The archive's tables",
        "",
        "Generated from `ingester/schema.py` by `make docs`; edit that file, not this one.",
        "Times are UTC, ISO 8601. Browse with `ingester serve` (Datasette).",
        "",
    ]
    for table, (about, columns) in TABLES.items():
        lines += [f"## {table}", "", about, "", "| column | meaning |", "|---|---|"]
        lines += [f"| `{column}` | {meaning} |" for column, meaning in columns.items()]
        lines.append("")
    return "\n".join(lines)
