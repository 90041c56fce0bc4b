"""What a page says about its article for machines: meta tags, JSON-LD, the canonical link,
the breadcrumb, and the element that holds the article."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urljoin

from ..blocks import clean, element_text
from .furniture import elements

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "LiveBlogPosting",
        "TechArticle",
        "ScholarlyArticle",
        "Report",
        "SocialMediaPosting",
    }
)

_SPACE = re.compile(r"\s+")


_UNESCAPES = 3  # "&amp;amp;#8216;" is as deep as publishers go


def decoded(text: str | None) -> str | None:
    """``text`` with HTML entities decoded until it stops changing (publishers escape their
    metadata, sometimes twice), whitespace collapsed; None when nothing is left."""
    return clean(unescaped(text)) or None if text is not None else None


def unescaped(text: str) -> str:
    """``text`` with HTML entities decoded until it stops changing, its layout kept."""
    for _ in range(_UNESCAPES):
        once = html.unescape(text)
        if once == text:
            break
        text = once
    return text


def first(*values: str | None) -> str | None:
    """The first value that is not blank, its whitespace collapsed; ``first(a, b, c)`` is
    ``first(a, b) or first(c)``, which lets a costly last candidate be looked up only
    when it is needed."""
    for value in values:
        if value and value.strip():
            return _SPACE.sub(" ", value).strip()
    return None


# -- meta tags and JSON-LD ----------------------------------------------------------------


# Lookups by tag name below walk the tree with lxml's iter(tag), which compares names in C
# and makes an object only for the elements it yields; an XPath `//meta` costs as much as
# a walk that makes an object for every element.


def meta_tags(tree: Any) -> dict[str, str]:
    """The first value of each ``<meta property|name>`` tag, keys lower-cased."""
    found: dict[str, str] = {}
    for element in tree.iter("meta"):
        value = element.get("content")
        if value is None:
            continue
        key = (element.get("property") or element.get("name") or "").strip().lower()
        value = value.strip()
        if key and value and key not in found:
            found[key] = value
    return found


def json_ld_objects(tree: Any) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, read once for the article and the breadcrumb."""
    objects: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or ""):
            continue
        try:
            data = json.loads(_without_cdata(script.text or ""), strict=False)
        except (ValueError, RecursionError):
            # Publishers ship broken JSON-LD, and a hostile page nests it past any
            # parser's depth: the other blocks and sources still count.
            continue
        objects.extend(_flatten_ld(data))
    return objects


def _without_cdata(text: str) -> str:
    """The JSON inside an XHTML-era ``<![CDATA[ … ]]>`` wrapper (with or without the
    ``//`` that hides it from scripts), which HTML parsers leave in the script's text."""
    stripped = text.strip()
    for opening in ("//<![CDATA[", "<![CDATA["):
        if stripped.startswith(opening):
            stripped = stripped.removeprefix(opening).rstrip()
            stripped = stripped.removesuffix("]]>").rstrip().removesuffix("//")
            break
    return stripped


def _flatten_ld(data: Any) -> list[dict[str, Any]]:
    """The objects of one JSON-LD block in document order, lists opened and ``@graph``
    followed (without recursion: the nesting is the page's to choose)."""
    found: list[dict[str, Any]] = []
    pending = [data]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        elif isinstance(item, dict):
            found.append(item)
            if "@graph" in item:
                pending.append(item["@graph"])
    return found


def ld_types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def json_ld_article(objects: list[dict[str, Any]]) -> dict[str, Any]:
    for obj in objects:
        if ld_types(obj) & ARTICLE_TYPES:
            return obj
    return {}


def ld_str(obj: dict[str, Any] | None, key: str) -> str | None:
    value = (obj or {}).get(key)
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _ld_authors(ld: dict[str, Any]) -> list[dict[str, Any]]:
    authors = ld.get("author")
    items = authors if isinstance(authors, list) else [authors]
    people: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            people.append({"name": item.strip()})
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            people.append(item)
    return people


def ld_single_author(ld: dict[str, Any]) -> dict[str, Any] | None:
    """Role and bio belong to one person; with several authors there is no single one."""
    people = _ld_authors(ld)
    return people[0] if len(people) == 1 else None


def ld_section(ld: dict[str, Any]) -> str | None:
    return ld_str(ld, "articleSection")


# -- page structure -------------------------------------------------------------------------


def article_container(tree: Any) -> Any:
    for tag in ("article", "main"):
        found = next(tree.iter(tag), None)
        if found is not None:
            return found
    found = next(elements(tree, '//*[@role="main"]'), None)
    return found if found is not None else next(tree.iter("body"), tree)


def document_title(tree: Any) -> str | None:
    """The document's ``<title>``: the first in the page, as browsers show it."""
    element = next(tree.iter("title"), None)
    return element_text(element) or None if element is not None else None


def publisher_name(ld: dict[str, Any]) -> str | None:
    publisher = ld.get("publisher")
    if isinstance(publisher, list):
        publisher = next((p for p in publisher if isinstance(p, dict)), None)
    return ld_str(publisher, "name") if isinstance(publisher, dict) else None


def h1(container: Any) -> str | None:
    heading = next(container.iterdescendants("h1"), None)
    return element_text(heading) or None


def heading_texts(tree: Any) -> frozenset[str]:
    """The text of every heading of the page, as the body's lines write it."""
    headings = tree.iter("h1", "h2", "h3", "h4", "h5", "h6")
    return frozenset(text for h in headings if (text := element_text(h)))


def canonical(tree: Any, meta: dict[str, str], url: str) -> str | None:
    link = next(
        (e for e in tree.iter("link") if e.get("rel") == "canonical" and e.get("href") is not None),
        None,
    )
    href = link.get("href") if link is not None else meta.get("og:url")
    return urljoin(url, href.strip()) if href and href.strip() else None


def breadcrumb(tree: Any, title: str | None, ld_objects: list[dict[str, Any]]) -> str | None:
    """The last breadcrumb that is not the article itself."""
    for obj in ld_objects:
        if "BreadcrumbList" in ld_types(obj):
            items = obj.get("itemListElement") or []
            names = [_crumb_name(i) for i in items if isinstance(i, dict)]
            return _last_crumb([n for n in names if n], title)
    trail = next(
        elements(
            tree,
            '//*[contains(translate(@aria-label, "BREADCRUMB", "breadcrumb"), "breadcrumb")'
            ' or contains(@class, "breadcrumb")]',
        ),
        None,
    )
    if trail is None:
        return None
    names = [element_text(a) for a in elements(trail, ".//a | .//li[not(.//a)]")]
    return _last_crumb([n for n in names if n], title)


def _crumb_name(item: dict[str, Any]) -> str | None:
    name = item.get("name")
    inner = item.get("item")
    if not isinstance(name, str) and isinstance(inner, dict):
        name = inner.get("name")
    return name.strip() if isinstance(name, str) else None


def _last_crumb(names: list[str], title: str | None) -> str | None:
    names = [n for n in names if n != title and n.lower() not in {"home", "homepage"}]
    return names[-1] if names else None
