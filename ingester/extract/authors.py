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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..blocks import clean
from .authorbox import surveyed_bylines, walked_bylines
from .furniture import Survey
from .metadata import ARTICLE_TYPES, decoded, ld_types
from .sites import ORGANISATIONS, SiteNames

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
    return (split_names(name) if name else []), bool(ld_types(item) & ORGANISATIONS)


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


@dataclass(frozen=True, slots=True)
class Credit:
    """Whom a page credits: the people it names, else the publisher crediting itself."""

    people: tuple[str, ...]
    publisher: str | None
    site: SiteNames

    def line(self) -> str | None:
        return join_names(self.people or ([self.publisher] if self.publisher else []))

    def names_someone_in_full(self) -> bool:
        """A name of two words or more (or in a script without case): a one-word credit
        is as often a user name, an agency or a section ("admin", "Nachrichten")."""
        return any(" " in name or not _cased(name) for name in self.people)


def page_author(
    tree: Any,
    meta: dict[str, str],
    ld: dict[str, Any],
    ld_objects: Sequence[dict[str, Any]],
    box_name: str | None,
    surveyed: Survey | None,
    url: str,
) -> Credit:
    """The people the page names as its authors, in the order of the sources above."""
    site = SiteNames.of_page(meta, ld_objects, url)

    publishers: list[str] = []  # the site's names and organisations, in the order found

    def kept(found: Iterable[tuple[str, list[str]]]) -> list[Candidate]:
        out = []
        for kind, names in found:
            people = _dedupe(n for n in names if not site.named(n))
            publishers.extend(n for n in names if site.named(n))
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
    people = tuple(natural_case(name) for name in choose([structured, tagged, seen]))
    return Credit(people, publishers[0] if publishers else None, site)


# -- a signature in the text ----------------------------------------------------------------

# A byline the CMS has no field for is a paragraph of its own at the top or the foot of the
# text ("Mathatisi Sebusi/Mohalenyane Phakela"); further in, a line of names is more likely
# a list or a caption.
_SIGNATURE_REACH = 3
_SLASHES = re.compile(r"\s*/\s*")
# What a byline never holds: a sentence's end, a quotation, brackets, markup, a colon.
_NOT_A_BYLINE = re.compile(r"[.;]\s*$|[\"“”„«»()<>|^¶。、「」:!?]")
_PARTICLES = frozenset(
    {"van", "von", "de", "da", "di", "del", "della", "der", "den", "du", "dos", "das"}
    | {"le", "la", "bin", "ibn", "al", "el", "ter", "ten", "y", "e"}
)


def signature(
    body: Sequence[str], site: SiteNames, headings: frozenset[str]
) -> tuple[int, tuple[str, ...]] | None:
    """Where no source names a person: the first of the text's opening or closing
    paragraphs that is a byline and nothing else, as its index and its people. Every name
    in it must read as a person's: two to four words, each capitalised or a particle
    ("van", "de"), or two to five characters of a script without case; a heading of the
    page ("Monitoring Distributed Systems") is none."""
    ends = range(len(body))
    for i in dict.fromkeys([*ends[:_SIGNATURE_REACH], *ends[-_SIGNATURE_REACH:]]):
        line = body[i]
        if len(line) > 80 or line in headings or _NOT_A_BYLINE.search(line):
            continue
        names = [n for n in visible_names(_SLASHES.sub(", ", line)) if not site.named(n)]
        if names and all(_reads_as_a_person(n) for n in names):
            return i, tuple(natural_case(n) for n in names)
    return None


# The newsroom signing for itself: "Redaktion", "IN-Redaktion", "Newsroom", "Staff".
_NEWSROOM = re.compile(
    r"(?:[\w.]+[-\s])?(?:redaktion|r[ée]daction|redazione|redacci[óo]n|redactie|redakce|"
    r"redakcja|toimitus|newsroom|staff)",
    re.IGNORECASE,
)


def newsroom_signature(body: Sequence[str], headings: frozenset[str]) -> int | None:
    """Where no source names anyone: the index of a closing paragraph in which the
    newsroom signs the text ("IN-Redaktion"), the credit the publisher gives itself."""
    for i in range(max(0, len(body) - _SIGNATURE_REACH), len(body)):
        line = body[i]
        if len(line) <= 40 and line not in headings and _NEWSROOM.fullmatch(line):
            return i
    return None


def _reads_as_a_person(name: str) -> bool:
    words = name.split()
    if not _cased(name):
        return len(words) == 1 and 2 <= len(name) <= 5
    return 2 <= len(words) <= 4 and all(word[:1].isupper() or word in _PARTICLES for word in words)
