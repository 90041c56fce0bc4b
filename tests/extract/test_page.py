"""Body and metadata extraction rules, each on a small hand-written page."""

from __future__ import annotations

import json

import pytest
from lxml import html

from ingester.blocks import element_text
from ingester.extract import extract_page
from ingester.extract.furniture import strip_furniture

URL = "https://news.example.com/2025/10/story"

PARAGRAPHS = (
    "The harbour authority approved a plan on Tuesday to deepen the main basin by two "
    "metres, so that larger ships can dock at the quay at any state of the tide.",
    "Work will start in March and take about eighteen months, the authority said, with the "
    "quay staying open to fishing boats throughout the construction period.",
    "The project will cost about 40 million euros, most of it borrowed from a regional "
    "development bank that finances ports and railways along the coast.",
    "Local fishermen welcomed the decision but asked for a guarantee that their berths "
    "would not be moved to the far end of the harbour once the new quay is finished.",
)
TITLE = "Harbour authority approves plan to deepen its main basin"


def page(body: str, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{TITLE}</title>{head}</head><body>{body}</body></html>"
    )


def article(extra: str = "", wrapper: str = "article") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"<{wrapper}><h1>{TITLE}</h1>{paragraphs}{extra}</{wrapper}>"


def body_of(markup: str) -> tuple[str, ...]:
    return extract_page(markup.encode("utf-8"), URL).body


# -- furniture never takes the article with it ----------------------------------------------


def test_page_wrapped_in_a_form_still_yields_its_body() -> None:
    # ASP.NET pages put the whole page inside one <form>.
    markup = page(f'<form id="aspnetForm" method="post">{article()}</form>')

    assert body_of(markup) == PARAGRAPHS


def test_wrapper_with_a_furniture_class_holding_the_article_is_kept() -> None:
    markup = page(f'<div class="share-container js-social-anchor">{article()}</div>')

    assert body_of(markup) == PARAGRAPHS


def test_wrapper_with_a_furniture_class_but_no_headline_is_kept_when_it_holds_the_text() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    markup = page(
        f"<h1>{TITLE}</h1>"
        f'<div class="entry-content-read-more">{paragraphs}</div>'
        '<div class="related"><p>Another story about something else entirely, '
        "with enough words to look like a paragraph of text.</p></div>"
    )

    assert body_of(markup) == PARAGRAPHS


def test_related_box_beside_the_article_is_stripped() -> None:
    related = (
        '<div class="related-stories"><p>Ferry operator adds a late sailing on Fridays, '
        "after passengers asked for one for years and the council agreed to pay.</p></div>"
    )
    markup = page(article(extra=related))

    assert body_of(markup) == PARAGRAPHS


# -- lines -----------------------------------------------------------------------------------


def test_text_after_inline_code_stays_in_its_paragraph() -> None:
    sentence = "We cached the frontend, keyed on package-lock.json, and the assets as well."
    markup = page(
        article(
            extra="<p>We cached the frontend, keyed on <code>package-lock.json</code>, "
            "and the assets as well.</p>"
        )
    )

    assert body_of(markup)[-1] == sentence


def test_headline_repeated_as_a_heading_in_the_first_lines_is_dropped() -> None:
    markup = page(f"<article><p>{PARAGRAPHS[0]}</p><h2>{TITLE}</h2>{article()[9:]}")

    assert TITLE not in body_of(markup)


def test_time_inside_a_heading_is_kept() -> None:
    heading = '<h2><time datetime="2025-05-01T22:40:00Z">23:40</time> Polls have closed</h2>'
    markup = page(article(extra=heading + f"<p>{PARAGRAPHS[0]}</p>"))

    assert "23:40 Polls have closed" in body_of(markup)


def test_relative_time_label_is_not_body() -> None:
    markup = page(article(extra="<div><span>4 minutes ago</span></div>"))

    assert "4 minutes ago" not in body_of(markup)


def test_feedback_widget_with_buttons_is_not_body() -> None:
    widget = (
        "<section><p>Was this guide helpful?</p>"
        '<button type="button">Yes</button><button type="button">No</button></section>'
    )
    markup = page(article(extra=widget))

    assert body_of(markup) == PARAGRAPHS


def test_standfirst_in_the_headline_header_is_not_body() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    markup = page(
        f'<article><header><h1>{TITLE}</h1><p class="excerpt">A short summary of the '
        f"story that the page shows under its headline.</p></header>"
        f'<section class="content">{paragraphs}</section></article>'
    )

    assert body_of(markup) == PARAGRAPHS


def test_paragraph_that_is_only_a_link_is_not_body() -> None:
    teaser = '<p><a href="/other"><strong>CLICK HERE TO GET THE NEWS APP</strong></a></p>'
    markup = page(article(extra=teaser))

    assert body_of(markup) == PARAGRAPHS


@pytest.mark.parametrize(
    "teaser",
    [
        '<p><b>Les også: <a href="/a">Damli ofret karrieren for barna</a></b></p>',
        '<p><strong>Related: </strong><a href="/b"><u>Water plumes on Europa</u></a></p>',
        '<p>SEE MORE: <a href="/c">Students under siege in university</a></p>',
    ],
)
def test_a_labelled_link_to_another_story_is_not_body(teaser: str) -> None:
    assert body_of(page(article(extra=teaser))) == PARAGRAPHS


def test_a_sentence_around_a_link_after_a_colon_stays() -> None:
    sentence = (
        '<p>The council said: <a href="/report">the report</a> is due in the spring, '
        "and the harbour will stay open while it is written.</p>"
    )
    assert body_of(page(article(extra=sentence)))[-1].startswith("The council said: the report")


def test_link_that_shows_its_address_is_not_taken_for_a_teaser() -> None:
    tree = html.fromstring(
        "<html><body><div><p><a href='/other'>Another story</a></p>"
        "<p><a href='https://data.example.org/r'>https://data.example.org/r</a></p>"
        "<p>Text with <a href='/x'>a link</a> in it.</p></div></body></html>"
    )

    strip_furniture(tree)

    assert [element_text(p) for p in tree.iter("p")] == [
        "https://data.example.org/r",
        "Text with a link in it.",
    ]


# -- JSON-LD articleBody --------------------------------------------------------------------


def ld_script(**fields: object) -> str:
    data = {"@context": "https://schema.org", "@type": "NewsArticle", **fields}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_json_ld_article_body_stands_in_for_a_script_rendered_page() -> None:
    shell = f'<main><h1>{TITLE}</h1><div class="app" data-hydrate="ArticleBody"></div></main>'
    markup = page(shell, head=ld_script(headline=TITLE, articleBody="\n\n".join(PARAGRAPHS)))

    assert body_of(markup) == PARAGRAPHS


@pytest.mark.parametrize(
    "nesting", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000]
)
def test_json_ld_nested_past_any_depth_is_passed_over(nesting: str) -> None:
    hostile = f'<script type="application/ld+json">{nesting}</script>'
    markup = page(article(), head=ld_script(headline="From JSON-LD") + hostile)

    extracted = extract_page(markup.encode("utf-8"), URL)

    assert extracted.title == "From JSON-LD"
    assert extracted.body[-len(PARAGRAPHS) :] == PARAGRAPHS


def test_json_ld_graphs_and_lists_are_read_in_document_order() -> None:
    graph = {"@graph": [[{"@type": "WebPage"}], {"@type": "NewsArticle", "headline": "First"}]}
    later = {"@type": "NewsArticle", "headline": "Second"}
    blocks = "".join(
        f'<script type="application/ld+json">{json.dumps(d)}</script>' for d in (graph, later)
    )

    assert extract_page(page(article(), head=blocks).encode("utf-8"), URL).title == "First"


def test_page_text_wins_over_an_article_body_that_differs() -> None:
    teaser = "Subscribers can read the full story about the harbour basin in our app today."
    markup = page(article(), head=ld_script(headline=TITLE, articleBody=teaser))

    assert body_of(markup) == PARAGRAPHS


# -- metadata ---------------------------------------------------------------------------------


def test_amp_img_is_read_as_the_lead_image() -> None:
    figure = (
        '<figure><amp-img src="/bus.jpg" width="1024" height="683" alt="A night bus"></amp-img>'
        "<figcaption>A night bus at the interchange.</figcaption></figure>"
    )
    extracted = extract_page(page(f"<article><h1>{TITLE}</h1>{figure}</article>"), URL)

    assert extracted.has_image
    assert extracted.image_alt == "A night bus"
    assert extracted.image_caption == "A night bus at the interchange."


def test_author_box_parts_are_named_after_the_box() -> None:
    # The box's own name contains "bio"; its name part must not be taken for the bio.
    box = (
        '<div class="author-bio-card"><p class="author-bio-card__name">Jonah Whitfield</p>'
        '<p class="author-bio-card__role">Staff engineer</p>'
        '<p class="author-bio-card__text">Jonah works on build systems and CI, and before '
        "that kept a very large monorepo compiling.</p></div>"
    )
    extracted = extract_page(page(article() + box), URL)

    assert extracted.author == "Jonah Whitfield"
    assert extracted.author_role == "Staff engineer"
    assert extracted.author_bio is not None and extracted.author_bio.startswith("Jonah works")


def test_hidden_markup_is_not_body() -> None:
    hidden = (
        '<div style="display: none"><p>A draft paragraph that the page never shows its readers, '
        "kept in the markup by the publishing system.</p></div>"
        "<p hidden>Another paragraph the reader never sees on the page, hidden by attribute.</p>"
    )
    markup = page(article(extra=hidden))

    assert body_of(markup) == PARAGRAPHS


def test_body_cut_into_containers_by_an_ad_slot_is_read_whole() -> None:
    first = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    second = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    markup = page(
        f"<article><h1>{TITLE}</h1>"
        f'<div class="grid"><div class="article__body">{first}</div>'
        '<div class="rail"><div class="ad__slot"></div></div></div>'
        '<div class="ad ad--mid"><span class="ad-label">Advertisement</span></div>'
        f'<div class="grid"><div class="article__body">{second}</div></div></article>'
    )

    assert body_of(markup) == PARAGRAPHS


def test_containers_with_text_between_them_are_not_joined() -> None:
    first = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:2])
    second = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[2:])
    markup = page(
        f"<article><h1>{TITLE}</h1>"
        f'<div class="text">{first}</div><h2>What the fishermen say</h2>'
        f'<div class="text">{second}</div></article>'
    )

    assert body_of(markup) == (*PARAGRAPHS[:2], "What the fishermen say", *PARAGRAPHS[2:])


def test_hover_card_inside_a_sentence_is_not_body() -> None:
    card = (
        '<span class="card"><a href="/people/omar">Ilhan Omar</a>'
        '<a href="/a">Progressives oppose funding bill</a> <a href="/b">Omar asks court</a> '
        '<a href="/people/omar">MORE</a></span>'
    )
    name = f'<span><a href="/people/omar">Ilhan Omar</a>{card}</span>'
    sentence = f"<p>A man threatened Rep. {name} (D-Minn.) in May.</p>"
    markup = page(article(extra=sentence))

    assert body_of(markup)[-1] == "A man threatened Rep. Ilhan Omar (D-Minn.) in May."
