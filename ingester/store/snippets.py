"""A search hit's context: the window of its body where the query's words fall, matched
words in [brackets], on one line. Made here rather than by the engine (FTS5's
``snippet``, PostgreSQL's ``ts_headline`` choose and cut differently), so that a search
reads the same on both.

Words are matched as the search matched them: by letters and digits, case and accents
aside; a query's ``word*`` matches words that begin with it. The window is the twelve
words holding the most distinct query words, then the most matches, then the first match
nearest the fourth word (a little context before it).
"""

from __future__ import annotations

import re
import unicodedata

WINDOW = 12  # words in a snippet
LEAD = 3  # words before the first match, where the window allows
ELLIPSIS = " … "
_WORD = re.compile(r"\w+")
_OPERATORS = {"and", "or", "not", "near"}


def fold(word: str) -> str:
    """A word as the indexes compare it: no case, no accents."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The query's words, each with whether it is a prefix (``word*``); operators,
    quotes and exclusions (``-word``, ``NOT word``) left out."""
    terms, negated = [], False
    for match in re.finditer(r"(-?)(\w+)(\*?)", query):
        excluded, word, star = match.groups()
        operator = word.casefold()
        if not (excluded or negated or operator in _OPERATORS):
            terms.append((fold(word), bool(star)))
        negated = operator == "not"
    return terms


def snippet(body: str, query: str) -> str:
    words = [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(body)]
    if not words:
        return ""
    terms = query_terms(query)

    def matched(folded: str) -> str | None:
        for term, prefix in terms:
            if folded == term or (prefix and folded.startswith(term)):
                return term
        return None

    hits = [matched(folded) for _, _, folded in words]
    start = 0
    best: tuple[int, int, int] = (-1, -1, 0)
    for first in range(max(1, len(words) - WINDOW + 1)):
        inside = [i for i, h in enumerate(hits[first : first + WINDOW]) if h is not None]
        found = {hits[first + i] for i in inside}
        score = (len(found), len(inside), -abs(inside[0] - LEAD) if inside else 0)
        if score > best:
            best, start = score, first
    end = min(len(words), start + WINDOW)
    pieces, at = [], 0 if start == 0 else words[start][0]
    for (begin, finish, _), hit in zip(words[start:end], hits[start:end], strict=True):
        pieces.append(body[at:begin])
        pieces.append(f"[{body[begin:finish]}]" if hit is not None else body[begin:finish])
        at = finish
    if end == len(words):
        pieces.append(body[at:])  # the body's own end: its full stop, its closing quote
    text = "".join(pieces)
    text = (ELLIPSIS.lstrip() if start > 0 else "") + text + (ELLIPSIS if end < len(words) else "")
    return " ".join(text.split())
