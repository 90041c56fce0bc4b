"""Names made from titles: what a feed added without a name is called in the config."""

from __future__ import annotations

import pytest

from ingester.config.feedlist import feed_name


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Kyiv Independent", "kyiv-independent"),
        ("  BBC News - World  ", "bbc-news-world"),
        ("Café Olé — Blog", "cafe-ole-blog"),
        ("Українська правда", "українська-правда"),  # letters of any script stay letters
        ("The Daily Sample!!!", "the-daily-sample"),
        ("A" * 80, "a" * 40),
        ("---", None),
        ("", None),
    ],
)
def test_a_title_becomes_a_lower_case_name_without_spaces(title: str, name: str | None) -> None:
    assert feed_name(title, set()) == name


def test_a_name_already_taken_gets_a_number() -> None:
    assert feed_name("Daily News", {"daily-news"}) == "daily-news-2"
    assert feed_name("Daily News", {"daily-news", "daily-news-2"}) == "daily-news-3"
