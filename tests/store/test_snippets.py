"""Search snippets (store/snippets.py), made the same way whichever engine searched."""

from __future__ import annotations

from ingester.store.snippets import query_terms, snippet

BODY = " ".join(f"w{n}" for n in range(40))


def test_the_matched_words_are_bracketed_in_a_window_of_twelve() -> None:
    text = snippet(BODY, "w20")

    # Three words of context before the match, as the window allows.
    assert text == "… w17 w18 w19 [w20] w21 w22 w23 w24 w25 w26 w27 w28 …"
    assert snippet("w0 w1 w2", "w0") == "[w0] w1 w2"


def test_the_window_holds_the_most_distinct_query_words() -> None:
    body = "alpha " + "x " * 30 + "beta gamma x x beta"

    assert snippet(body, "beta gamma").endswith("[beta] [gamma] x x [beta]")
    assert "alpha" not in snippet(body, "beta gamma alpha")  # two of three beat one


def test_case_and_accents_aside_and_a_prefix_matches_the_words_it_begins() -> None:
    assert snippet("Le Café ouvre à Zürich.", "cafe zurich") == "Le [Café] ouvre à [Zürich]."
    assert snippet("harbours and harbourside", "harbour*") == "[harbours] and [harbourside]"


def test_a_body_without_the_words_gives_its_start_and_lines_become_spaces() -> None:
    assert snippet("one\ntwo\n\nthree", "zeppelin") == "one two three"
    assert snippet("", "anything") == ""


def test_operators_quotes_and_exclusions_are_not_words_to_mark() -> None:
    assert query_terms('"the bridge" OR ferry -storm NOT quay') == [
        ("the", False), ("bridge", False), ("ferry", False),
    ]  # fmt: skip
