"""The field metric of `make eval` (bench/eval_fields.py) on inputs small enough to check
by hand, as ../shared/corpora/README.md ("Field accuracy (fundus-dev)") defines it."""

from __future__ import annotations

import pytest

from bench import eval_fields as fields
from bench import field_corpora as corpora
from bench import field_metric as metric
from bench.eval_extraction import corpora_root
from bench.eval_fields import (
    FieldCorpusResult,
    PageFields,
    Reading,
    Share,
)
from bench.field_corpora import Truth

# -- titles -------------------------------------------------------------------------------


def test_titles_match_after_nfc_and_whitespace_collapsing() -> None:
    decomposed = "Cafe\u0301  au\n lait "
    assert metric.titles_match("Café au lait", decomposed)
    assert metric.titles_match("Roky v\xa0důchodu", "Roky v důchodu")  # NBSP is whitespace


def test_titles_differing_in_case_entities_or_suffix_do_not_match() -> None:
    assert not metric.titles_match("Hello world", "hello world")
    assert not metric.titles_match("A & B", "A &amp; B")  # the page's escaping is an error
    assert not metric.titles_match("Akkutechnik", "Akkutechnik - Golem.de")
    assert not metric.titles_match("Anything", None)


# -- authors ------------------------------------------------------------------------------


def test_our_author_line_is_split_on_commas_and_and() -> None:
    line = "Anna Fink, Jan  Marchart and Birgit Baumann"
    expected = metric.listed_names(["Birgit Baumann", "ANNA FINK", "Jan Marchart"])
    assert metric.our_names(line) == expected == {"anna fink", "jan marchart", "birgit baumann"}


def test_and_inside_a_name_does_not_split_it() -> None:
    assert metric.our_names("Alexandra Sanders") == {"alexandra sanders"}
    assert metric.our_names("Mac & i") == {"mac", "i"}


def test_only_trafilatura_lines_and_bylines_split_on_semicolons() -> None:
    assert metric.our_names("Stella Kim; Jennifer Jett") == {"stella kim; jennifer jett"}
    assert metric.trafilatura_names("Stella Kim; Jennifer Jett") == {"stella kim", "jennifer jett"}
    assert metric.byline_names("Stella Kim, Jennifer Jett") == {"stella kim", "jennifer jett"}


def test_a_listed_name_keeps_its_comma() -> None:
    assert metric.listed_names(["Jong, Michiel de"]) == {"jong, michiel de"}


def test_authors_must_be_the_same_set_not_a_subset() -> None:
    truth = Truth(authors=("Felix Schröder", "Jörg Soldwisch", "dpa"))
    assert fields.field_checks(truth, Reading(author="Felix Schröder"), metric.our_names) == {
        "title": None,
        "authors": False,
        "published": None,
    }
    whole = Reading(author="Felix Schröder, Jörg Soldwisch and DPA")
    assert fields.field_checks(truth, whole, metric.our_names)["authors"] is True
    assert fields.field_checks(truth, Reading(), metric.our_names)["authors"] is False


def test_a_byline_truth_is_split_like_a_line() -> None:
    truth = Truth(authors=("Alexandre Hervaud, Jérémy Piette",), byline=True)
    assert fields.expected_names(truth) == {"alexandre hervaud", "jérémy piette"}


# -- dates --------------------------------------------------------------------------------


def test_the_same_instant_within_60_seconds_across_offsets() -> None:
    assert metric.dates_match("2024-05-03 15:47:42.389000+00:00", "2024-05-03T17:48:30+02:00")
    assert metric.dates_match("2024-05-03T15:47:00Z", "2024-05-03T15:48:00Z")
    assert not metric.dates_match("2024-05-03T15:47:00Z", "2024-05-03T15:48:01Z")
    assert not metric.dates_match("2024-05-03T15:47:00+00:00", "2024-05-03T15:47:00+02:00")


def test_a_date_alone_needs_only_the_same_day_as_written() -> None:
    assert metric.dates_match("2019-08-02", "2019-08-02T23:30:00+02:00")
    # The page's own calendar day, not the UTC one (2019-08-03 04:30Z).
    assert metric.dates_match("2019-08-02", "2019-08-02T23:30:00-05:00")
    assert metric.dates_match("2019-08-02T01:00:00+02:00", "2019-08-02")
    assert not metric.dates_match("2019-08-02", "2019-08-03T00:10:00+02:00")


def test_without_an_offset_on_one_side_the_wall_clocks_are_compared() -> None:
    assert metric.dates_match("2024-04-30 00:00:00", "2024-04-30T00:00:30+02:00")
    assert not metric.dates_match("2024-04-30 00:00:00", "2024-04-30T02:00:00+02:00")


def test_other_date_forms_parse_when_they_name_a_whole_day() -> None:
    assert metric.dates_match("2023-04-28 19:20:36+02:00", "Fri, 28 Apr 2023 19:20:36 +0200")
    assert metric.date_form("Fri, 28 Apr 2023 19:20:36 +0200") == "other"
    assert metric.date_form("2023-04-28T19:20:36.000Z") == "iso"


@pytest.mark.parametrize("text", ["vor 3 Stunden", "March 2015", "1714744062", "heute"])
def test_an_unparseable_date_is_wrong_and_counted_as_such(text: str) -> None:
    assert metric.date_form(text) == "unparseable"
    assert not metric.dates_match("2015-03-25", text)


def test_no_date_is_missing_not_unparseable() -> None:
    assert metric.date_form(None) == "missing"
    assert metric.date_form("  ") == "missing"
    assert not metric.dates_match("2015-03-25", None)


# -- fundus-dev ---------------------------------------------------------------------------


def test_a_page_goes_with_the_version_whose_title_it_holds() -> None:
    versions = {"V1": {"title": "Alpha wins"}, "V1_1": {"title": "Beta & Gamma"}}
    page = "<html><title>Beta &amp; Gamma | Site</title></html>"
    assert corpora.match_version(page, versions) == "V1_1"
    assert corpora.match_version("<title>Alpha wins</title>", versions) == "V1"
    assert corpora.match_version("<title>Delta</title>", versions) is None


def test_the_longest_title_wins_where_one_holds_another() -> None:
    versions = {"V1": {"title": "Beta"}, "V2": {"title": "Beta and more"}}
    assert corpora.match_version("<h1>Beta and more</h1>", versions) == "V2"
    assert corpora.match_version("<h1>Beta</h1>", versions) == "V1"


def test_the_fundus_body_is_summary_then_headlines_and_paragraphs() -> None:
    body = {
        "summary": ["Lead."],
        "sections": [
            {"headline": [], "paragraphs": ["One.", "Two."]},
            {"headline": ["Later"], "paragraphs": ["Three."]},
        ],
    }
    assert corpora.fundus_body(body) == "Lead.\nOne.\nTwo.\nLater\nThree."


# -- the body ---------------------------------------------------------------------------


def test_body_f1_of_a_tiny_case() -> None:
    # Truth shingles {abcd, bcde}, prediction {abcd}: P 1, R 1/2.
    assert metric.page_f1((0.5, 0.0, 0.5)) == pytest.approx(2 / 3)
    assert metric.body_f1([("a b c d e", "a b c d")]) == pytest.approx(2 / 3)
    # Mean P (1 + 1) / 2, mean R (1/2 + 1) / 2: F1 = 2 * 0.75 / 1.75.
    pairs = [("a b c d e", "a b c d"), ("x y", "x y")]
    assert metric.body_f1(pairs) == pytest.approx(1.5 / 1.75)
    assert metric.page_f1((0.0, 0.0, 0.0)) == 1.0  # nothing expected, nothing given
    assert metric.page_f1((0.0, 0.0, 1.0)) == 0.0  # nothing given


# -- shares and floors ------------------------------------------------------------------


def _page(truth: Truth, ours: Reading, theirs: Reading) -> PageFields:
    return fields.score_page(corpora.FieldPage("p", b"", "", truth), ours, theirs)


def test_a_share_counts_only_pages_whose_truth_has_the_field() -> None:
    pages = [
        _page(Truth(title="T", published="2020-01-01"), Reading(title="T"), Reading(title="X")),
        _page(Truth(published="2020-01-01"), Reading(published="2020-01-02"), Reading()),
    ]
    result = fields.summarise("c", pages)
    assert result.shares["title"] == Share(1.0, 0.0, 1)
    assert result.shares["published"] == Share(0.0, 0.0, 2)
    assert "authors" not in result.shares  # no page's truth names anyone
    assert result.date_forms == {"iso": 1, "other": 0, "unparseable": 0, "missing": 1}


def _result(name: str, title: float) -> FieldCorpusResult:
    return FieldCorpusResult(name, (), 0, {"title": Share(title, 0.5, 10)}, {})


def test_a_field_below_its_floor_is_one_breach_line() -> None:
    floors = {"fields": {"a": {"title": 0.8}, "b": {"title": 0.5}}}
    checked, breaches = fields.check_field_floors(floors, [_result("a", 0.79), _result("b", 0.5)])
    assert checked == ["a title >= 0.8", "b title >= 0.5"]
    assert breaches == ["a title: 0.7900 is below its floor 0.8"]


def test_field_floors_only_go_up_rounded_down_and_leave_the_rest() -> None:
    floors = {"x": {"f1": 0.9}, "fields": {"a": {"title": 0.8}, "c": {"title": 0.3}}}
    raised = fields.raised_field_floors(floors, [_result("a", 0.7), _result("b", 0.65999)])
    assert raised == {
        "x": {"f1": 0.9},
        "fields": {"a": {"title": 0.8}, "c": {"title": 0.3}, "b": {"title": 0.659}},
    }
    assert fields.raised_field_floors({"x": 1}, []) == {"x": 1}


def test_long_values_are_clipped_for_the_terminal() -> None:
    shown = fields.clip("x" * 200)
    assert len(shown) == fields.CLIP
    assert shown.endswith("…")
    assert fields.clip(None) == "(none)"


# -- the corpus -------------------------------------------------------------------------


@pytest.mark.corpus
def test_field_evaluation_of_four_fundus_pages() -> None:
    root = corpora_root()
    if not (root / corpora.FUNDUS).is_dir():
        pytest.skip(f"no {corpora.FUNDUS} corpus at {root}")
    result = fields.evaluate_fields(corpora.FUNDUS, root, limit=4, jobs=1)
    assert len(result.pages) == 4
    assert set(result.shares) == {"title", "authors", "published", "body_f1"}
    for share in result.shares.values():
        assert 0.0 <= share.ours <= 1.0
        assert 0.0 <= share.theirs <= 1.0
        assert 1 <= share.pages <= 4
    assert sum(result.date_forms.values()) == 4
    for page in result.pages:
        assert page.truth.title  # every page was paired with a version
        assert page.url.startswith("http")
        assert page.ours.error is None
    report = "\n".join(fields.field_report([result], worst=2))
    assert f"fields: {corpora.FUNDUS} (4 pages)" in report
