"""SQL that Datasette runs on the archive's behalf: the saved queries on its database page,
and the search snippet of its search query."""

from __future__ import annotations

# A search hit's context with the matched words between \x02 and \x03, which the reading
# room turns into <mark> (the CLI's, on either engine, is made by snippets.py).
MARKED_SNIPPET = "replace(snippet(versions_fts, 1, char(2), char(3), ' … ', 12), char(10), ' ')"


# Saved ("canned") queries, shown on the database page. Times are UTC ISO text, so text
# order is time order.
QUERIES: dict[str, dict[str, str]] = {
    "latest_articles": {
        "title": "Latest articles",
        "description": "The newest articles with the version they show now.",
        "sql": """select a.url, v.title, v.section, v.author, a.first_seen_at, v.word_count,
  (select count(*) from versions where article_id = a.id) as versions
from articles a join versions v on v.id = a.current_version_id
order by a.first_seen_at desc, a.id desc
limit 100""",
    },
    "recently_edited": {
        "title": "Recently edited articles",
        "description": "Articles their publishers changed, most recent edit first.",
        "sql": """select a.url, cur.title,
  max(case when v.kind = 'edit' then v.fetched_at end) as last_edited_at,
  sum(v.kind = 'edit') as edits, count(*) as versions
from articles a
  join versions v on v.article_id = a.id
  join versions cur on cur.id = a.current_version_id
group by a.id
having edits > 0
order by last_edited_at desc, a.id desc
limit 100""",
    },
    "feed_health": {
        "title": "Feed health",
        "description": "Every feed's last result; failing feeds first.",
        "sql": """select f.name, f.url as feed_url, f.active, f.last_status, f.last_http_status,
  f.consecutive_failures, f.last_error, f.last_success_at, f.last_polled_at, f.next_poll_at,
  (select count(distinct e.article_id) from feed_entries e where e.feed_id = f.id) as articles
from feeds f
order by f.consecutive_failures desc, f.active desc, f.name, f.url""",
    },
    "search": {
        "title": "Search articles",
        "description": "Articles whose current title or body has every word of q "
        "(`ingester search` also takes FTS5 syntax: phrases, OR, NOT, prefix*).",
        "sql": f"""select a.url, v.title, v.fetched_at, {MARKED_SNIPPET} as snippet
from versions_fts
  join versions v on v.id = versions_fts.rowid
  join articles a on a.current_version_id = v.id
where versions_fts match
  -- each word quoted, so hyphens and apostrophes are just text; an empty q matches nothing
  '"' || replace(replace(trim(:q), '"', '""'), ' ', '" "') || '"'
order by rank
limit 50""",
    },
}
