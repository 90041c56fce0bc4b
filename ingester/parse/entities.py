"""Bounds on XML entity declarations, applied before feedparser sees a document."""

from __future__ import annotations

import re

from .charset import sniffed_encoding

_ENTITY_DECLARATION = re.compile(
    r"""<!ENTITY\s+(%\s+)?([^\s>]+)\s+(?:"([^"]*)"|'([^']*)'|[^>"'])*>"""
)
_WIDE = ("utf-16be", "utf-16le", "utf-32be", "utf-32le")
MAX_ENTITY_EXPANSION = 1024 * 1024  # characters all uses of one entity may add up to


def without_entity_declarations(content: bytes) -> bytes:
    """The document without the entity declarations that could blow it up.

    feedparser drops the declarations it thinks unsafe but keeps plain literal ones, and
    its loose parser then expands them without limit: one 100 KB entity referenced a few
    thousand times (the "quadratic blowup") made a 109 KB feed into 500 MB. A literal
    entity is kept only while its value times its uses stays under a megabyte.
    """
    sniffed = sniffed_encoding(content)
    wide = sniffed if sniffed in _WIDE else "latin-1"  # latin-1: bytes <-> text, 1 to 1
    if "<!ENTITY".encode(wide) not in content:
        return content  # the common case: no copy of the document is made
    unit = 4 if "32" in wide else 2 if "16" in wide else 1
    cut = len(content) - len(content) % unit  # a torn last character is kept as bytes
    try:
        text = content[:cut].decode(wide, errors="surrogatepass")
    except UnicodeDecodeError:
        return content  # not really that encoding: feedparser will not read it either
    declarations = text.count("<!ENTITY")
    if not declarations:
        return content

    def keep_if_bounded(match: re.Match[str]) -> str:
        parameter, name, value = match.group(1), match.group(2), match.group(3) or match.group(4)
        if declarations > 64 or parameter or value is None or "&" in value:
            return ""  # parameter and external entities, and ones that nest: never needed
        return (
            match.group(0) if len(value) * text.count(f"&{name};") <= MAX_ENTITY_EXPANSION else ""
        )

    try:
        kept = _ENTITY_DECLARATION.sub(keep_if_bounded, text).encode(wide, errors="surrogatepass")
    except UnicodeError:
        return content
    return kept + content[cut:]
