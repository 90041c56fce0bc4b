"""Pages nested past the parser's depth limit, read in full by flattening the nest first.

libxml2 stops parsing where the open elements reach its depth limit (256; 2048 even with
``huge_tree``) and drops the rest of the page: a page of 100,000 nested ``<div>``s reads as
its first few paragraphs. Such a parse is told by its last error (``ERR_RESOURCE_LIMIT``,
"Excessive depth"), which costs an ordinary page nothing to check. Only then is the markup
scanned here, once: the start and end tags of elements opened past ``FLAT_DEPTH`` levels
are cut out, so every text node stays where it was, in document order, under an ancestor
at that depth. Paragraph-like blocks (``<p>``, headings, list items...) past that depth are
kept, a few levels more at most, so that the deep text still reads as paragraphs, and so
are raw-text elements (``<script>``, ``<style>``...), whose content is no text of the page.

The scan follows HTML's tokenisation (comments, raw-text elements such as ``<script>``,
quoted attribute values), and it counts depth as the parser builds it or deeper, never
shallower: an end tag closes only an element open a few levels up, and one it does not
close is cut out too; every element it closes, it closes with an end tag of its own.
"""

from __future__ import annotations

import re
from typing import Any

# Deeper than this, elements lose their tags (their content stays).
FLAT_DEPTH = 200
# Paragraph-like blocks keep their tags down to this depth.
_BLOCK_DEPTH = FLAT_DEPTH + 16
# How far up the open elements an end tag is matched; an end tag for an element opened
# further up is taken for a stray one (the page's nest stays open, which only deepens it).
_END_REACH = 64


def _names(names: str) -> frozenset[str]:
    return frozenset(names.split())


_BLOCKS = _names("p h1 h2 h3 h4 h5 h6 li dt dd blockquote pre figcaption caption td th tr table")
_VOID = _names(
    "area base basefont bgsound br col embed frame hr img input keygen link meta param "
    "source track wbr"
)
# Elements whose content is text up to their end tag.
_RAW_TEXT = _names("script style xmp iframe noembed noframes textarea title")
# The parser's own implied end: a start tag of the key closes an open element of the value
# at the top of the stack (only there: elsewhere the count stays the deeper one).
_CLOSED_BY: dict[str, frozenset[str]] = {
    **{
        name: frozenset({"p"})
        for name in _names(
            "address article aside blockquote center details dialog dir div dl fieldset "
            "figcaption figure footer form header hgroup main menu nav ol p pre section "
            "summary table ul h1 h2 h3 h4 h5 h6"
        )
    },
    "li": frozenset({"li", "p"}),
    "dt": frozenset({"dt", "dd", "p"}),
    "dd": frozenset({"dt", "dd", "p"}),
    "option": frozenset({"option"}),
    "optgroup": frozenset({"option", "optgroup"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "tbody": frozenset({"tbody", "thead", "tfoot", "tr", "td", "th"}),
    "tfoot": frozenset({"tbody", "thead", "tr", "td", "th"}),
}
# libxml2's end-tag priorities: an end tag does not close an element of higher priority.
_PRIORITY = {
    "div": 150,
    "td": 160,
    "th": 160,
    "tr": 170,
    "thead": 180,
    "tbody": 180,
    "tfoot": 180,
    "table": 190,
    "head": 200,
    "body": 200,
    "html": 220,
}

_MARKUP = re.compile(r"<(?:[A-Za-z/!?])")
_START = re.compile(r"<([A-Za-z][^\t\n\f\r />]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_END = re.compile(r"</([A-Za-z][^\t\n\f\r />]*)[^>]*>")
_NAME_END = r"[\t\n\f\r />]"


def too_deep(parser: Any) -> bool:
    """Whether the parser's last parse stopped at its depth limit."""
    error = parser.error_log.last_error
    if error is None or error.type_name != "ERR_RESOURCE_LIMIT":
        return False
    return "depth" in error.message


class Flattened:
    """The markup with its nest cut to ``FLAT_DEPTH``, and how deep the nest went."""

    def __init__(self, markup: str) -> None:
        self.markup = markup
        self._out: list[str] = []
        self._copied = 0  # markup[: self._copied] is in self._out
        # The open elements: name and whether its tags are kept.
        self._stack: list[tuple[str, bool]] = []
        self._kept = 0  # how many of them keep their tags
        self.depth = 0  # the deepest the page nests
        self._scan()
        self._out.append(markup[self._copied :])
        self.text = "".join(self._out)

    def _scan(self) -> None:
        markup = self.markup
        pos = 0
        while (found := _MARKUP.search(markup, pos)) is not None:
            at = found.start()
            second = markup[at + 1]
            if second == "!" and markup.startswith("<!--", at):
                pos = _comment_end(markup, at)
            elif second in "!?":
                close = markup.find(">", at)
                pos = len(markup) if close < 0 else close + 1
            elif second == "/":
                end = _END.match(markup, at)
                pos = at + 2 if end is None else self._end_tag(end)
            elif (start := _START.match(markup, at)) is None:
                pos = at + 1  # no tag: text, or the page ends inside a tag
            else:
                pos = self._start_tag(start)

    def _cut(self, start: int, end: int, insert: str = "") -> None:
        self._out.append(self.markup[self._copied : start])
        self._out.append(insert)
        self._copied = end

    def _pop(self) -> str:
        """Closes the innermost element; the end tag it needs, if its tags are kept."""
        name, kept = self._stack.pop()
        if kept:
            self._kept -= 1
            return f"</{name}>"
        return ""

    def _start_tag(self, tag: re.Match[str]) -> int:
        name = tag[1].lower()
        end = tag.end()
        closers = _CLOSED_BY.get(name)
        closing = ""
        while closers and self._stack and self._stack[-1][0] in closers:
            closing += self._pop()
        if closing:
            self._cut(tag.start(), tag.start(), closing)
        if name in _VOID:
            return end
        # A raw-text element keeps its tags at any depth: it holds no element, and its
        # content is no text of the page.
        keep = (
            self._kept < FLAT_DEPTH
            or (name in _BLOCKS and self._kept < _BLOCK_DEPTH)
            or name in _RAW_TEXT
        )
        self._stack.append((name, keep))
        self._kept += keep
        self.depth = max(self.depth, len(self._stack))
        if not keep:
            self._cut(tag.start(), end)
        if name in _RAW_TEXT and not tag[0].endswith("/>"):
            content_end = re.compile(rf"</{re.escape(name)}{_NAME_END}", re.IGNORECASE)
            found = content_end.search(self.markup, end)
            return len(self.markup) if found is None else found.start()
        if name == "plaintext":
            return len(self.markup)
        return end

    def _end_tag(self, tag: re.Match[str]) -> int:
        name = tag[1].lower()
        priority = _PRIORITY.get(name, 100)
        stack = self._stack
        for reach in range(1, min(len(stack), _END_REACH) + 1):
            open_name = stack[-reach][0]
            if open_name == name:
                closing = "".join(self._pop() for _ in range(reach))
                self._cut(tag.start(), tag.end(), closing)
                return tag.end()
            if _PRIORITY.get(open_name, 100) > priority:
                break
        self._cut(tag.start(), tag.end())  # closes nothing here: cut out
        return tag.end()


def _comment_end(markup: str, at: int) -> int:
    if markup.startswith((">", "->"), at + 4):  # "<!-->" and "<!--->" end where they begin
        return markup.index(">", at + 4) + 1
    close = markup.find("-->", at + 4)
    return len(markup) if close < 0 else close + 3
