"""Two renderings of an article -> a diff a person can read.

The layout puts each paragraph on one line, so a line diff points at the paragraphs that
changed; within a changed paragraph, the words that changed are marked.
"""

from __future__ import annotations

import difflib
from typing import Literal


def version_diff(old: str, new: str, old_label: str, new_label: str, context: int = 1) -> str:
    """A unified diff; a paragraph replaced by one paragraph is shown word by word."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    out = [f"--- {old_label}", f"+++ {new_label}"]
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        out.append(
            f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@"
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [f" {line}" for line in old_lines[i1:i2]]
            elif tag == "replace" and i2 - i1 == j2 - j1:
                for a, b in zip(old_lines[i1:i2], new_lines[j1:j2], strict=True):
                    out.append(f"~ {word_diff(a, b)}")
            else:
                out += [f"-{line}" for line in old_lines[i1:i2]]
                out += [f"+{line}" for line in new_lines[j1:j2]]
    return "\n".join(out) + "\n" if len(out) > 2 else ""


def word_diff(old: str, new: str) -> str:
    """``old`` turned into ``new``, with ``[-removed-]`` and ``{+added+}`` words marked."""
    marks = {"same": "{}", "removed": "[-{}-]", "added": "{{+{}+}}"}
    return " ".join(marks[op].format(text) for op, text in word_segments(old, new))


WordOp = Literal["same", "removed", "added"]


def word_segments(old: str, new: str) -> list[tuple[WordOp, str]]:
    """``old`` turned into ``new`` as runs of words kept, removed and added, in reading
    order (a removed run before the run that replaced it)."""
    a, b = old.split(), new.split()
    segments: list[tuple[WordOp, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("removed", " ".join(a[i1:i2])))
        if j2 > j1:
            segments.append(("added", " ".join(b[j1:j2])))
    return segments


def paragraph_segments(old: str, new: str) -> list[list[tuple[WordOp, str]]]:
    """Two texts of one paragraph per line as their paragraphs, each as word runs: a
    paragraph kept is one "same" run, one replaced by one is diffed word by word, the rest
    are wholly removed or added."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    paragraphs: list[list[tuple[WordOp, str]]] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            paragraphs += [[("same", line)] for line in old_lines[i1:i2]]
        elif tag == "replace" and i2 - i1 == j2 - j1:
            paragraphs += [
                word_segments(a, b) for a, b in zip(old_lines[i1:i2], new_lines[j1:j2], strict=True)
            ]
        else:
            paragraphs += [[("removed", line)] for line in old_lines[i1:i2]]
            paragraphs += [[("added", line)] for line in new_lines[j1:j2]]
    return paragraphs
