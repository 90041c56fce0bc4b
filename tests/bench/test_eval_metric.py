"""The `make eval` metrics, on texts small enough to score by hand.

The shingle metric follows ../shared/corpora/README.md ("The extraction metric"); the
snippet metric follows trafilatura's tests/eval_common.py.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench import eval_extraction as harness

aggregate = harness.aggregate
count_snippets = harness.count_snippets
document_precision = harness.document_precision
document_recall = harness.document_recall
html_to_text = harness.html_to_text
score_document = harness.score_document
shingles = harness.shingles
snippet_scores = harness.snippet_scores


def test_shingles_are_counted_token_4_grams() -> None:
    expected = {tuple("abcd"): 2, tuple("bcda"): 1, tuple("cdab"): 1, tuple("dabc"): 1}
    assert shingles("a b, c d a b c d") == Counter(expected)


def test_a_text_under_four_tokens_is_one_shorter_shingle() -> None:
    assert shingles("Hello, world!") == Counter({("Hello", "world"): 1})
    assert shingles("") == Counter()
    assert shingles(" ... ") == Counter()


def test_identical_texts_score_one() -> None:
    text = "The quick brown fox jumps over the lazy dog."
    counts = score_document(text, text)
    assert counts == (1.0, 0.0, 0.0)
    assert aggregate([counts], [True]) == (1.0, 1.0, 1.0, 1.0)


def test_tokens_not_punctuation_or_line_breaks_are_compared() -> None:
    assert score_document("One two, three four!", "One\ntwo three -- four") == (1.0, 0.0, 0.0)


def test_tokens_are_case_sensitive() -> None:
    assert score_document("The cat sat down", "the cat sat down") == (0.0, 0.5, 0.5)


def test_disjoint_texts_score_zero() -> None:
    # one shingle each, none shared: tp 0, fp 1, fn 1, divided by 2
    counts = score_document("a b c d", "e f g h")
    assert counts == (0.0, 0.5, 0.5)
    assert document_precision(*counts) == 0.0
    assert document_recall(*counts) == 0.0
    assert aggregate([counts], [False]) == (0.0, 0.0, 0.0, 0.0)


def test_partial_overlap_counts_shared_shingles() -> None:
    # truth: 1234 2345 3456; prediction: 1234 2345 345x -> tp 2, fp 1, fn 1, over 4
    counts = score_document("one two three four five six", "one two three four five seven")
    assert counts == (0.5, 0.25, 0.25)
    precision, recall, f1, accuracy = aggregate([counts], [False])
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert f1 == pytest.approx(2 / 3)
    assert accuracy == 0.0


def test_repeated_shingles_count_as_many_times_as_they_occur() -> None:
    # truth: abcd x2, bcda, cdab, dabc; prediction: abcd -> tp 1, fp 0, fn 4, over 5
    counts = score_document("a b c d a b c d", "a b c d")
    assert counts == (0.2, 0.0, 0.8)
    assert document_precision(*counts) == 1.0
    assert document_recall(*counts) == pytest.approx(0.2)


def test_short_texts_are_one_shingle_each() -> None:
    assert score_document("hello world", "hello world!") == (1.0, 0.0, 0.0)
    assert score_document("hello world", "hello") == (0.0, 0.5, 0.5)
    # two tokens against four: ("a", "b") is not ("a", "b", "c", "d")
    assert score_document("a b", "a b c d") == (0.0, 0.5, 0.5)


def test_empty_prediction_counts_for_recall_only() -> None:
    empty = score_document("a b c d e", "")
    assert empty == (0.0, 0.0, 1.0)
    assert document_recall(*empty) == 0.0
    # the empty prediction has tp + fp == 0: left out of the precision mean
    precision, recall, f1, accuracy = aggregate([(1.0, 0.0, 0.0), empty], [True, False])
    assert precision == 1.0
    assert recall == 0.5
    assert f1 == pytest.approx(2 / 3)
    assert accuracy == 0.5


def test_document_precision_special_cases() -> None:
    assert document_precision(0.0, 0.0, 0.0) == 1.0  # fp == fn == 0 wins
    assert document_recall(0.0, 0.0, 0.0) == 1.0
    assert document_precision(0.0, 0.0, 1.0) == 0.0  # tp == fp == 0
    assert document_recall(0.0, 1.0, 0.0) == 0.0  # tp == fn == 0
    assert document_precision(0.6, 0.4, 0.0) == 0.6
    assert document_recall(0.6, 0.0, 0.4) == 0.6


def test_nothing_expected_and_nothing_given_is_left_out_of_both_means() -> None:
    assert score_document("", "") == (0.0, 0.0, 0.0)
    scores = aggregate([(0.0, 0.0, 0.0), (0.5, 0.25, 0.25)], [True, False])
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.accuracy == 0.5


def test_nothing_predicted_anywhere_scores_zero_not_a_crash() -> None:
    assert aggregate([(0.0, 0.0, 1.0)], [False]) == (0.0, 0.0, 0.0, 0.0)


def test_snippets_found_and_absent_are_counted_like_trafilatura() -> None:
    text = "Lead  paragraph\nhere.\nBody text. Share this"
    counts = count_snippets(["Lead paragraph here.", "missing bit"], ["Share this", "Ads"], text)
    assert counts == (1, 1, 1, 1)
    assert count_snippets(["a"], ["b", "c"], None) == (0, 0, 1, 2)
    precision, recall, f1, accuracy = snippet_scores([(3, 1, 1, 3), (1, 0, 1, 2)])
    assert (precision, recall) == (0.8, 4 / 6)
    assert f1 == pytest.approx(8 / 11)  # 2tp / (2tp + fp + fn)
    assert accuracy == pytest.approx(9 / 12)


def test_expected_html_becomes_one_line_per_block() -> None:
    markup = (
        "<div><p>one <b>two</b></p><p>three<br>four</p><ul><li>a</li><li>b</li></ul>"
        "<p>x&amp;y <script>var s;</script> z</p>tail</div>"
    )
    assert html_to_text(markup) == "one two\nthree\nfour\na\nb\nx&y z\ntail"


@pytest.mark.corpus
def test_harness_scores_three_benchmark_pages() -> None:
    root = harness.corpora_root()
    if not (root / harness.BENCHMARK).is_dir():
        pytest.skip(f"no {harness.BENCHMARK} corpus at {root}")
    result = harness.evaluate_corpus(harness.BENCHMARK, root, limit=3)
    assert result.pages == 3
    assert all(0.0 <= figure <= 1.0 for figure in result.scores)
    assert all(0.0 <= page.f1 <= 1.0 for page in result.worst)


def _corpus(name: str, f1: float) -> harness.CorpusResult:
    scores = harness.Scores(1.0, 1.0, f1, 1.0)
    return harness.CorpusResult(name, "shingles", 1, scores, 0, ())


def test_a_figure_below_its_floor_is_one_breach_line() -> None:
    floors = {"a": {"f1": 0.9}, "b": {"f1": 0.5}, "speed_pages_per_s": 40}
    checked, breaches = harness.check_floors(floors, [_corpus("a", 0.89), _corpus("b", 0.5)], None)
    assert checked == ["a F1 >= 0.9", "b F1 >= 0.5"]  # no speed measured, no speed floor
    assert breaches == ["a: F1 0.8900 is below its floor 0.9"]


def test_floors_only_go_up_rounded_down() -> None:
    floors = {"a": {"f1": 0.9}, "b": {"f1": 0.5}, "speed_pages_per_s": 40}
    raised = harness.raised_floors(floors, [_corpus("a", 0.8), _corpus("b", 0.92999)])
    assert raised == {"a": {"f1": 0.9}, "b": {"f1": 0.929}, "speed_pages_per_s": 40}
