"""Versions and edits as bars in plain SVG: no script, no library, numbers and escaped
labels only."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_BAR, _GAP, _HEIGHT, _LABEL = 18, 6, 120, 16


def bars_svg(rows: Sequence[tuple[str, int, int]], title: str) -> str:
    """One pair of bars per row (label, versions, edits): versions in grey, the edits
    among them in red; each bar's count in its tooltip."""
    if not rows:
        return ""
    top = max(n for _, n, _ in rows) or 1
    width = len(rows) * (_BAR + _GAP) + _GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="ingester-chart" '
        f'width="{width}" height="{_HEIGHT + 2 * _LABEL}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, versions, edits) in enumerate(rows):
        x = _GAP + i * (_BAR + _GAP)
        for count, kind in ((versions, "versions"), (edits, "edits")):
            h = round(_HEIGHT * count / top)
            parts.append(
                f'<rect class="{kind}" x="{x}" y="{_LABEL + _HEIGHT - h}" width="{_BAR}" '
                f'height="{h}"><title>{escape(label)}: {count} {kind}</title></rect>'
            )
        parts.append(
            f'<text x="{x + _BAR / 2}" y="{_LABEL + _HEIGHT + 12}" font-size="9" '
            f'text-anchor="middle">{escape(label[-5:])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
