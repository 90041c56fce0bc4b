"""What each table and column of the archive means, for Datasette users and for
``docs/schema.md`` (``make docs``), so the two cannot drift apart."""

from __future__ import annotations

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
            "capture_id": "The feed's last captured response: a body with the same payload is "
            "written as a revisit of it.",
            "server_interval": "The least seconds between polls the server asked for "
            "(Cache-Control max-age, Expires, RSS ttl, sy:updatePeriod).",
            "lease_owner": "The daemon (host:pid) that claimed the feed and is polling it; "
            "empty when no one holds it.",
            "lease_until": "When that claim runs out unless renewed: then another daemon may "
            "take the feed over.",
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
            "page_errors": "JSON list of the article pages that failed, with why: the first 20 "
            'whole, then "... and N more".',
            "node": "The machine (host name) whose daemon or command made the poll.",
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
            "page_sha256": "SHA-256 of the page's bytes as last fetched, decoded: the same "
            "bytes again are not extracted again.",
            "capture_id": "The page's last captured response (see captures): a payload the "
            "same as it is written as a revisit of it.",
            "last_error": "Why the last look at the page failed; empty when it did not.",
            "last_error_at": "When a look at the page last failed.",
            "current_version_id": "The version the article showed at its last successful look.",
            "revisits": "How often the article went back to a rendering it had shown before "
            "(see revisits).",
            "next_check_at": "When its page is looked at again to catch edits; empty when it "
            "is past its re-check schedule.",
            "title": "The title of the version it shows now (kept with current_version_id): "
            "what a link to the article reads in Datasette.",
            "lease_owner": "The daemon (host:pid) re-checking its page now; empty otherwise.",
            "lease_until": "When that claim runs out unless renewed.",
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
        "Pages fetched before captures were kept, compressed, stored once per distinct "
        "content. Since then a page's bytes are in its WARC capture only (captures); "
        "re-extraction reads them from there. `ingester warc import-raw` moves these "
        "into a WARC file too, as resource records, and empties the table.",
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
            "published_at": "Publication time the publisher states, as ISO 8601 at its offset "
            "(docs/layout.md).",
            "modified_at": "Modification time the publisher states, as ISO 8601 at its offset.",
            "text": "The whole article in the article layout: what `ingester show` prints.",
            "word_count": "Words in the body.",
            "source": "page (extracted from the article page) or feed (the feed's content).",
            "extractor": "What extracted it: trafilatura and its version, or feed.",
            "changed_fields": "JSON list of the fields that differ from the version shown "
            "before this one.",
            "raw_sha256": "The page it was extracted from, for pages fetched before captures "
            "were kept (see raw_pages); empty when capture_id says where its bytes are.",
            "capture_id": "The WARC response record the page came in (see captures).",
            "kind": "first, edit (the publisher changed it) or reextraction (a newer "
            "extractor read the same page differently).",
        },
    ),
    "captures": (
        "Captures of record: the WARC/1.1 response records article pages and feeds came in, "
        "as the server sent them (headers, Content-Encoding kept). Every exchange is in the "
        "WARC files (archive.warcs/ beside the archive); the ones versions, articles and "
        "feeds point at have a row here. Replay them with `ingester replay`, check them "
        "with `ingester warc check`.",
        {
            "id": "Row id.",
            "record_id": "The response's WARC-Record-ID.",
            "url": "WARC-Target-URI: the URL fetched (after any redirect).",
            "captured_at": "WARC-Date: when the response came, UTC, to the microsecond.",
            "payload_digest": "WARC-Payload-Digest: SHA-256 (base32) of the payload as sent.",
            "file": "The WARC file, relative to the archive's folder (else absolute).",
            "offset": "Where the record's gzip member starts in the file, in bytes.",
            "length": "The gzip member's length in bytes.",
        },
    ),
    "hosts": (
        "For daemons on several machines sharing one archive: when the next request to each "
        "host may start, whichever daemon makes it (host_gap for the cluster as a whole).",
        {
            "host": "The host, as scheme://host[:port].",
            "next_start": "The earliest next start, in seconds since 1970 (UTC).",
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
        "Generated from `ingester/store/descriptions.py` by `make docs`; edit that file, not"
        " this one.",
        "Times are UTC, ISO 8601. Browse with `ingester serve` (Datasette).",
        "",
    ]
    for table, (about, columns) in TABLES.items():
        lines += [f"## {table}", "", about, "", "| column | meaning |", "|---|---|"]
        lines += [f"| `{column}` | {meaning} |" for column, meaning in columns.items()]
        lines.append("")
    return "\n".join(lines)
