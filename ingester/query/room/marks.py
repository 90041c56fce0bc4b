"""Markup for what the reading room shows, built from escaped text only: diffs with
``<ins>`` and ``<del>``, search snippets with ``<mark>``. Nothing from an archived page is
ever passed through unescaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Literal

from ...render.diff import WordOp
from ...store.reading import MARK_END, MARK_START

Side = Literal["both", "old", "new"]
_TAGS: dict[WordOp, str] = {"same": "", "removed": "del", "added": "ins"}


def diff_html(paragraphs: Sequence[Sequence[tuple[WordOp, str]]], side: Side = "both") -> str:
    """Paragraphs of word runs as ``<p>``s: all of them (``both``, the inline view), or
    only what the older or the newer version read (the two columns of side by side)."""
    shown = {
        "both": ("same", "removed", "added"),
        "old": ("same", "removed"),
        "new": ("same", "added"),
    }
    out = []
    for runs in paragraphs:
        parts = [_run(op, text) for op, text in runs if op in shown[side]]
        if parts:
            out.append(f"<p>{' '.join(parts)}</p>")
    return "\n".join(out)


def _run(op: WordOp, text: str) -> str:
    tag = _TAGS[op]
    return f"<{tag}>{escape(text)}</{tag}>" if tag else escape(text)


def snippet_html(snippet: str) -> str:
    """A search snippet escaped, its matched words in ``<mark>``."""
    return escape(snippet).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
