"""Builders for the feeds and article pages that tests serve from the local server.

Each builder takes the article's fields, so a test states what a page says and derives
the expected layout from the same fields rather than from the code under test.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field, replace
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class SamplePage:
    """An article as a publisher would show it, with the furniture around it."""

    title: str
    paragraphs: tuple[str, ...]
    section: str | None = "World"
    author: str | None = "Olena Kovalenko"
    image_alt: str | None = None
    image_caption: str | None = None
    # Furniture: changes between fetches without the article changing.
    sidebar: tuple[str, ...] = ("Latest: markets open higher", "Latest: weather warning")
    fetched_note: str = "Updated 3 minutes ago"
    extra: dict[str, str] = field(default_factory=dict)

    def edited(self, **changes: object) -> SamplePage:
        return replace(self, **changes)  # type: ignore[arg-type]

    def html(self) -> str:
        e = html.escape
        figure = ""
        if self.image_alt is not None:
            figure = (
                f'<figure><img src="/img/lead.jpg" alt="{e(self.image_alt)}">'
                f"<figcaption>{e(self.image_caption or '')}</figcaption></figure>"
            )
        paragraphs = "\n".join(f"<p>{e(p)}</p>" for p in self.paragraphs)
        sidebar = "\n".join(f'<li><a href="/other">{e(s)}</a></li>' for s in self.sidebar)
        metas = [f'<meta property="og:title" content="{e(self.title)}">']
        if self.section:
            metas.append(f'<meta property="article:section" content="{e(self.section)}">')
        if self.author:
            metas.append(f'<meta name="author" content="{e(self.author)}">')
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{e(self.title)} | The Daily Sample</title>
{chr(10).join(metas)}
</head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
</header>
<main>
<article>
<h1>{e(self.title)}</h1>
<p class="byline-date">{e(self.fetched_note)}</p>
{figure}
<div class="article-body">
{paragraphs}
</div>
</article>
<aside class="sidebar"><h2>Most read</h2><ul>{sidebar}</ul></aside>
</main>
<footer><p>Copyright The Daily Sample</p></footer>
</body>
</html>
"""

    def expected_layout(self) -> str:
        """The article layout, written out from ARTICLE_LAYOUT.md's rules."""
        words = sum(len(p.split()) for p in self.paragraphs)
        lead = [f"{max(1, math.ceil(words / 265))} min read"]
        if self.image_alt is not None:
            lead.append(self.image_alt or self.title)
            if self.image_caption:
                lead.append(self.image_caption)
        blocks = [self.section, self.title, "\n".join(lead), *self.paragraphs, self.author]
        return "\n\n".join(b for b in blocks if b) + "\n"


def sentences(topic: str, count: int = 5) -> tuple[str, ...]:
    """Paragraphs long enough to read as an article's body."""
    return tuple(
        f"Paragraph {i} about {topic}: officials said the measure would be reviewed again "
        f"next month, and residents told reporters they expected further changes to follow "
        f"after the council meets on day {i + 1}."
        for i in range(1, count + 1)
    )


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str
    guid: str | None = None
    summary: str = ""
    content: str | None = None
    published: str = "Mon, 20 Jul 2025 10:00:00 GMT"


def rss(title: str, link: str, items: list[FeedItem], build: str = "") -> str:
    """An RSS 2.0 feed; a new ``build`` (lastBuildDate) is how a site says it changed."""
    entries = []
    for item in items:
        parts = [f"<title>{escape(item.title)}</title>", f"<link>{escape(item.link)}</link>"]
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        parts.append(f"<description>{escape(item.summary)}</description>")
        if item.content is not None:
            parts.append(f"<content:encoded>{escape(item.content)}</content:encoded>")
        parts.append(f"<pubDate>{item.published}</pubDate>")
        entries.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{escape(title)}</title><link>{escape(link)}</link>"
        f"<description>{escape(title)}</description>"
        + (f"<lastBuildDate>{escape(build)}</lastBuildDate>" if build else "")
        + f"{''.join(entries)}</channel></rss>\n"
    )


def atom(
    title: str, link: str, items: list[FeedItem], updated: str = "2025-07-20T10:00:00Z"
) -> str:
    entries = []
    for item in items:
        entries.append(
            "<entry>"
            f"<title>{escape(item.title)}</title>"
            f'<link rel="alternate" href="{escape(item.link)}"/>'
            f"<id>{escape(item.guid or item.link)}</id>"
            "<updated>2025-07-20T10:00:00Z</updated>"
            f"<summary>{escape(item.summary)}</summary>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>{escape(link)}</id>"
        f"<updated>{escape(updated)}</updated>"
        f'<link rel="alternate" href="{escape(link)}"/>{"".join(entries)}</feed>\n'
    )
