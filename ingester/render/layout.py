"""Article -> the article layout text (docs/layout.md), and its hash.

The rendered text is what versions are computed from, so rendering must be a pure,
deterministic function of the article's fields.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata

from ..types import Article

WORDS_PER_MINUTE = 265
_SPACE = re.compile(r"\s+")


def clean_line(text: str | None) -> str:
    """One field as one line: NFC, whitespace runs collapsed to a space, trimmed."""
    if not text:
        return ""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def body_lines(article: Article) -> list[str]:
    return [line for line in (clean_line(block) for block in article.body) if line]


def word_count(article: Article) -> int:
    return sum(len(line.split()) for line in body_lines(article))


def reading_time(words: int) -> int:
    return max(1, math.ceil(words / WORDS_PER_MINUTE))


def render(article: Article) -> str:
    """The layout: blocks separated by one blank line, unknown fields left out."""
    body = body_lines(article)
    title = clean_line(article.title)
    lead = [f"{reading_time(sum(len(line.split()) for line in body))} min read"]
    if article.has_image:
        lead.append(clean_line(article.image_alt) or title)
        caption = clean_line(article.image_caption)
        if caption:
            lead.append(caption)
    lead = [line for line in lead if line]
    blocks = [
        clean_line(article.section),
        title,
        "\n".join(lead),
        *body,
        clean_line(article.author),
        clean_line(article.author_role),
        clean_line(article.author_bio),
    ]
    return "\n\n".join(block for block in blocks if block) + "\n"


def text_hash(text: str) -> str:
    """SHA-256 of the rendered document's UTF-8 bytes, as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
