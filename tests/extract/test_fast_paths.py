"""The faster paths of extraction give what the plain ones gave (see extract.py, furniture.py)."""

from __future__ import annotations

import re

from lxml import html
from trafilatura.utils import load_html

from ingester.extract import extract_page
from ingester.extract.authorbox import find_author_box
from ingester.extract.furniture import AUTHOR_BOX, Names, strip_furniture, survey
from ingester.extract.page import with_c_lookup

CASE_BLIND = re.compile(
    r"(?:^|[\s_-])(?:share|author-box|byline)(?:$|[\s_-])",
    re.IGNORECASE,
)


def test_names_match_in_any_case_as_the_case_blind_regex() -> None:
    long_s = "\u017fhare"  # the long s is an s to a case-blind match
    names = ["Share", "SHARE-tools", "x_Author-Box", long_s, "post-byline ", "shared", "\u0130x"]
    matcher = Names("share|author-box|byline")

    assert [matcher.search(n) for n in names] == [bool(CASE_BLIND.search(n)) for n in names]
    assert matcher.search(long_s)


def test_tree_with_c_lookup_keeps_the_page_and_its_element_class() -> None:
    source = '<html lang="en" xmlns:og="http://ogp.me/ns#"><head><title>T</title></head>'
    source += '<body><form><input name="q"></form><p>Text</p></body></html>'
    tree = load_html(source)
    moved = with_c_lookup(load_html(source))

    assert html.tostring(moved) == html.tostring(tree)
    assert moved.get("lang") == "en"
    assert all(type(e) is html.HtmlElement for e in moved.iter())


def test_survey_made_before_stripping_strips_the_same() -> None:
    source = (
        "<html><body><noscript><div itemprop='articleBody' class='share'><p>Old</p></div>"
        "</noscript><div class='share-bar'><a href='/s'>Share</a></div>"
        "<div itemprop='articleBody' class='share-wrap'><h1>Title</h1>"
        "<p>Body text long enough to count as a paragraph of the article itself.</p>"
        "<aside>Aside</aside></div></body></html>"
    )
    plain = strip_furniture(with_c_lookup(load_html(source)))
    tree = with_c_lookup(load_html(source))
    surveyed = strip_furniture(tree, survey(next(tree.iter("body"))))

    assert html.tostring(surveyed) == html.tostring(plain)
    assert b"Body text" in html.tostring(surveyed) and b"Aside" not in html.tostring(surveyed)


def test_author_box_is_the_first_named_one_that_holds_text() -> None:
    tree = with_c_lookup(
        load_html(
            "<html><body><a class='author'>Link</a><div class='Author-Box'>Short</div>"
            "<div id='about-author'>Jane Doe writes about harbours and ships for the paper.</div>"
            "</body></html>"
        )
    )
    bodies = list(tree.iter("body"))
    box = find_author_box(bodies, survey(bodies[0]))

    assert box is not None and box.get("id") == "about-author"
    assert AUTHOR_BOX.search("x AUTHOR-BOX y")


def test_extraction_reads_a_page_without_a_body() -> None:
    page = extract_page("<html><head><title>Only a head</title></head></html>", "https://e.x/")

    assert page.body == ()
