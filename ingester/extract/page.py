"""Page HTML -> ExtractedPage. The only module that imports trafilatura.

Metadata comes from what publishers mark up for machines (JSON-LD, OpenGraph and article
meta tags) and for readers (the lead figure, the author box, breadcrumbs), in the
preference order of ARTICLE_LAYOUT.md. The body is trafilatura's main-text extraction of
the page with its furniture taken out (furniture.py), one line per block (blocks.py); the
publisher's JSON-LD ``articleBody`` stands in where the page shows no article, or where
it says the same as the page with its paragraphs kept apart.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree, html
from trafilatura.utils import load_html

from .blocks import clean, element_text, overlap, shingles, text_lines, words, xml_blocks
from .blocks import fragment_lines as _fragment_lines
from .errors import ExtractError
from .furniture import AUTHOR_BOX, Survey, classes, drop, elements, strip_furniture, survey
from .types import ExtractedPage

EXTRACTOR = f"trafilatura {trafilatura.__version__}"

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

_CREDIT = re.compile(r"credit|copyright|attribution|photographer|source", re.IGNORECASE)
_ROLE = re.compile(r"role|job|position|title", re.IGNORECASE)
_BIO = re.compile(r"bio|description|about|summary", re.IGNORECASE)
_NAME = re.compile(r"name", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def extract_page(content: bytes | str, url: str) -> ExtractedPage:
    """Read one article page; raises ``ExtractError`` when it holds no readable HTML."""
    try:
        return _extract(content, url)
    except ExtractError:
        raise
    except Exception as e:  # lxml and trafilatura fail in many ways on hostile markup
        raise ExtractError(url, f"extract: {type(e).__name__}: {e}") from e


def _extract(content: bytes | str, url: str) -> ExtractedPage:
    tree = load_html(content)
    if tree is None:
        raise ExtractError(url, "extract: not an HTML page")
    tree = _with_c_lookup(tree)
    meta = _meta_tags(tree)
    ld_objects = _json_ld_objects(tree)
    ld = _json_ld_article(ld_objects)
    container = _article_container(tree)
    figure = _lead_figure(container)
    bodies = list(tree.iter("body"))
    # One walk over the body finds the author box here and the furniture in _body.
    surveyed = survey(bodies[0]) if bodies else None
    author_box = _author_box(bodies, surveyed)

    title = _first(_ld_str(ld, "headline"), meta.get("og:title")) or _first(_h1(container))
    author = _first(_ld_author_names(ld), _box_part(author_box, _NAME), meta.get("author"))
    ld_person = _ld_single_author(ld)
    image_alt, image_caption, has_image = _image_fields(figure, meta)
    canonical_url = _canonical(tree, meta, url)
    # The breadcrumb is looked for only when the publisher names no section: finding its
    # trail is a search of every element.
    section = _first(meta.get("article:section"), _ld_section(ld)) or _first(
        _breadcrumb(tree, title, ld_objects)
    )
    author_role = _first(_ld_str(ld_person, "jobTitle"), _box_part(author_box, _ROLE))
    author_bio = _first(_ld_str(ld_person, "description"), _box_bio(author_box))
    # Last: the body is read from the tree with its furniture stripped in place, after which
    # the tree and the elements found in it (figure, author box) no longer show the page.
    body = _body(tree, url, title, ld, surveyed)
    return ExtractedPage(
        canonical_url=canonical_url,
        section=section,
        title=title,
        author=author,
        author_role=author_role,
        author_bio=author_bio,
        image_alt=image_alt,
        image_caption=image_caption,
        has_image=has_image,
        body=body,
        published=_first(_ld_str(ld, "datePublished"), meta.get("article:published_time")),
        modified=_first(_ld_str(ld, "dateModified"), meta.get("article:modified_time")),
    )


# -- the tree's element classes ----------------------------------------------------------

# lxml makes a Python object for an element each time code reaches it (an XPath result, an
# iteration step) and no object for it is alive. For a tree parsed by lxml.html, the class
# of that object is chosen by a Python method, HtmlElementClassLookup.lookup, so every step
# of every walk, ours and trafilatura's over its copies, pays a Python call: about a tenth
# of the extraction's time. The class lookup belongs to the document's parser and copies
# keep it, so the parsed tree's content is moved into a document of a parser with lxml's
# own lookup in C, which gives every element the same HtmlElement class. Only the special
# classes of form controls (FormElement, InputElement...) are lost, and neither this module
# nor trafilatura uses what they add.
_C_LOOKUP_PARSER = html.HTMLParser()
_C_LOOKUP_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=html.HtmlElement,
        comment=html.HtmlComment,
        pi=html.HtmlProcessingInstruction,
        entity=html.HtmlEntity,
    )
)


def _with_c_lookup(tree: Any) -> Any:
    """The same tree, its content moved under a root of the C-lookup parser's document."""
    try:
        root = _C_LOOKUP_PARSER.makeelement(tree.tag, attrib=dict(tree.attrib))
    except ValueError:  # a root name lxml will not create: the slower tree is as good
        return tree
    root.text = tree.text
    root.extend(list(tree))
    return root


# -- small helpers ---------------------------------------------------------------------


def _first(*values: str | None) -> str | None:
    """The first value that is not blank, its whitespace collapsed; ``_first(a, b, c)`` is
    ``_first(a, b) or _first(c)``, which lets a costly last candidate be looked up only
    when it is needed."""
    for value in values:
        if value and value.strip():
            return _SPACE.sub(" ", value).strip()
    return None


# -- meta tags and JSON-LD ----------------------------------------------------------------


# Lookups by tag name below walk the tree with lxml's iter(tag), which compares names in C
# and makes an object only for the elements it yields; an XPath `//meta` costs as much as
# a walk that makes an object for every element.


def _meta_tags(tree: Any) -> dict[str, str]:
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


def _json_ld_objects(tree: Any) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, read once for the article and the breadcrumb."""
    objects: list[dict[str, Any]] = []
    for script in tree.iter("script"):
        if "ld+json" not in (script.get("type") or ""):
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except (ValueError, RecursionError):
            # Publishers ship broken JSON-LD, and a hostile page nests it past any
            # parser's depth: the other blocks and sources still count.
            continue
        objects.extend(_flatten_ld(data))
    return objects


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


def _ld_types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _json_ld_article(objects: list[dict[str, Any]]) -> dict[str, Any]:
    for obj in objects:
        if _ld_types(obj) & ARTICLE_TYPES:
            return obj
    return {}


def _ld_str(obj: dict[str, Any] | None, key: str) -> str | None:
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


def _ld_author_names(ld: dict[str, Any]) -> str | None:
    names = [str(p["name"]).strip() for p in _ld_authors(ld) if str(p["name"]).strip()]
    if not names:
        return None
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _ld_single_author(ld: dict[str, Any]) -> dict[str, Any] | None:
    """Role and bio belong to one person; with several authors there is no single one."""
    people = _ld_authors(ld)
    return people[0] if len(people) == 1 else None


def _ld_section(ld: dict[str, Any]) -> str | None:
    return _ld_str(ld, "articleSection")


# -- page structure -------------------------------------------------------------------------


def _article_container(tree: Any) -> Any:
    for tag in ("article", "main"):
        found = next(tree.iter(tag), None)
        if found is not None:
            return found
    found = next(elements(tree, '//*[@role="main"]'), None)
    return found if found is not None else next(tree.iter("body"), tree)


def _h1(container: Any) -> str | None:
    heading = next(container.iterdescendants("h1"), None)
    return element_text(heading) or None


def _canonical(tree: Any, meta: dict[str, str], url: str) -> str | None:
    link = next(
        (e for e in tree.iter("link") if e.get("rel") == "canonical" and e.get("href") is not None),
        None,
    )
    href = link.get("href") if link is not None else meta.get("og:url")
    return urljoin(url, href.strip()) if href and href.strip() else None


def _breadcrumb(tree: Any, title: str | None, ld_objects: list[dict[str, Any]]) -> str | None:
    """The last breadcrumb that is not the article itself."""
    for obj in ld_objects:
        if "BreadcrumbList" in _ld_types(obj):
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


# An AMP page marks its images up as <amp-img>, with the same alt attribute.
_IMAGES = ".//img | .//amp-img"


def _lead_figure(container: Any) -> Any:
    for figure in container.iterdescendants("figure"):
        if next(figure.iterdescendants(*_IMAGE_TAGS), None) is not None:
            return figure
    return None


_IMAGE_TAGS = ("img", "amp-img")


def _image_fields(figure: Any, meta: dict[str, str]) -> tuple[str | None, str | None, bool]:
    if figure is None:
        if meta.get("og:image"):
            return meta.get("og:image:alt"), None, True
        return None, None, False
    image = next(elements(figure, _IMAGES), None)
    alt = image.get("alt") if image is not None else None
    caption_element = next(elements(figure, ".//figcaption"), None)
    credit_element = next(
        (e for e in elements(figure, ".//*[@class or @itemprop]") if _is_credit(e)), None
    )
    credit = element_text(credit_element) if credit_element is not None else ""
    caption = ""
    if caption_element is not None:
        trimmed = copy.deepcopy(caption_element)
        for element in list(elements(trimmed, ".//*[@class or @itemprop]")):
            if _is_credit(element):
                drop(element)
        caption = element_text(trimmed)
    if credit and credit not in caption:
        credit = credit.strip("()")
        caption = f"{caption} ({credit})" if caption else f"({credit})"
    return _first(alt), _first(caption), True


def _is_credit(element: Any) -> bool:
    return bool(_CREDIT.search(f"{classes(element)} {element.get('itemprop') or ''}"))


def _author_box(bodies: list[Any], surveyed: Survey | None) -> Any:
    """The page's author box: an element named for the author that holds a name and more,
    the first in document order (the first body's are in ``surveyed``)."""
    named = surveyed.author_named if surveyed is not None else []
    for element in named:
        if _holds_author(element):
            return element
    for body in bodies[1:]:  # libxml2 makes one <body>; a second one is searched in full
        for element in body.iterdescendants():
            if not isinstance(element.tag, str):
                continue
            if AUTHOR_BOX.search(classes(element)) and _holds_author(element):
                return element
    return None


def _holds_author(element: Any) -> bool:
    return element.tag not in _NOT_AN_AUTHOR_BOX and len(element_text(element)) > 40


_NOT_AN_AUTHOR_BOX = frozenset({"a", "span", "img", "meta", "link", "time"})


def _part_classes(element: Any, box: Any) -> str:
    """An element's class and id words with the box's own name taken off their front, so
    that in a box called "author-bio" the part "author-bio__name" reads as "__name" (BEM
    and most component CSS name a box's parts after the box)."""
    prefixes = sorted(classes(box).split(), key=len, reverse=True)
    parts = []
    for word in classes(element).split():
        prefix = next((p for p in prefixes if word.startswith(p) and len(word) > len(p)), "")
        parts.append(word[len(prefix) :])
    return " ".join(parts)


def _box_part(box: Any, pattern: re.Pattern[str]) -> str | None:
    if box is None:
        return None
    for element in elements(box, ".//*[@class]"):
        classes = _part_classes(element, box)
        if pattern.search(classes) and not _BIO.search(classes):
            text = element_text(element)
            if text and len(text) < 120:
                return text
    return None


def _box_bio(box: Any) -> str | None:
    if box is None:
        return None
    for element in elements(box, ".//*[@class]"):
        if _BIO.search(_part_classes(element, box)) and element_text(element):
            return element_text(element)
    paragraphs = [element_text(p) for p in elements(box, ".//p")]
    return max(paragraphs, key=len) if paragraphs and max(map(len, paragraphs)) > 40 else None


# -- body ---------------------------------------------------------------------------------------


def _body(
    tree: Any, url: str, title: str | None, ld: dict[str, Any], surveyed: Survey | None
) -> tuple[str, ...]:
    page = _page_lines(tree, url, surveyed)
    if title:
        heading = clean(title)
        page = [line for i, line in enumerate(page) if i >= _TITLE_LINES or line != heading]
    page = [line for line in page if not _RELATIVE_TIME.match(line)]
    return _prefer_publisher_text(tuple(page), _ld_body(ld))


# How far down the body a repeat of the headline is still the headline.
_TITLE_LINES = 3

# "4 minutes ago" labels are the clock of the fetch, never the article's text.
_RELATIVE_TIME = re.compile(
    r"^(?:(?:updated|posted|published)\s+)?(?:\d+|an?|one)\s+"
    r"(?:sec(?:ond)?s?|min(?:ute)?s?|h(?:ou)?rs?|days?|weeks?|months?|years?)\s+ago\.?$",
    re.IGNORECASE,
)


def _page_lines(tree: Any, url: str, surveyed: Survey | None) -> list[str]:
    document = trafilatura.bare_extraction(
        strip_furniture(tree, surveyed),
        url=url,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        with_metadata=False,
    )
    body = getattr(document, "body", None)
    return [] if body is None else [block.text for block in xml_blocks(body)]


def _ld_body(ld: dict[str, Any]) -> tuple[str, ...]:
    text = ld.get("articleBody")
    return text_lines(text) if isinstance(text, str) else ()


def _prefer_publisher_text(page: tuple[str, ...], published: tuple[str, ...]) -> tuple[str, ...]:
    """The page's text, or the publisher's own ``articleBody`` where the page shows none, or
    where both say the same and the publisher's version keeps the paragraphs apart better
    (a script-rendered page often reaches the extractor as one run of text)."""
    if not published:
        return page
    if len(words(" ".join(page))) < _SHORT_PAGE:
        return published
    page_in_published, published_in_page = overlap(shingles(page), shingles(published))
    if max(page_in_published, published_in_page) < _UNRELATED and len(
        words(" ".join(published))
    ) > len(words(" ".join(page))):
        # The extractor found something other than the longer article the publisher
        # describes: a shell page whose article is rendered by script, read as navigation.
        return published
    agree = min(page_in_published, published_in_page) >= _AGREEMENT
    return published if agree and len(published) > len(page) else page


_SHORT_PAGE = 25  # words: a page with less shows a shell, not its article
_AGREEMENT = 0.9  # share of 4-word shingles each text finds in the other
_UNRELATED = 0.2


def fragment_lines(markup: str) -> tuple[str, ...]:
    """A feed's HTML content or summary as body lines (see blocks.fragment_lines)."""
    return _fragment_lines(markup)
