"""Page HTML -> ExtractedPage: where each field of the layout is read from.

Metadata comes from what publishers mark up for machines (JSON-LD, OpenGraph and article
meta tags) and for readers (the lead figure, the author box, breadcrumbs), in the
preference order of docs/layout.md. The body is trafilatura's main-text extraction of
the page with its furniture taken out (furniture.py), one line per block (body.py); the
publisher's JSON-LD ``articleBody`` stands in where the page shows no article, or where
it says the same as the page with its paragraphs kept apart.
"""

from __future__ import annotations

from typing import Any

import trafilatura
from lxml import etree, html
from trafilatura.utils import HTML_PARSER, decode_file, load_html

from ..errors import ExtractError
from ..types import ExtractedPage
from . import dates
from .authorbox import box_bio, box_name, box_role, find_author_box
from .authors import join_names, newsroom_signature, page_author, signature
from .body import article_body
from .figure import image_fields, lead_figure
from .furniture import survey
from .metadata import (
    article_container,
    breadcrumb,
    canonical,
    document_title,
    first,
    h1,
    heading_texts,
    json_ld_article,
    json_ld_objects,
    ld_section,
    ld_single_author,
    ld_str,
    meta_tags,
    publisher_name,
)
from .titles import choose_title, site_names
from .tree import FLAT_DEPTH, Flattened, too_deep

# Which reading of a page a version holds: trafilatura's release and our rules' revision.
# Bump RULES whenever a change makes some page render differently, so that archives read
# their stored pages again (a re-extraction) before the next fetch is compared with them,
# and a new rule is never recorded as the publisher's edit.
# 2: titles, authors, dates chosen among candidates and cleaned; deep nests flattened.
# 3: JSON-LD in CDATA read; signature lines (and the newsroom's); labelled teasers dropped.
RULES = 3
EXTRACTOR = f"trafilatura {trafilatura.__version__}, rules {RULES}"


def extract_page(content: bytes | str, url: str) -> ExtractedPage:
    """Read one article page; raises ``ExtractError`` when it holds no readable HTML."""
    try:
        return _extract(content, url)
    except ExtractError:
        raise
    except Exception as e:  # lxml and trafilatura fail in many ways on hostile markup
        raise ExtractError(url, f"extract: {type(e).__name__}: {e}") from e


def _extract(content: bytes | str, url: str) -> ExtractedPage:
    tree = parse_page(content, url)
    meta = meta_tags(tree)
    ld_objects = json_ld_objects(tree)
    ld = json_ld_article(ld_objects)
    container = article_container(tree)
    figure = lead_figure(container)
    bodies = list(tree.iter("body"))
    # One walk over the body finds the author box here and the furniture in article_body.
    surveyed = survey(bodies[0]) if bodies else None
    author_box = find_author_box(bodies, surveyed)

    declared_section = first(meta.get("article:section"), ld_section(ld))
    title = choose_title(
        h1(container),
        ld_str(ld, "headline"),
        meta.get("og:title"),
        document_title(tree),
        site_names(meta, publisher_name(ld), url),
        declared_section,
    )
    credit = page_author(tree, meta, ld, ld_objects, box_name(author_box), surveyed, url)
    ld_person = ld_single_author(ld)
    image_alt, image_caption, has_image = image_fields(figure, meta)
    canonical_url = canonical(tree, meta, url)
    # The breadcrumb is looked for only when the publisher names no section: finding its
    # trail is a search of every element.
    section = declared_section or first(breadcrumb(tree, title, ld_objects))
    author_role = first(ld_str(ld_person, "jobTitle"), box_role(author_box))
    author_bio = first(ld_str(ld_person, "description"), box_bio(author_box))
    # Last: the body is read from the tree with its furniture stripped in place, after which
    # the tree and the elements found in it (figure, author box) no longer show the page.
    # Read before the body's reading strips the tree; needed only for a signature.
    headings = frozenset() if credit.names_someone_in_full() else heading_texts(tree)
    body = article_body(tree, url, title, ld, surveyed)
    author = credit.line()
    if not credit.names_someone_in_full() and (signed := signature(body, credit.site, headings)):
        # The byline printed as a paragraph of the text moves to the author line.
        index, people = signed
        author, body = join_names(people), body[:index] + body[index + 1 :]
    elif author is None and (signed_by := newsroom_signature(body, headings)) is not None:
        author, body = body[signed_by], body[:signed_by] + body[signed_by + 1 :]
    # After the body: htmldate, the dates' last resort, may read the tree in any way.
    published_at = dates.published(ld, meta, container, tree)
    modified_at = dates.modified(ld, meta, container)
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
        published=published_at,
        modified=modified_at,
    )


def parse_page(content: bytes | str, url: str) -> Any:
    """The page's tree, its nest flattened where it goes deeper than the parser reads."""
    tree = load_html(content)
    if tree is not None and too_deep(HTML_PARSER):
        # Rare: only a page the parser stopped reading pays for the scan (tree.py).
        flat = Flattened(decode_file(content))
        tree = load_html(flat.text)
        if tree is not None and too_deep(HTML_PARSER):
            raise ExtractError(
                url, f"extract: page nests {flat.depth} elements deep; read to depth {FLAT_DEPTH}"
            )
    if tree is None:
        raise ExtractError(url, "extract: not an HTML page")
    return with_c_lookup(tree)


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


def with_c_lookup(tree: Any) -> Any:
    """The same tree, its content moved under a root of the C-lookup parser's document."""
    try:
        root = _C_LOOKUP_PARSER.makeelement(tree.tag, attrib=dict(tree.attrib))
    except ValueError:  # a root name lxml will not create: the slower tree is as good
        return tree
    root.text = tree.text
    root.extend(list(tree))
    return root
