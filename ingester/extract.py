"""Page HTML -> ExtractedPage. The only module that imports trafilatura.

Metadata comes from what publishers mark up for machines (JSON-LD, OpenGraph and article
meta tags) and for readers (the lead figure, the author box, breadcrumbs), in the
preference order of ARTICLE_LAYOUT.md. The body is trafilatura's main-text extraction,
turned into one line per block. Page furniture (figures, related cards, share and
newsletter boxes, the author box) is removed before the body is extracted, so that a
rotating sidebar or card never changes the text.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree, html
from trafilatura.utils import load_html

from .errors import ExtractError
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

# Class or id tokens of page furniture: boxes that sit inside or beside an article
# but are not its text. Matched against whole hyphen/underscore-separated words.
_FURNITURE_WORDS = (
    "related|recommended|recirculation|more-stories|read-more|readmore|also-read|"
    "newsletter|subscribe|subscription|signup|sign-up|paywall-offer|"
    "share|sharing|social|share-buttons|"
    "bookmark-card|kg-bookmark-card|embed-card|card-embed|teaser|promo|"
    "advert|advertisement|ad-slot|ad-container|sponsored|"
    "comments|comment-list|"
    "author-card|author-box|author-bio|author-info|about-author|article-author|byline"
)
_FURNITURE = re.compile(rf"(?:^|[\s_-])(?:{_FURNITURE_WORDS})(?:$|[\s_-])", re.IGNORECASE)
_AUTHOR_BOX = re.compile(
    r"(?:^|[\s_-])(?:author-card|author-box|author-bio|author-info|about-author|"
    r"article-author|author-profile|c-author|authorbox|author)(?:$|[\s_-])",
    re.IGNORECASE,
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
    meta = _meta_tags(tree)
    ld = _json_ld_article(tree)
    container = _article_container(tree)
    figure = _lead_figure(container)
    author_box = _author_box(tree)

    title = _first(_ld_str(ld, "headline"), meta.get("og:title"), _h1(container))
    author = _first(_ld_author_names(ld), _box_part(author_box, _NAME), meta.get("author"))
    ld_person = _ld_single_author(ld)
    image_alt, image_caption, has_image = _image_fields(figure, meta)
    return ExtractedPage(
        canonical_url=_canonical(tree, meta, url),
        section=_first(meta.get("article:section"), _ld_section(ld), _breadcrumb(tree, title)),
        title=title,
        author=author,
        author_role=_first(_ld_str(ld_person, "jobTitle"), _box_part(author_box, _ROLE)),
        author_bio=_first(_ld_str(ld_person, "description"), _box_bio(author_box)),
        image_alt=image_alt,
        image_caption=image_caption,
        has_image=has_image,
        body=_body(tree, url, title),
        published=_first(_ld_str(ld, "datePublished"), meta.get("article:published_time")),
        modified=_first(_ld_str(ld, "dateModified"), meta.get("article:modified_time")),
    )


# -- small helpers ---------------------------------------------------------------------


def _text(element: Any) -> str:
    if element is None:
        return ""
    return _SPACE.sub(" ", "".join(element.itertext())).strip()


def _first(*values: str | None) -> str | None:
    for value in values:
        if value and value.strip():
            return _SPACE.sub(" ", value).strip()
    return None


def _classes(element: Any) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}".strip()


def _elements(tree: Any, xpath: str) -> Iterator[Any]:
    for element in tree.xpath(xpath):
        if isinstance(element, etree._Element):
            yield element


# -- meta tags and JSON-LD ----------------------------------------------------------------


def _meta_tags(tree: Any) -> dict[str, str]:
    """The first value of each ``<meta property|name>`` tag, keys lower-cased."""
    found: dict[str, str] = {}
    for element in _elements(tree, "//meta[@content]"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        value = (element.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    return found


def _json_ld_objects(tree: Any) -> Iterator[dict[str, Any]]:
    for script in _elements(tree, '//script[contains(@type, "ld+json")]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue  # publishers ship broken JSON-LD; the other sources still count
        yield from _flatten_ld(data)


def _flatten_ld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flatten_ld(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _flatten_ld(data["@graph"])


def _ld_types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _json_ld_article(tree: Any) -> dict[str, Any]:
    for obj in _json_ld_objects(tree):
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
    for xpath in ("//article", "//main", '//*[@role="main"]', "//body"):
        found = next(_elements(tree, xpath), None)
        if found is not None:
            return found
    return tree


def _h1(container: Any) -> str | None:
    heading = next(_elements(container, ".//h1"), None)
    return _text(heading) or None


def _canonical(tree: Any, meta: dict[str, str], url: str) -> str | None:
    link = next(_elements(tree, '//link[@rel="canonical"][@href]'), None)
    href = link.get("href") if link is not None else meta.get("og:url")
    return urljoin(url, href.strip()) if href and href.strip() else None


def _breadcrumb(tree: Any, title: str | None) -> str | None:
    """The last breadcrumb that is not the article itself."""
    for obj in _json_ld_objects(tree):
        if "BreadcrumbList" in _ld_types(obj):
            items = obj.get("itemListElement") or []
            names = [_crumb_name(i) for i in items if isinstance(i, dict)]
            return _last_crumb([n for n in names if n], title)
    trail = next(
        _elements(
            tree,
            '//*[contains(translate(@aria-label, "BREADCRUMB", "breadcrumb"), "breadcrumb")'
            ' or contains(@class, "breadcrumb")]',
        ),
        None,
    )
    if trail is None:
        return None
    names = [_text(a) for a in _elements(trail, ".//a | .//li[not(.//a)]")]
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


def _lead_figure(container: Any) -> Any:
    for figure in _elements(container, ".//figure"):
        if next(_elements(figure, ".//img"), None) is not None:
            return figure
    return None


def _image_fields(figure: Any, meta: dict[str, str]) -> tuple[str | None, str | None, bool]:
    if figure is None:
        if meta.get("og:image"):
            return meta.get("og:image:alt"), None, True
        return None, None, False
    image = next(_elements(figure, ".//img"), None)
    alt = image.get("alt") if image is not None else None
    caption_element = next(_elements(figure, ".//figcaption"), None)
    credit_element = next(
        (e for e in _elements(figure, ".//*[@class or @itemprop]") if _is_credit(e)), None
    )
    credit = _text(credit_element) if credit_element is not None else ""
    caption = ""
    if caption_element is not None:
        trimmed = copy.deepcopy(caption_element)
        for element in list(_elements(trimmed, ".//*[@class or @itemprop]")):
            if _is_credit(element):
                _drop(element)
        caption = _text(trimmed)
    if credit and credit not in caption:
        credit = credit.strip("()")
        caption = f"{caption} ({credit})" if caption else f"({credit})"
    return _first(alt), _first(caption), True


def _is_credit(element: Any) -> bool:
    return bool(_CREDIT.search(f"{_classes(element)} {element.get('itemprop') or ''}"))


def _author_box(tree: Any) -> Any:
    """The page's author box: an element named for the author that holds a name and more."""
    for element in _elements(tree, "//body//*[@class or @id]"):
        if element.tag in {"a", "span", "img", "meta", "link", "time"}:
            continue
        if _AUTHOR_BOX.search(_classes(element)) and len(_text(element)) > 40:
            return element
    return None


def _box_part(box: Any, pattern: re.Pattern[str]) -> str | None:
    if box is None:
        return None
    for element in _elements(box, ".//*[@class]"):
        classes = _classes(element)
        if pattern.search(classes) and not _BIO.search(classes):
            text = _text(element)
            if text and len(text) < 120:
                return text
    return None


def _box_bio(box: Any) -> str | None:
    if box is None:
        return None
    for element in _elements(box, ".//*[@class]"):
        if _BIO.search(_classes(element)) and _text(element):
            return _text(element)
    paragraphs = [_text(p) for p in _elements(box, ".//p")]
    return max(paragraphs, key=len) if paragraphs and max(map(len, paragraphs)) > 40 else None


# -- body ---------------------------------------------------------------------------------------


def _drop(element: Any) -> None:
    """Remove an element but keep its tail text in the document."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _strip_furniture(tree: Any) -> Any:
    cleaned = copy.deepcopy(tree)
    for element in list(_elements(cleaned, "//figure | //aside | //nav | //footer | //form")):
        _drop(element)
    for element in list(_elements(cleaned, "//body//*[@class or @id]")):
        if element.getparent() is not None and _FURNITURE.search(_classes(element)):
            _drop(element)
    return cleaned


_BLOCKS = {"p", "head", "item", "quote", "code", "row", "cell"}


def _body(tree: Any, url: str, title: str | None) -> tuple[str, ...]:
    xml = trafilatura.extract(
        _strip_furniture(tree),
        url=url,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        with_metadata=False,
    )
    if not xml:
        return ()
    root = etree.fromstring(xml.encode("utf-8"), parser=etree.XMLParser(resolve_entities=False))
    main = root.find("main")
    if main is None:
        return ()
    lines = [line for line in _block_lines(main) if line]
    if lines and title and lines[0] == _SPACE.sub(" ", title).strip():
        lines = lines[1:]  # the headline is its own field
    return tuple(lines)


def _block_lines(element: Any) -> Iterator[str]:
    """One line per leaf block; a block holding other blocks yields its children."""
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "row":
            cells = [_text(cell) for cell in child if isinstance(cell.tag, str)]
            yield " | ".join(c for c in cells if c)
        elif any(isinstance(g.tag, str) and g.tag in _BLOCKS | {"list"} for g in child):
            lead = _SPACE.sub(" ", child.text or "").strip()
            if lead:
                yield lead
            yield from _block_lines(child)
        else:
            yield _text(child)


# -- feed-supplied HTML -------------------------------------------------------------------------

_FRAGMENT_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt", "tr"}
)
_FRAGMENT_SKIP = frozenset({"script", "style", "figure", "figcaption", "iframe", "noscript"})


def fragment_lines(markup: str) -> tuple[str, ...]:
    """A feed's HTML content or summary as body lines, one per block.

    Feed fragments are short and carry no page furniture, so they are split by their own
    block elements rather than run through main-text extraction (which would flatten them).
    """
    if not markup.strip():
        return ()
    if "<" not in markup:
        return tuple(
            line for line in (_SPACE.sub(" ", p).strip() for p in markup.split("\n\n")) if line
        )
    try:
        root = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return ()
    lines: list[str] = []
    _fragment_walk(root, lines)
    return tuple(line for line in lines if line)


def _fragment_walk(element: Any, lines: list[str]) -> None:
    """Collect text: a block with no nested blocks is one line; loose inline text is another."""
    loose: list[str] = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _FRAGMENT_SKIP:
            pass
        elif tag in _FRAGMENT_BLOCKS and not _has_block(child):
            _flush(loose, lines)
            lines.append(_text(child))
        elif tag == "br":
            _flush(loose, lines)
        elif tag and (_has_block(child) or tag in {"div", "section", "article", "ul", "ol"}):
            _flush(loose, lines)
            _fragment_walk(child, lines)
        else:
            loose.append(_text(child))
        loose.append(child.tail or "")
    _flush(loose, lines)


def _has_block(element: Any) -> bool:
    return any(
        isinstance(d.tag, str) and d.tag in _FRAGMENT_BLOCKS | {"div", "ul", "ol", "section"}
        for d in element.iterdescendants()
    )


def _flush(loose: list[str], lines: list[str]) -> None:
    text = _SPACE.sub(" ", " ".join(loose)).strip()
    if text:
        lines.append(text)
    loose.clear()
