"""Which charset a feed's bytes are really in, where the labels (HTTP header, XML
declaration) and the bytes disagree, or where nothing labels them."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
# Whether the XML declaration names an encoding at all (any label: one nobody knows is
# still the publisher's word). Only at the very start, as feedparser reads it: after white
# space it is no declaration, and feedparser ignores it.
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=""")
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
        # Told even when no header names a charset: with no Content-Type at all,
        # feedparser did not read a UTF-16 feed whose declaration names no encoding.
        return sniffed
    if _mislabelled_utf8(content, content_type):
        return "utf-8"
    if _undeclared(content, content_type):
        return detected_encoding(content)
    return None


def _undeclared(content: bytes, content_type: str | None) -> bool:
    """Legacy-encoded bytes that no label names: not ASCII, not UTF-8 (the caller has
    ruled out a BOM), no charset in the header, no encoding in the XML declaration."""
    if content.isascii() or (content_type and _CHARSET.search(content_type)):
        return False
    if _DECLARED.match(content):
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


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


# -- detection ----------------------------------------------------------------------------

# How much of the document the detector reads: charset-normalizer judges a few chunks of
# it, so more bytes cost time and add little (on 60 undeclared feeds, written and from the
# corpora, it read as many right from 16 KB as from whole feeds, one fewer from 4 KB).
DETECTION_LIMIT = 64 * 1024
_WESTERN = "cp1252"  # feedparser's own fallback, and the WHATWG default for the West
# How much messier than the best candidate windows-1252 may read and still be taken:
# charset-normalizer counts two accented letters in a row as suspect, so Portuguese ("ção")
# reads about 0.02 messier in windows-1252 than in windows-1250 ("çăo"); Cyrillic, Greek,
# Hebrew and CJK text read as windows-1252 is either undecodable or 0.2 and more.
_WESTERN_TOLERANCE = 0.05
_ASCII_PROBE = "<?xml version='1.0'?><rss>&amp; \"=/</rss>\n"


def detected_encoding(content: bytes) -> str | None:
    """The legacy encoding the bytes are most plausibly in (a Python codec name), or None.

    charset-normalizer's candidates are those that decode the sample with the least mess;
    windows-1252 whenever it reads the sample (nearly) as cleanly as they do (text in Latin script
    reads as cleanly in windows-1250, -1257 or DOS code pages, and the West's feeds
    outnumber the rest; it is also what feedparser falls back to), else the candidate
    whose decoding is plausible for its language (``_implausible``): short CJK text
    decodes cleanly as GB18030, EUC-KR and EUC-JP alike.
    """
    sample = _sample(content)
    matches = [
        m
        for m in charset_normalizer.from_bytes(sample, preemptive_behaviour=False)
        if _ascii_compatible(m.encoding)
    ]
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    clean = [m for m in matches if m.chaos <= least]
    if any(_WESTERN in m.could_be_from_charset for m in clean) or _western_clean(sample, least):
        return _WESTERN
    ranked = sorted(clean, key=lambda m: _implausible(str(m), m.language))  # stable
    return str(ranked[0].encoding)


def _western_clean(sample: bytes, least: float) -> bool:
    """Whether windows-1252 reads the sample (nearly) as cleanly as the best candidate
    (the detector stops at the first few clean candidates, so it may not have tried it)."""
    western = charset_normalizer.from_bytes(
        sample, cp_isolation=[_WESTERN], preemptive_behaviour=False
    ).best()
    return western is not None and western.chaos <= least + _WESTERN_TOLERANCE


def _sample(content: bytes) -> bytes:
    """At most DETECTION_LIMIT bytes, cut before a ``<`` (never inside a multi-byte
    character: 0x3C is no legacy CJK encoding's trail byte)."""
    if len(content) <= DETECTION_LIMIT:
        return content
    cut = content.rfind(b"<", 0, DETECTION_LIMIT)
    return content[:cut] if cut > 0 else content[:DETECTION_LIMIT]


def _ascii_compatible(encoding: str) -> bool:
    """Whether the markup's ASCII reads as itself (not UTF-16, not EBCDIC)."""
    try:
        return _ASCII_PROBE.encode(encoding) == _ASCII_PROBE.encode("ascii")
    except (LookupError, UnicodeError):
        return False


def _implausible(text: str, language: str) -> float:
    """The share of the text's CJK characters that its language seldom writes: Hanja and
    jamo in Korean, Hangul and kana in Chinese, Hangul (or kanji with no kana at all) in
    Japanese. 0 for other languages."""
    hangul = kana = han = jamo = 0
    for ch in text:
        code = ord(ch)
        if code < 0x3000:
            continue
        if 0xAC00 <= code <= 0xD7A3:
            hangul += 1
        elif 0x3040 <= code <= 0x30FF:
            kana += 1
        elif 0x4E00 <= code <= 0x9FFF:
            han += 1
        elif 0x3130 <= code <= 0x318F:
            jamo += 1
    total = hangul + kana + han + jamo
    if not total:
        return 0.0
    if language == "Korean":
        odd = han + jamo + kana
    elif language == "Chinese":
        odd = hangul + kana
    elif language == "Japanese":
        odd = hangul + jamo + (han if not kana else 0)
    else:
        odd = 0
    return odd / total
