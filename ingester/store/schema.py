"""The archive's schema as its steps, in order: what ``migrations.py`` applies.

One history for both engines: a step is written once, and where the engines differ
(search, triggers, what only a PostgreSQL archive needs) it names both forms. A step that
has shipped is never edited: a change is a new step, so an archive made by any earlier
release upgrades in place. What each table and column means is in ``descriptions.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .engines import Sql
from .identity import split_merged_articles

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
"""
SEARCH_V2_SQLITE = """
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
# PostgreSQL's search: a tsvector of every version, title weighted above body, in a GIN
# index; a search joins it to the articles' current versions, as FTS5 holds only those.
# Words without their accents on both sides, as FTS5's remove_diacritics does: unaccent
# is a trusted extension (a database's owner may add it), and immutable only through a
# function that names its dictionary.
SEARCH_V2_POSTGRESQL = """
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE FUNCTION search_words(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.unaccent('public.unaccent'::regdictionary, $1);
ALTER TABLE versions ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', search_words(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('simple', search_words(body)), 'B')) STORED;
CREATE INDEX versions_search ON versions USING GIN (search);
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

# Dates as pages wrote them ("Fri Apr 28 19:20:36 CEST 2023") become ISO 8601 at the
# page's offset, as extraction now stores them (docs/layout.md); iso_date is registered on
# every connection (connection.py) and keeps a value it cannot read as it was.
SCHEMA_V4 = """
UPDATE versions SET published_at = iso_date(published_at) WHERE published_at IS NOT NULL;
UPDATE versions SET modified_at = iso_date(modified_at) WHERE modified_at IS NOT NULL;
"""

# Articles that several distinct stories of one feed were archived as (posts that are
# anchors of one day page, a podcast's episodes linking its home page) give each story its
# own article, every version kept (identity.py). A step in Python: it reads entries' JSON.
SCHEMA_V5 = split_merged_articles

# An article carries the title of the version it shows, so that a link to it (a foreign
# key in Datasette, versions.article_id) reads as its title, not a number; a trigger keeps
# it with current_version_id, whoever moves that.
SCHEMA_V6 = """
ALTER TABLE articles ADD COLUMN title TEXT;
UPDATE articles SET title = (SELECT title FROM versions WHERE id = articles.current_version_id);
"""
TITLE_V6_SQLITE = """
CREATE TRIGGER articles_title AFTER UPDATE OF current_version_id ON articles
BEGIN
    UPDATE articles SET title = (SELECT title FROM versions WHERE id = new.current_version_id)
    WHERE id = new.id;
END;
"""
TITLE_V6_POSTGRESQL = """
CREATE FUNCTION articles_title() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.title := (SELECT title FROM versions WHERE id = NEW.current_version_id);
    RETURN NEW;
END $$;
CREATE TRIGGER articles_title BEFORE UPDATE OF current_version_id ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_title();
"""

# Captures of record: the WARC response records pages and feeds were read from
# (fetch/capture.py). A version points at the response it was extracted from; an article
# and a feed at their last one, which an identical payload's revisit refers to.
SCHEMA_V7 = """
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    payload_digest TEXT NOT NULL,
    file TEXT NOT NULL,
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL
);
CREATE INDEX captures_url ON captures (url, captured_at);
CREATE INDEX captures_digest ON captures (payload_digest);
ALTER TABLE versions ADD COLUMN capture_id INTEGER REFERENCES captures (id);
ALTER TABLE articles ADD COLUMN capture_id INTEGER REFERENCES captures (id);
ALTER TABLE feeds ADD COLUMN capture_id INTEGER REFERENCES captures (id);
"""

# Several nodes on one archive (docs/scale-out.md): a node claims the feeds and re-checks
# it polls for a while (a lease: who, until when), so no other polls them meanwhile and
# they return to the rest when it dies; ``hosts`` spaces the requests to each host for
# the cluster as a whole (hosts.py); a poll names the machine that made it. One
# machine's daemon takes leases too. A feed the config lists is due at a time, never at
# none (one fetched by hand before it was configured had none), so that claims read the
# schedule's index as a range.
SCHEMA_V8 = """
ALTER TABLE polls ADD COLUMN node TEXT;
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE feeds ADD COLUMN lease_until TEXT;
CREATE INDEX feeds_leases ON feeds (lease_owner);
ALTER TABLE articles ADD COLUMN lease_owner TEXT;
ALTER TABLE articles ADD COLUMN lease_until TEXT;
CREATE TABLE hosts (
    host TEXT PRIMARY KEY,
    next_start REAL NOT NULL
);
UPDATE feeds SET next_poll_at = added_at
    WHERE next_poll_at IS NULL AND active = 1 AND gone_at IS NULL;
"""

# What ``ingester mirror`` needs to copy a PostgreSQL archive's changes, and only those
# (mirror.py): each row says which transaction wrote it last (``written_by``, an xid8,
# never wrapping round), and a row deleted leaves its key behind (but a poll's: the log
# is trimmed by a rule the mirror applies itself, and would fill the record). SQLite has
# no use for it: Datasette reads the file itself.
MIRRORED = {
    "feeds": "id",
    "articles": "id",
    "article_urls": "url",
    "feed_entries": "feed_id,entry_key",
    "raw_pages": "sha256",
    "versions": "id",
    "revisits": "id",
    "captures": "id",
    "polls": "id",
    "daemon": "id",
}
MIRROR_V9_POSTGRESQL = """
CREATE TABLE mirror_deletes (
    table_name TEXT NOT NULL,
    row_key TEXT NOT NULL,
    written_by xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX mirror_deletes_written ON mirror_deletes (written_by);
CREATE FUNCTION mirror_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.written_by := pg_current_xact_id();
    RETURN NEW;
END $$;
CREATE FUNCTION mirror_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mirror_deletes (table_name, row_key) SELECT TG_TABLE_NAME,
        (SELECT jsonb_object_agg(k, to_jsonb(OLD) -> k) FROM unnest(TG_ARGV) k)::text;
    RETURN OLD;
END $$;
"""


def _mirrored(table: str, key: str) -> str:
    """A table's part of step 9: who wrote each row last, and the keys of those deleted."""
    sql = f"""
ALTER TABLE {table} ADD COLUMN written_by xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX {table}_written ON {table} (written_by);
CREATE TRIGGER {table}_written BEFORE UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION mirror_written();
"""
    if table == "polls":
        return sql
    keys = ", ".join(f"'{column}'" for column in key.split(","))
    return (
        sql
        + f"""CREATE TRIGGER {table}_deleted AFTER DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION mirror_deleted({keys});
"""
    )


MIRROR_V9_POSTGRESQL += "".join(_mirrored(table, key) for table, key in MIRRORED.items())


@dataclass(frozen=True, slots=True)
class Apart:
    """A piece of a step each engine takes in its own form."""

    sqlite: str
    postgresql: str


Piece = str | Apart | Callable[[Sql], None]

# Each step in order; a step is the pieces it runs. A plain string runs on both engines
# (on PostgreSQL with its types: pg_schema). Step 4 rewrote dates stored by releases
# before ISO dates; no PostgreSQL archive is that old, so there it has nothing to do.
MIGRATIONS: tuple[tuple[Piece, ...], ...] = (
    (SCHEMA_V1,),
    (SCHEMA_V2, Apart(SEARCH_V2_SQLITE, SEARCH_V2_POSTGRESQL)),
    (SCHEMA_V3,),
    (Apart(SCHEMA_V4, ""),),
    (SCHEMA_V5,),
    (SCHEMA_V6, Apart(TITLE_V6_SQLITE, TITLE_V6_POSTGRESQL)),
    (SCHEMA_V7,),
    (SCHEMA_V8,),
    (Apart("", MIRROR_V9_POSTGRESQL),),
)
