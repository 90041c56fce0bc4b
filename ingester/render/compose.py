"""Page facts + feed entry -> Article, in docs/layout.md's order of preference.

Where a feed and a page disagree, the page wins: the archive records what the publisher
shows its readers. The feed fills in what the page does not say.
"""

from __future__ import annotations

from ..blocks import fragment_lines
from ..types import Article, ExtractedPage, ParsedEntry


def compose(
    page: ExtractedPage | None,
    entry: ParsedEntry | None,
    feed_section: str | None = None,
) -> Article:
    """Merge the sources; the body comes from the page, else the feed's content, else summary."""
    page = page or ExtractedPage()
    body = page.body
    source: str = "page"
    if not body and entry is not None:
        body = fragment_lines(entry.content or "") or fragment_lines(entry.summary or "")
        source = "feed"
    category = entry.categories[0] if entry and entry.categories else None
    return Article(
        title=page.title or (entry.title if entry else None),
        body=body,
        section=page.section or category or feed_section,
        author=page.author or (entry.author if entry else None),
        author_role=page.author_role,
        author_bio=page.author_bio,
        has_image=page.has_image,
        image_alt=page.image_alt,
        image_caption=page.image_caption,
        published=page.published or (entry.published if entry else None),
        modified=page.modified or (entry.updated if entry else None),
        source="page" if source == "page" else "feed",
    )
