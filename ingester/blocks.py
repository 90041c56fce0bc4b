"""Text blocks -> body lines: one line per paragraph, heading, list item, quote or code block.

Three kinds of input reach the body: trafilatura's XML tree of the page's main text, the
HTML fragments a feed carries, and the plain ``articleBody`` text a publisher puts in its
JSON-LD. Each becomes the same thing, a tuple of lines. This module knows nothing of
trafilatura itself; extract/ hands it trees and strings.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple

from lxml import etree, html

_WORD = re.compile(r"\w+")


def clean(text: str | None) -> str:
    """Whitespace runs as one space, none at the ends. str.split() splits at exactly the
    characters the regex \\s matches and does it several times faster."""
    return " ".join((text or "").split())


def element_text(element: Any) -> str:
    """All text of an element, tails of its children included, whitespace collapsed."""
    if element is None or not isinstance(element.tag, str):
        return ""  # comments and processing instructions carry no readable text
    return clean("".join(element.itertext()))


class Block(NamedTuple):
    kind: str  # the trafilatura tag it came from: p, head, item, quote, code, row, text
    text: str


# -- trafilatura's XML -> blocks -----------------------------------------------------------

# Tags of trafilatura's XML that start a new line. ``code`` is a block only where it stands
# on its own (a <pre>); inside a paragraph it is inline code, and the sentence goes on.
_XML_BLOCKS = frozenset({"p", "head", "list", "item", "quote", "table", "row", "cell", "div"})
_INLINE_PARENTS = frozenset({"p", "head", "item", "cell", "hi", "ref", "del", "code"})


def _is_block(element: Any) -> bool:
    tag = element.tag
    if not isinstance(tag, str):
        return False
    if tag == "code":
        parent = element.getparent()
        return parent is None or parent.tag not in _INLINE_PARENTS
    return tag in _XML_BLOCKS


def _holds_blocks(element: Any) -> bool:
    return any(_is_block(d) for d in element.iterdescendants())


def xml_blocks(body: Any) -> list[Block]:
    """The blocks of trafilatura's ``<body>`` (or ``<main>``): a leaf block is one line,
    loose text between blocks (a tail after a nested list, a signature under a quote)
    is a line of its own, so no text is lost."""
    blocks: list[Block] = []
    _walk(body, "text", blocks)
    return [b for b in blocks if b.text]


def _walk(element: Any, kind: str, blocks: list[Block]) -> None:
    loose: list[str] = [element.text or ""]
    for child in element:
        if _is_block(child):
            _flush(loose, kind, blocks)
            if child.tag == "row":
                cells = [element_text(c) for c in child if isinstance(c.tag, str)]
                blocks.append(Block("row", " | ".join(c for c in cells if c)))
            elif _holds_blocks(child):
                _walk(child, child.tag, blocks)
            else:
                blocks.append(Block(child.tag, _inline_text(child)))
        elif isinstance(child.tag, str):
            loose.append(_raw_text(child))
        loose.append(child.tail or "")
    _flush(loose, kind, blocks)


def _inline_text(element: Any) -> str:
    """Text of an element and its inline markup; a line break inside a block is a space."""
    return clean(_raw_text(element))


def _raw_text(element: Any) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            parts.append(" " if child.tag == "lb" else _raw_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _flush(loose: list[str], kind: str, blocks: list[Block]) -> None:
    text = clean("".join(loose))
    if text:
        blocks.append(Block("text" if kind in {"body", "main", "doc", "div"} else kind, text))
    loose.clear()


# -- plain text (JSON-LD articleBody) -> lines ---------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n|\r\n[ \t]*\r\n")


def text_lines(text: str) -> tuple[str, ...]:
    """Plain text as body lines: paragraphs are separated by blank lines; a text with no
    blank line but with line breaks has one paragraph per line."""
    if "<" in text and re.search(r"</?(?:p|br|div|li|h\d)\b", text, re.IGNORECASE):
        return fragment_lines(text)
    chunks = _PARAGRAPH_BREAK.split(text.strip())
    if len(chunks) == 1:
        chunks = text.strip().split("\n")
    return tuple(line for line in (clean(chunk) for chunk in chunks) if line)


# -- feed-supplied HTML -> lines -----------------------------------------------------------

_FRAGMENT_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt", "tr"}
)
_FRAGMENT_SKIP = frozenset({"script", "style", "figure", "figcaption", "iframe", "noscript"})


def fragment_lines(markup: str) -> tuple[str, ...]:
    """HTML content (a feed's content or summary) as body lines, one per block.

    Feed fragments are short and carry no page furniture, so they are split by their own
    block elements rather than run through main-text extraction (which would flatten them).
    """
    if not markup.strip():
        return ()
    if "<" not in markup:
        return tuple(line for line in (clean(p) for p in markup.split("\n\n")) if line)
    try:
        root = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return ()
    lines: list[str] = []
    _fragment_walk(root, lines)
    return tuple(line for line in lines if line)


def _fragment_walk(element: Any, lines: list[str]) -> None:
    """Collect text: a block with no nested blocks is one line; loose inline text is another."""
    loose: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _FRAGMENT_SKIP:
            pass
        elif tag in _FRAGMENT_BLOCKS and not _has_fragment_block(child):
            _flush_lines(loose, lines)
            lines.append(element_text(child))
        elif tag == "br":
            _flush_lines(loose, lines)
        elif tag and (
            _has_fragment_block(child) or tag in {"div", "section", "article", "ul", "ol"}
        ):
            _flush_lines(loose, lines)
            _fragment_walk(child, lines)
        else:
            loose.append(element_text(child))
        loose.append(child.tail or "")
    _flush_lines(loose, lines)


def _has_fragment_block(element: Any) -> bool:
    return any(
        isinstance(d.tag, str) and d.tag in _FRAGMENT_BLOCKS | {"div", "ul", "ol", "section"}
        for d in element.iterdescendants()
    )


def _flush_lines(loose: list[str], lines: list[str]) -> None:
    text = clean(" ".join(loose))
    if text:
        lines.append(text)
    loose.clear()


# -- comparing candidate texts --------------------------------------------------------------


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def shingles(lines: Iterator[str] | tuple[str, ...] | list[str], size: int = 4) -> Counter[str]:
    tokens = words(" ".join(lines))
    return Counter(" ".join(tokens[i : i + size]) for i in range(max(0, len(tokens) - size + 1)))


def overlap(a: Counter[str], b: Counter[str]) -> tuple[float, float]:
    """(share of ``a`` found in ``b``, share of ``b`` found in ``a``), by shingle counts."""
    common = sum((a & b).values())
    total_a, total_b = sum(a.values()), sum(b.values())
    return (common / total_a if total_a else 0.0, common / total_b if total_b else 0.0)
