"""The headline, cleaned of what metadata adds to it.

Candidates are the article's visible ``<h1>``, the JSON-LD ``headline``, ``og:title`` and
the document's ``<title>``. Each is cleaned the same way: HTML entities decoded until the
text no longer changes (publishers escape their metadata twice: ``&amp;#8216;``), and the
site's own name taken off either end, with the separator that joined it. The site's name
is what the page itself says it is (``og:site_name``, ``application-name``, the JSON-LD
publisher) or its host (``golem.de`` is ``Golem.de``).

The structured headline comes first, then ``og:title``, the ``<title>`` and last the
article's ``<h1>``: on pages whose ``<h1>`` differs from their metadata, the hand-checked
titles of make eval's corpora agree with the metadata more often (measured: ``<h1>``
first gave fundus-dev 0.742, this order 0.864), and a page's first ``<h1>`` is often a
logo or a section's name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from .metadata import decoded

# What joins a site's name to a headline: " - ", " | ", en and em dashes, " · ", " :: ",
# Korean sites' "ㅣ" and the full-width bar.
_JOINERS = " \t-|\u2013\u2014·•:/»«ㅣ\uff5c"
_WORD = re.compile(r"\w+")
_SITE_NAME_WORDS = 5


def site_names(meta: dict[str, str], publisher: str | None, url: str) -> tuple[str, ...]:
    """The names the page gives its site, and its host's, in the forms compared below."""
    names = [meta.get("og:site_name"), meta.get("application-name"), publisher]
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    labels = host.split(".")
    if host:  # "golem.de" and "golem"; "bbc.co.uk" gives "co", too short to count
        names += [host, labels[-2] if len(labels) > 1 else host]
    return tuple(key for key in (_key(decoded(n)) for n in names) if len(key) >= 3)


def without_site_name(title: str, sites: Iterable[str], section: str | None = None) -> str:
    """``title`` with the site's name taken off its end or its start, with the separator
    that joined them; a section named between headline and site goes too
    ("Headline - Politics | Site"). The title is kept whole when nothing would be left."""
    sites = tuple(sites)
    cut = _cut_end(title, sites)
    if cut != title and section:
        cut = _cut_end(cut, (_key(section),))
    cut = _cut_start(cut, sites)
    return cut if _WORD.search(cut) else title


def choose_title(
    visible: str | None,
    headline: str | None,
    og_title: str | None,
    document_title: str | None,
    sites: tuple[str, ...],
    section: str | None,
) -> str | None:
    """The article's title: the first of the structured headline, ``og:title``, the
    document's ``<title>`` and the visible ``<h1>`` that is not blank once decoded and
    without the site's name."""
    for candidate in (headline, og_title, document_title, visible):
        cleaned = _clean(candidate, sites, section)
        if cleaned:
            return cleaned
    return None


def _clean(text: str | None, sites: tuple[str, ...], section: str | None) -> str | None:
    text = decoded(text)
    return without_site_name(text, sites, section) if text else None


def _key(text: str | None) -> str:
    """A name as compared: case-folded, letters and digits only ("Golem.de" = "golem.de")."""
    return "".join(_WORD.findall((text or "").casefold()))


def _cut_end(title: str, names: tuple[str, ...]) -> str:
    for split in _joins(title):
        head, tail = title[:split], title[split:]
        if _names_site(tail, names) and _WORD.search(head):
            return head.rstrip(_JOINERS)
    return title


def _names_site(part: str, names: tuple[str, ...]) -> bool:
    """``part`` is the site's name, or a short name ending in it ("Die Neue Südtiroler
    Tageszeitung" on tageszeitung.it). A longer name holds no separator of its own: in
    "US-Dollar - Wochenblatt" the name is "Wochenblatt", not "Dollar - Wochenblatt"."""
    if _key(part) in names:
        return True
    words = _WORD.findall(part.casefold())
    return (
        1 < len(words) <= _SITE_NAME_WORDS
        and words[-1] in names
        and not any(_has_separator(part, i, hyphen=True) for i in _joins(part))
    )


def _cut_start(title: str, names: tuple[str, ...]) -> str:
    for split in reversed(_joins(title, hyphen=False)):
        head, tail = title[:split], title[split:]
        if _key(head) in names and _WORD.search(tail):
            return tail.lstrip(_JOINERS)
    return title


def _joins(title: str, hyphen: bool = True) -> list[int]:
    """Where a separator run ends: each place a site's name could begin after one."""
    return [
        i
        for i in range(1, len(title))
        if title[i - 1] in _JOINERS
        and title[i] not in _JOINERS
        and _has_separator(title, i, hyphen)
    ]


def _has_separator(title: str, end: int, hyphen: bool) -> bool:
    """The run of joiners before ``end`` holds a real separator, not only a space: "a - b",
    "a|b" and "a ㅣb" join two parts, "a b" does not. A bare hyphen ("a-b") counts only
    with ``hyphen``: CMSs glue a section or site to the end of a headline that way, but at
    the start it is a compound word ("Golem.de-Leser")."""
    start = end
    while start > 0 and title[start - 1] in _JOINERS:
        start -= 1
    run = title[start:end]
    if not hyphen and run == "-":
        return False
    return any(c not in " \t" for c in run)
