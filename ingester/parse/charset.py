"""Which charset a feed's bytes are really in, where the labels (HTTP header, XML
declaration) and the bytes disagree."""

from __future__ import annotations

import codecs
import re

_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# What the first bytes say, BOMs before the bare patterns of "<" (XML 1.0, appendix F.1);
# UTF-32 before UTF-16, whose little-endian BOM begins UTF-32's.
_SNIFFED = (
    (codecs.BOM_UTF32_BE, "utf-32be"),
    (codecs.BOM_UTF32_LE, "utf-32le"),
    (codecs.BOM_UTF16_BE, "utf-16be"),
    (codecs.BOM_UTF16_LE, "utf-16le"),
    (codecs.BOM_UTF8, "utf-8"),
    (b"\x00\x00\x00<", "utf-32be"),
    (b"<\x00\x00\x00", "utf-32le"),
    (b"\x00<", "utf-16be"),
    (b"<\x00", "utf-16le"),
)


def sniffed_encoding(content: bytes) -> str | None:
    """The encoding a document's first bytes show (a BOM, or ``<`` in UTF-16/32), if any."""
    return next((name for prefix, name in _SNIFFED if content.startswith(prefix)), None)


def charset_override(content: bytes, content_type: str | None) -> str | None:
    """The charset to tell feedparser instead of the one the labels give, if any.

    A BOM (or the byte pattern of ``<`` in UTF-16/32) wins over a charset in the header,
    as XML 1.0 appendix F and the WHATWG encoding sniffing rule have it: feedparser
    believes the header first, so a UTF-16 feed served as ISO-8859-1 did not parse, and
    a UTF-8 one with a BOM served as windows-1252 came out as mojibake.
    """
    sniffed = sniffed_encoding(content)
    if sniffed:
        return sniffed if content_type and _CHARSET.search(content_type) else None
    return "utf-8" if _mislabelled_utf8(content, content_type) else None


def _mislabelled_utf8(content: bytes, content_type: str | None) -> bool:
    """UTF-8 bytes labelled with a legacy charset: by the header, else by the XML
    declaration (the order feedparser reads them in), else by nothing (feedparser then
    assumes ISO-8859-1 or US-ASCII, by the media type).

    feedparser believes the label and repairs only what re-encodes through Latin-1, so a
    euro sign in a feed declared windows-1252 came out as three characters (E2 82 AC read
    as windows-1252). Text in a legacy charset that contains non-ASCII bytes is practically
    never valid UTF-8, so valid UTF-8 wins over
    the label, as in miniflux's ``encoding.CharsetReader``.
    """
    if content.isascii():
        return False
    label = None
    if content_type and (charset := _CHARSET.search(content_type)):
        label = charset.group(1)
    elif declared := _XML_ENCODING.match(content):
        label = declared.group(1).decode("ascii")
    if label and _unicode_codec(label):
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _unicode_codec(label: str) -> bool:
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return False  # a label nobody knows says nothing about the bytes
    return name.startswith("utf")
