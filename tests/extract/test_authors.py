"""The author line (ingester/extract/authors.py): names cleaned and split, the site and
organisations left out, the source chosen by tier and agreement."""

from __future__ import annotations

import json
from typing import Any

import pytest
from trafilatura.utils import load_html

from ingester.extract import extract_page
from ingester.extract.authorbox import box_name, find_author_box
from ingester.extract.authors import page_author, split_names
from ingester.extract.furniture import survey
from ingester.extract.metadata import json_ld_article, json_ld_objects, meta_tags
from ingester.extract.page import with_c_lookup

URL = "https://news.example/2025/05/harbour-plan"
BODY = (
    "<p>The harbour authority approved a plan on Tuesday to deepen the main basin by two "
    "metres, so that larger container ships can berth without waiting for high tide.</p>"
)


def page(head: str = "", body: str = "", ld: Any = None) -> str:
    script = f'<script type="application/ld+json">{json.dumps(ld)}</script>' if ld else ""
    return (
        f"<html><head><title>Harbour plan</title>{head}{script}</head>"
        f"<body><article><h1>Harbour plan</h1>{body}{BODY}</article></body></html>"
    )


def author_of(markup: str, url: str = URL) -> str | None:
    """What page.py computes for the page: the same inputs, found the same way."""
    tree = with_c_lookup(load_html(markup))
    bodies = list(tree.iter("body"))
    surveyed = survey(bodies[0]) if bodies else None
    objects = json_ld_objects(tree)
    box = box_name(find_author_box(bodies, surveyed))
    credit = page_author(
        tree, meta_tags(tree), json_ld_article(objects), objects, box, surveyed, url
    )
    return credit.line()


def meta(name: str, content: str, attribute: str = "name") -> str:
    return f'<meta {attribute}="{name}" content="{content}">'


# -- one line into names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("By Jane Doe", ["Jane Doe"]),
        ("Von: Simone Jung", ["Simone Jung"]),
        ("Autor: Max Muster", ["Max Muster"]),
        ("Par Jean Dupont", ["Jean Dupont"]),
        ("Por María López", ["María López"]),
        ("Jane Doe &amp; John Roe", ["Jane Doe", "John Roe"]),
        ("Jane Doe; John Roe and Ann Poe", ["Jane Doe", "John Roe", "Ann Poe"]),
    ],
)
def test_labels_are_taken_off_and_lines_split(line: str, names: list[str]) -> None:
    assert split_names(line) == names


def test_the_and_of_other_languages_splits_between_capitalised_names() -> None:
    assert split_names("Felix Schröder und Jörg Soldwisch, dpa") == [
        "Felix Schröder",
        "Jörg Soldwisch",
        "dpa",
    ]
    assert split_names("Trine Juncher Jørgensen og Tôrtia Reimer-Johansen") == [
        "Trine Juncher Jørgensen",
        "Tôrtia Reimer-Johansen",
    ]
    assert split_names("Anna Berg och Per Lind") == ["Anna Berg", "Per Lind"]


def test_e_i_y_and_lower_case_words_do_not_split_a_name() -> None:
    assert split_names("José Ortega y Gasset") == ["José Ortega y Gasset"]
    assert split_names("Maria e Silva") == ["Maria e Silva"]
    assert split_names("Jan de Vries en zonen") == ["Jan de Vries en zonen"]


def test_initials_in_parentheses_are_dropped() -> None:
    assert split_names("Elena Oberholzer (obe), Oliver Maksan (oma) und Esther Blank (esb)") == [
        "Elena Oberholzer",
        "Oliver Maksan",
        "Esther Blank",
    ]


@pytest.mark.parametrize(
    "line",
    ["newsroom@news.example", "https://news.example/authors/jane-doe", "@janedoe", "123456"],
)
def test_addresses_handles_and_ids_are_no_names(line: str) -> None:
    assert split_names(line) == []


def test_an_address_beside_a_name_is_taken_out() -> None:
    assert split_names("Jane Doe jane.doe@news.example") == ["Jane Doe"]


def test_a_url_slug_and_a_job_title_are_no_names() -> None:
    assert split_names("sophie-foster") == []
    assert split_names("Ryan Merkley, CEO") == ["Ryan Merkley"]


# -- the page's author line -----------------------------------------------------------------


def test_no_author_at_all() -> None:
    assert author_of(page(meta("og:site_name", "Coastline News", "property"))) is None


def test_a_meta_author_with_a_label_and_an_email() -> None:
    markup = page(meta("author", "By Jane Doe (jane@news.example)"))
    assert author_of(markup) == "Jane Doe"


def test_article_author_that_is_a_url_is_skipped_for_the_next_tag() -> None:
    head = meta("article:author", "https://facebook.com/news", "property") + meta(
        "parsely-author", "Jane Doe"
    )
    assert author_of(page(head)) == "Jane Doe"


def test_the_sites_own_name_gives_way_to_a_person() -> None:
    head = meta("og:site_name", "Coastline News", "property") + meta("author", "Coastline News")
    markup = page(head, '<p class="article-byline">By Jane Doe</p>')
    assert author_of(markup) == "Jane Doe"


def test_the_site_credits_itself_only_where_no_person_is_named() -> None:
    head = meta("og:site_name", "Coastline News", "property") + meta("author", "Coastline News")
    assert author_of(page(head)) == "Coastline News"


def test_a_name_written_as_the_host_is_the_site() -> None:
    markup = page(meta("author", "NEWS.example"), '<span class="byline">Von Jane Doe</span>')
    assert author_of(markup) == "Jane Doe"


def test_an_organization_author_in_json_ld_is_dropped() -> None:
    ld = {
        "@type": "NewsArticle",
        "headline": "Harbour plan",
        "author": [
            {"@type": "Person", "name": "Jane Doe"},
            {"@type": "Organization", "name": "Harbour Wire"},
        ],
    }
    assert author_of(page(ld=ld)) == "Jane Doe"


def test_an_organization_author_gives_way_to_the_byline() -> None:
    ld = {"@type": "NewsArticle", "author": {"@type": "Organization", "name": "STERN.de"}}
    markup = page(
        body='<ul class="authors"><li class="authors__item">von Jemima Kelly</li></ul>', ld=ld
    )
    assert author_of(markup) == "Jemima Kelly"


def test_json_ld_persons_by_reference_and_by_given_and_family_name() -> None:
    ld = {
        "@graph": [
            {
                "@type": "Article",
                "author": [{"@id": "#p1"}, {"givenName": "Ann", "familyName": "Poe"}],
            },
            {"@type": "Person", "@id": "#p1", "name": "Jane Doe"},
        ]
    }
    assert author_of(page(ld=ld)) == "Jane Doe and Ann Poe"


def test_json_ld_comes_before_meta_and_byline() -> None:
    ld = {"@type": "NewsArticle", "author": {"@type": "Person", "name": "Jane Doe"}}
    markup = page(meta("author", "John Roe"), '<p class="byline">By John Roe</p>', ld)
    assert author_of(markup) == "Jane Doe"


def test_agreement_between_sources_breaks_a_tie_inside_a_tier() -> None:
    head = meta("author", "Web Desk") + meta("dc.creator", "John Roe")
    markup = page(head, '<p class="byline">By John Roe</p>')
    assert author_of(markup) == "John Roe"


def test_the_byline_is_the_fallback_and_other_articles_bylines_do_not_count() -> None:
    body = (
        '<aside class="related"><span class="byline">By Ann Poe</span></aside>'
        '<div class="teaser"><a rel="author" href="/author/ann-poe">Ann Poe</a></div>'
        '<p class="story-byline">By <a href="/author/jane-doe">Jane Doe</a>'
        " and <a href='/author/john-roe'>John Roe</a></p>"
    )
    assert author_of(page(body=body)) == "Jane Doe and John Roe"


def test_a_byline_with_a_date_or_one_word_is_not_read_as_names() -> None:
    body = '<div class="byline">Travel</div><div class="byline">Jane Doe 12 May 2025</div>'
    assert author_of(page(body=body)) is None


def test_commenters_and_photo_credits_are_not_authors() -> None:
    body = (
        '<figure><img src="a.jpg"><figcaption itemprop="author">Photo: Ann Poe</figcaption>'
        '</figure><div class="comments"><span class="comment-author">John Roe</span></div>'
    )
    assert author_of(page(body=body)) is None


def test_rel_author_microdata_and_author_page_links() -> None:
    assert author_of(page(body='<a rel="author" href="/p/1">Jane Doe</a>')) == "Jane Doe"
    microdata = '<span itemprop="author"><span itemprop="name">Jane Doe</span></span>'
    assert author_of(page(body=microdata)) == "Jane Doe"
    link = '<p>von <a href="/autoren/name/max-kolter">Dr. Max Kolter</a></p>'
    assert author_of(page(body=link)) == "Dr. Max Kolter"


def test_all_caps_names_are_title_cased_and_duplicates_dropped() -> None:
    head = meta("author", "NATALIYA VASILYEVA, AP") + meta("author", "Nataliya Vasilyeva")
    assert author_of(page(head)) == "Nataliya Vasilyeva and AP"


# -- end to end ---------------------------------------------------------------------------


def test_extract_page_reads_the_byline_beside_an_organization_author() -> None:
    ld = {
        "@type": "NewsArticle",
        "headline": "Harbour plan",
        "author": {"@type": "Organization", "name": "Harbour Daily"},
        "publisher": {"@type": "Organization", "name": "Harbour Daily"},
    }
    body = '<p class="article__byline">By Felix Schröder und Jörg Soldwisch, dpa</p>'
    extracted = extract_page(page(meta("author", "Harbour Daily"), body, ld).encode(), URL)
    assert extracted.author == "Felix Schröder, Jörg Soldwisch and dpa"


def test_extract_page_with_no_author() -> None:
    extracted = extract_page(page(meta("og:site_name", "Harbour Daily", "property")), URL)
    assert extracted.author is None


# -- a byline printed as a paragraph of the text ---------------------------------------------

MORE = (
    "<p>Dredging starts in the autumn and is to be finished before the next winter storms, "
    "the authority said, and the basin will stay open to ferries throughout.</p>"
)


def signed_page(head: str, top: str = "", foot: str = "") -> bytes:
    return (
        f"<html><head><title>Harbour plan</title>{head}</head><body><article>"
        f"<h1>Harbour plan</h1>{top}{BODY}{MORE}{foot}</article></body></html>"
    ).encode()


def test_a_signature_above_the_text_is_the_author_and_leaves_the_body() -> None:
    site = meta("og:site_name", "Harbour Daily", "property")
    extracted = extract_page(
        signed_page(site, top="<p>Mathatisi Sebusi/Mohalenyane Phakela</p>"), URL
    )
    assert extracted.author == "Mathatisi Sebusi and Mohalenyane Phakela"
    assert not any("Sebusi" in line for line in extracted.body)
    assert len(extracted.body) == 2


def test_a_signature_below_the_text_loses_the_sites_own_name() -> None:
    head = meta("og:site_name", "Harbour Daily", "property") + meta("author", "Nachrichten")
    extracted = extract_page(signed_page(head, foot="<p>Harbour Daily / Ana van der Berg</p>"), URL)
    assert extracted.author == "Ana van der Berg"  # over a one-word credit: a section's name


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("<h2>Monitoring Distributed Systems</h2>", "Monitoring Distributed Systems"),
        ("<p>What the fishermen say</p>", "What the fishermen say"),  # a subheading
        ("<p>Courtesy of Forests News</p>", "Courtesy of Forests News"),
        ("<p>Follow Harbour News on Instagram.</p>", "Follow Harbour News on Instagram."),
    ],
)
def test_lines_that_are_no_signature_stay_in_the_body(line: str, text: str) -> None:
    extracted = extract_page(signed_page("", top=line), URL)
    assert extracted.author is None
    assert text in extracted.body


def test_a_full_name_from_the_page_wins_over_a_signature() -> None:
    extracted = extract_page(signed_page(meta("author", "Jane Doe"), top="<p>Ana Berg</p>"), URL)
    assert extracted.author == "Jane Doe"
    assert "Ana Berg" in extracted.body


@pytest.mark.parametrize("signed", ["IN-Redaktion", "Redazione", "Newsroom"])
def test_the_newsroom_signing_the_text_is_its_credit_where_nobody_is_named(signed: str) -> None:
    extracted = extract_page(signed_page("", foot=f"<p><em>{signed}</em></p>"), URL)
    assert extracted.author == signed
    assert signed not in extracted.body


def test_a_newsroom_line_gives_way_to_a_named_author_and_a_sentence_is_none() -> None:
    named = extract_page(signed_page(meta("author", "Jane Doe"), foot="<p>Redaktion</p>"), URL)
    assert named.author == "Jane Doe" and "Redaktion" in named.body
    sentence = "<p>The harbour staff said the work would start soon.</p>"
    assert extract_page(signed_page("", foot=sentence), URL).author is None
