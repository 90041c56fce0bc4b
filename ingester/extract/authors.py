"""Who wrote the article: one author line from every source a page offers.

Sources, in three tiers of preference:

1. the publisher's JSON-LD: the article object's ``author`` (a Person's ``name``, else its
   ``givenName`` and ``familyName``; an ``@id`` reference is followed to the object of the
   page that has that id), then the other article objects' authors;
2. meta tags: ``author``, ``article:author``, ``dc.creator``, ``parsely-author`` and the
   like, each key with all its tags;
3. what the reader sees: the author box's name, bylines (elements whose class or id names a
   byline or an author and whose text is short), ``rel="author"`` links, microdata
   ``itemprop="author"`` and links to an author's page (``/author/…``, ``/autoren/…``),
   none inside a comment, a figure or another article's card (authorbox.py finds them).

Each source gives a list of names, each cleaned the same way (entities decoded, whitespace
collapsed, a label such as "By" or "Autor:" and a trailing parenthetical such as initials
taken off, e-mail addresses, handles and web addresses taken out) and dropped when it is no
person's name: a number or an id, a URL slug, a job title, a legal entity. A JSON-LD
Organization and the site itself (its og:site_name, application-name, publisher names, a
name written as a web address or as its host) are set aside: the publisher credits itself
only where no source names a person. A byline the reader sees must also read as names (no
digit, capitalised, at most five words a name, one of two words). One line
becomes several names at commas, semicolons, "&" and " and ", and at the "and" of other
languages (und, og, och, en, et) where it stands between two capitalised words.

The first tier that gives any name wins. Inside it, where its sources disagree, the names
that most kinds of source agree on win (a source of any tier counts), the first in order on
a tie. What the reader sees is read only when it is needed (the structured sources name
nobody, or disagree), and the lookups over the whole tree (rel, itemprop, every class that
names an author, links to author pages) only when every cheaper source gave nothing.
Several authors are joined one way, "A, B and C"; a name in ALL CAPS is title-cased.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..blocks import clean
from .authorbox import surveyed_bylines, walked_bylines
from .furniture import Survey
from .metadata import ARTICLE_TYPES, decoded, ld_types

# -- cleaning one name ---------------------------------------------------------------------

_LABEL = re.compile(
    r"^(?:(?:written|posted|published|reported|story|text|words|photos?\s+and\s+text)\s+by"
    r"|by|von|par|por|door|av|af|author|autor|autorin|auteur)\b[\s:.,-]*"
    r"|^[^\W\d_]{2,20}\s*:\s*",
    re.IGNORECASE,
)
_TRAILING_PARENTHETICAL = re.compile(r"\s*[(\[][^()\[\]]{0,40}[)\]]\s*$")
# A parenthetical that ends a name, before the next name of the line or the line's end.
_PARENTHETICAL = re.compile(
    r"\s*[(\[][^()\[\]]{0,40}[)\]](?=\s*(?:[,;&]|$)|\s+(?:and|und|og|och|en|et)\s)",
    re.IGNORECASE,
)
# A job title that follows the name in East Asian bylines ("reporter", "correspondent").
_SUFFIX_LABEL = re.compile(r"\s*(?:기자|특파원|記者|特派員|特派员)$")
_ADDRESS = re.compile(r"\S+@\S+|@\w+|(?:https?://|www\.)\S*", re.IGNORECASE)
_DOMAIN = re.compile(r"^\S+\.[^\W\d_]{2,}$")  # a single word written as a web address
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")
_LEGAL_FORM = re.compile(r"\b(?:GmbH|AG|Ltd|LLC|Inc|Corp|plc|S\.A|KGaA)\b\.?", re.IGNORECASE)
_EDGE_PUNCTUATION = " \t-\u2013\u2014|\u00b7\u2022,;:/"  # dashes, bars, dots
_OTHER_AND = re.compile(r"(?<=\w)\s+(?:und|og|och|en|et)\s+(?=[^\W\d_])")
_SEPARATORS = re.compile(r"\s*(?:[,;&]|\s+and\s+)\s*", re.IGNORECASE)


def split_names(line: str) -> list[str]:
    """One line of names as its names, each cleaned; what is no name is left out."""
    text = decoded(line) or ""
    if not text or text.lower().startswith(("http://", "https://", "www.")):
        return []
    text = _PARENTHETICAL.sub("", _LABEL.sub("", text, count=1))
    text = _OTHER_AND.sub(_and_between_names, text)
    names = []
    for part in _SEPARATORS.split(text):
        name = clean_name(part)
        if name:
            names.append(name)
    return names


def _and_between_names(match: re.Match[str]) -> str:
    """The "and" of another language splits two names only between capitalised words:
    "Felix Schröder und Jörg Soldwisch", not "Institut för och om" (lower-case)."""
    before = match.string[: match.start()].rsplit(" ", 1)[-1]
    after = match.string[match.end() :]
    return ", " if before[:1].isupper() and after[:1].isupper() else match.group(0)


def clean_name(text: str) -> str | None:
    """One name as it is written, or None where it is not a person's name."""
    name = _ADDRESS.sub(" ", _TRAILING_PARENTHETICAL.sub("", text))
    name = _SUFFIX_LABEL.sub("", _LABEL.sub("", clean(name), count=1))
    name = clean(name).strip(_EDGE_PUNCTUATION)
    if not name or len(name) > 80 or not any(c.isalpha() for c in name):
        return None
    if any(c.isdigit() for c in name) or _SLUG.match(name):
        return None  # a date, an id or a URL slug
    if _LEGAL_FORM.search(name):
        return None  # a company
    if all(_ROLE_WORDS.fullmatch(word) for word in name.split()):
        return None  # a job title beside the name ("Jane Doe, Staff Writer")
    return name


def natural_case(name: str) -> str:
    """A person's name in ALL CAPS (a wire byline) title-cased; any other as written."""
    return name.title() if name.isupper() and " " in name else name


_ROLE_WORDS = re.compile(
    r"ceo|cto|cfo|coo|(?:co-)?founder|editor(?:-in-chief)?|chief|senior|staff|writer|reporter|"
    r"correspondent|columnist|contribut(?:or|ing)|producer|journalist|photographer|in|of|the|"
    r"and|at|large|deputy|managing|associate|assistant|redakteur(?:in)?|korrespondent(?:in)?",
    re.IGNORECASE,
)


def join_names(names: Sequence[str]) -> str | None:
    if not names:
        return None
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _dedupe(names: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return tuple(seen.values())


# -- the site's own names --------------------------------------------------------------------

_TLD = re.compile(r"\.[^\W\d_]{2,6}$")
_NOT_ALNUM = re.compile(r"[\W_]+")
_SITE_META = (
    "og:site_name",
    "application-name",
    "apple-mobile-web-app-title",
    "publisher",
    "dc.publisher",
    "article:publisher",
    "twitter:site",
)
_ORGANISATIONS = frozenset(
    {
        "Organization",
        "NewsMediaOrganization",
        "Corporation",
        "NGO",
        "EducationalOrganization",
        "GovernmentOrganization",
        "MediaOrganization",
        "OnlineBusiness",
        "LocalBusiness",
        "WebSite",
        "Brand",
    }
)


def name_key(name: str) -> str:
    """A name as compared with the site's: case, punctuation, a leading "the" and a
    domain's ending do not count ("Le Monde.fr" is "Le Monde", "STERN.de" is "stern")."""
    key = unicodedata.normalize("NFKC", name).casefold().strip()
    key = _TLD.sub("", key.removeprefix("www.")).removeprefix("the ")
    return _NOT_ALNUM.sub("", key)


def site_keys(meta: dict[str, str], ld_objects: Sequence[dict[str, Any]], url: str) -> set[str]:
    names = [meta.get(key, "").lstrip("@") for key in _SITE_META]
    for obj in ld_objects:
        publisher = obj.get("publisher")
        for item in publisher if isinstance(publisher, list) else [publisher]:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append(item["name"])
        if ld_types(obj) & _ORGANISATIONS and isinstance(obj.get("name"), str):
            names.append(obj["name"])
    keys = {name_key(n) for n in names if n and not n.startswith("http")}
    return {k for k in keys if k}


def host_labels(url: str) -> set[str]:
    """The words of the page's host that name the site: "www.lto.de" gives "lto"."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = host.split(".")[:-1]
    return {name_key(label) for label in labels if label not in _SECOND_LEVEL} - {""}


_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "www", "m", "amp"})


def _is_site(name: str, sites: set[str], hosts: set[str]) -> bool:
    """The site's own name, or a name written as a web address ("mdr.de")."""
    if _DOMAIN.match(name):
        return True
    key = name_key(name)
    return key in sites or (" " not in name.strip() and key in hosts)


# -- JSON-LD --------------------------------------------------------------------------------


def ld_names(
    ld: dict[str, Any], ld_objects: Sequence[dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """The names of the article object's authors, else of the page's other articles',
    people and organisations apart."""
    by_id = {o["@id"]: o for o in ld_objects if isinstance(o.get("@id"), str)}
    articles = [ld, *(o for o in ld_objects if o is not ld and ld_types(o) & ARTICLE_TYPES)]
    for article in articles:
        people: list[str] = []
        organisations: list[str] = []
        for item in _items(article.get("author")):
            names, organisation = _person(item, by_id)
            (organisations if organisation else people).extend(names)
        if people or organisations:
            return people, organisations
    return [], []


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _person(item: Any, by_id: dict[str, dict[str, Any]]) -> tuple[list[str], bool]:
    """One author's names, and whether it is an organisation."""
    if isinstance(item, str):
        return split_names(item), False
    if not isinstance(item, dict):
        return [], False
    if set(item) <= {"@id", "@type"} and item.get("@id") in by_id:
        item = by_id[item["@id"]]
    name = item.get("name")
    if isinstance(name, list):
        name = next((n for n in name if isinstance(n, str)), None)
    if not isinstance(name, str) or not name.strip():
        parts = [item.get("givenName"), item.get("familyName")]
        name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    return (split_names(name) if name else []), bool(ld_types(item) & _ORGANISATIONS)


# -- meta tags ------------------------------------------------------------------------------

_META_AUTHOR = (
    "author",
    "article:author",
    "og:article:author",
    "article:author_name",
    "dc.creator",
    "dcterms.creator",
    "dc:creator",
    "citation_author",
    "parsely-author",
    "sailthru.author",
    "byl",
)


def meta_candidates(tree: Any, meta: dict[str, str]) -> list[tuple[str, list[str]]]:
    """Each author meta key with the names of all its tags in the head (a key may come
    several times, one author each), else its first tag anywhere (``meta``), in the
    order of _META_AUTHOR. Microdata ``itemprop="author"`` is the bylines' (authorbox.py)."""
    if not any(key in meta for key in _META_AUTHOR):
        return []
    values: dict[str, list[str]] = {}
    for head in tree.iter("head"):
        for element in head.iterchildren("meta"):
            key = (element.get("property") or element.get("name") or "").strip().lower()
            if key in _META_AUTHOR_SET:
                values.setdefault(key, []).extend(split_names(element.get("content") or ""))
        break
    found = []
    for key in _META_AUTHOR:
        names = values[key] if key in values else split_names(meta.get(key, ""))
        if names:
            found.append((key, names))
    return found


_META_AUTHOR_SET = frozenset(_META_AUTHOR)


# -- what the reader sees -------------------------------------------------------------------


def cheap_visible(box_name: str | None, surveyed: Survey | None) -> list[tuple[str, list[str]]]:
    """The author box's name and the bylines the body's survey already found."""
    found = [("box", box_name)] if box_name else []
    found.extend(surveyed_bylines(surveyed))
    return [(kind, names) for kind, text in found if (names := visible_names(text))]


def walked_visible(tree: Any) -> list[tuple[str, list[str]]]:
    """Every element the reader sees as naming an author: a search of the whole tree."""
    found = walked_bylines(tree)
    return [(kind, names) for kind, text in found if (names := visible_names(text))]


def visible_names(text: str) -> list[str]:
    """The names of a byline the reader sees, or none where it does not read as names: it
    holds no digit, every name starts with a capital (or is written in a script without
    case) and has at most five words, and one has two words or is written without case."""
    if any(c.isdigit() for c in text):
        return []  # a date, a time, a count of views: more than a byline
    names = split_names(text)
    if not names or any(not _looks_like_name(n) for n in names):
        return []
    if not any(" " in n or not _cased(n) for n in names):
        return []
    return names


def _looks_like_name(name: str) -> bool:
    if len(name.split()) > 5 or any(c in name for c in ":!?|…©"):
        return False
    if name.isalpha() and name.islower() and len(name) <= 5:
        return True  # an agency's short name beside the writer's ("dpa", "afp")
    return name[:1].isupper() or not _cased(name[:1])


def _cased(text: str) -> bool:
    return any(c.lower() != c.upper() for c in text)


# -- the choice -----------------------------------------------------------------------------

Candidate = tuple[str, tuple[str, ...]]  # (the kind of source, its names)


def choose(tiers: Sequence[Sequence[Candidate]]) -> tuple[str, ...]:
    """The names of the first tier that has any; inside it, those that the most kinds of
    source (of any tier) give as well, the first on a tie."""
    support: dict[frozenset[str], set[str]] = {}
    for tier in tiers:
        for kind, names in tier:
            support.setdefault(_key(names), set()).add(kind)
    for tier in tiers:
        if tier:
            scores = [(len(support[_key(names)]), -i) for i, (_, names) in enumerate(tier)]
            return tier[scores.index(max(scores))][1]
    return ()


def _key(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(n.casefold() for n in names)


def page_author(
    tree: Any,
    meta: dict[str, str],
    ld: dict[str, Any],
    ld_objects: Sequence[dict[str, Any]],
    box_name: str | None,
    surveyed: Survey | None,
    url: str,
) -> str | None:
    """The page's author line, "A, B and C"; None where the page names no person."""
    sites, hosts = site_keys(meta, ld_objects, url), host_labels(url)

    publishers: list[str] = []  # the site's names and organisations, in the order found

    def kept(found: Iterable[tuple[str, list[str]]]) -> list[Candidate]:
        out = []
        for kind, names in found:
            people = _dedupe(n for n in names if not _is_site(n, sites, hosts))
            publishers.extend(n for n in names if _is_site(n, sites, hosts))
            if people:
                out.append((kind, people))
        return out

    ld_people, ld_organisations = ld_names(ld, ld_objects)
    publishers.extend(ld_organisations)
    structured = kept([("ld", ld_people)])
    tagged = kept(meta_candidates(tree, meta))
    top = structured or tagged
    seen: list[Candidate] = []
    if len({_key(names) for _, names in top}) != 1:  # no names yet, or names that disagree
        seen = kept(cheap_visible(box_name, surveyed))
        if not (top or seen):
            seen = kept(walked_visible(tree))
    # The publisher credits itself only where no person is named anywhere.
    people = [natural_case(name) for name in choose([structured, tagged, seen])]
    return join_names(people or publishers[:1])
