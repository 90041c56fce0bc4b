"""Titles (ingester/extract/titles.py): entities decoded, the site's name taken off, the
headline chosen among the page's candidates."""

from __future__ import annotations

import pytest

from ingester.extract.metadata import decoded
from ingester.extract.titles import choose_title, site_names, without_site_name

GOLEM = site_names({"og:site_name": "Golem.de"}, None, "https://www.golem.de/news/x.html")


@pytest.mark.parametrize(
    ("escaped", "text"),
    [
        ("Smartphones zerst&ouml;ren", "Smartphones zerstören"),
        ("unveils &#8216;family&#8217; plan", "unveils \u2018family\u2019 plan"),
        ("Türkiye&amp;#039;de", "Türkiye'de"),  # escaped twice
        ("Schubert: &quot;Nicht mehr&quot;", 'Schubert: "Nicht mehr"'),
        ("  two\n lines ", "two lines"),
    ],
)
def test_entities_are_decoded_until_the_text_stops_changing(escaped: str, text: str) -> None:
    assert decoded(escaped) == text


def test_the_sites_name_is_taken_off_either_end_with_its_separator() -> None:
    assert (
        without_site_name("Akkus für ein Motorrad? - Golem.de", GOLEM) == "Akkus für ein Motorrad?"
    )
    assert (
        without_site_name("Golem.de | Akkus für ein Motorrad?", GOLEM) == "Akkus für ein Motorrad?"
    )


def test_the_host_names_the_site_when_the_page_does_not() -> None:
    sites = site_names({}, None, "https://www.landesspiegel.li/eu-indien")
    title = "EU und Indien besiegeln Abkommen - Landesspiegel"
    assert without_site_name(title, sites) == "EU und Indien besiegeln Abkommen"
    longer = site_names({}, None, "https://www.tageszeitung.it/2025/x/")
    assert without_site_name("Einsatz - Die Neue Südtiroler Tageszeitung", longer) == "Einsatz"


def test_a_section_between_headline_and_site_goes_with_the_site() -> None:
    sites = site_names({"og:site_name": "한국일보"}, None, "https://www.hankookilbo.com/a")
    assert without_site_name("부담 커졌다-정치ㅣ한국일보", sites, section="정치") == "부담 커졌다"


def test_words_that_only_contain_the_sites_name_stay() -> None:
    assert without_site_name("Golem.de-Leser testen Akkus", GOLEM) == "Golem.de-Leser testen Akkus"
    assert without_site_name("Warum Golem.de wächst", GOLEM) == "Warum Golem.de wächst"
    assert without_site_name("Golem.de", GOLEM) == "Golem.de"  # nothing would be left


def test_the_structured_headline_comes_first_then_og_title_then_title_then_h1() -> None:
    assert choose_title("H1", "Headline", "OG", "Title", (), None) == "Headline"
    assert choose_title("H1", None, "OG", "Title", (), None) == "OG"
    assert choose_title("H1", None, None, "Title", (), None) == "Title"
    assert choose_title("H1", None, None, None, (), None) == "H1"
    assert choose_title(None, None, None, None, (), None) is None


def test_a_blank_or_entity_only_candidate_is_passed_over() -> None:
    assert choose_title("Shown", "   ", "&#32;", None, (), None) == "Shown"


def test_each_candidate_is_cleaned_before_it_is_chosen() -> None:
    chosen = choose_title(None, None, "Smartphones zerst&ouml;ren - Golem.de", None, GOLEM, None)
    assert chosen == "Smartphones zerstören"


def test_a_compound_word_before_the_site_name_stays_whole() -> None:
    sites = site_names({"og:site_name": "Wochenblatt"}, None, "https://wochenblatt.cc/a")
    title = "Itaipu hat Ausschreibungen über 11 Millionen US-Dollar - Wochenblatt"
    assert (
        without_site_name(title, sites) == "Itaipu hat Ausschreibungen über 11 Millionen US-Dollar"
    )
