"""Pages in a legacy encoding with no meta charset (and no header: extract_page is given
the bytes alone): trafilatura's load_html detects the encoding of bytes that are not
UTF-8 (with charset-normalizer), so the title and body come out as written."""

# ruff: noqa: RUF001  (the test texts are Cyrillic and typographic on purpose)

from __future__ import annotations

import pytest

from ingester.extract import extract_page

URL = "https://news.example.com/2025/10/story"

# Text written for this test: a headline and two sentences in each language.
TEXTS = {
    "shift_jis": (
        "東京の天気は明日も晴れでしょう",
        "新しい駅が来月開業します。",
        "図書館で古い地図を見つけました。",
    ),
    "euc-kr": (
        "서울의 날씨는 내일도 맑겠습니다",
        "새로운 지하철역이 다음 달에 문을 엽니다.",
        "도서관에서 오래된 지도를 찾았습니다.",
    ),
    "koi8-r": (
        "Погода в Москве завтра будет солнечной",
        "Новая станция метро откроется в следующем месяце.",
        "В библиотеке нашли старую карту города.",
    ),
}


@pytest.mark.parametrize("encoding", TEXTS)
def test_a_page_in_an_undeclared_legacy_encoding_reads_as_written(encoding: str) -> None:
    headline, first, second = TEXTS[encoding]
    markup = (
        f"<!DOCTYPE html><html><head><title>{headline}</title></head><body><article>"
        f"<h1>{headline}</h1><p>{first} {second}</p><p>{second} {first}</p>"
        "</article></body></html>"
    )
    content = markup.encode(encoding)
    assert b"charset" not in content
    page = extract_page(content, URL)
    assert page.title == headline
    assert f"{first} {second}" in page.body
