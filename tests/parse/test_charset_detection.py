"""Feeds in a legacy encoding that nothing declares (no charset in the header, no BOM, no
encoding in the XML declaration): the encoding is detected from the bytes, and only then."""

# ruff: noqa: RUF001  (the test texts are Cyrillic and typographic on purpose)

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

import charset_normalizer
import pytest

from ingester.parse import charset, parse_feed

URL = "https://example.com/feed.xml"

# Text written for these tests, a headline per entry, in each language.
JAPANESE = (
    "東京の天気は明日も晴れでしょう",
    "新しい駅が来月開業します",
    "図書館で古い地図を見つけました",
    "今週の料理はカレーライスです",
    "山の上から見た夕焼けがきれいでした",
)
KOREAN = (
    "서울의 날씨는 내일도 맑겠습니다",
    "새로운 지하철역이 다음 달에 문을 엽니다",
    "도서관에서 오래된 지도를 찾았습니다",
    "이번 주 요리는 김치찌개입니다",
    "산 위에서 본 노을이 아름다웠습니다",
)
CHINESE = (
    "北京明天天气晴朗",
    "新的地铁站将于下个月开通",
    "我在图书馆找到了一张旧地图",
    "本周的菜是西红柿炒鸡蛋",
    "从山顶看到的晚霞非常美丽",
)
RUSSIAN = (
    "Погода в Москве завтра будет солнечной",
    "Новая станция метро откроется в следующем месяце",
    "В библиотеке нашли старую карту города",
    "Рецепт недели: борщ со сметаной",
    "Закат с вершины горы был прекрасен",
)
# è and à are č and ŕ in windows-1250, which reads Latin text as cleanly as windows-1252.
FRENCH = (
    "Le maire présente très tôt son projet",
    "La fièvre des élèves à côté de l’école",
    "Un été sans pluie à Marseille",
)
PORTUGUESE = (
    "A população de São Paulo cresceu",
    "Eleições em Portugal não mudaram nada",
    "Ação e reação",
)
ENCODINGS = {
    "euc-jp": JAPANESE,
    "shift_jis": JAPANESE,
    "euc-kr": KOREAN,
    "gb2312": CHINESE,
    "koi8-r": RUSSIAN,
    "windows-1251": RUSSIAN,
}


def rss(titles: tuple[str, ...], entries: int, declaration: str = '<?xml version="1.0"?>') -> str:
    items = "".join(
        f"<item><title>{titles[i % len(titles)]}</title>"
        f"<link>https://example.com/{i}</link>"
        f"<description>{titles[(i + 1) % len(titles)]}</description></item>\n"
        for i in range(entries)
    )
    return (
        f'{declaration}\n<rss version="2.0"><channel><title>{titles[0]}</title>'
        f"<link>https://example.com/</link>\n{items}</channel></rss>\n"
    )


def titles_of(content: bytes, content_type: str | None = None) -> list[str | None]:
    headers = {"Content-Type": content_type} if content_type else {}
    feed = parse_feed(content, headers=headers, base_url=URL)
    return [feed.title, *(e.title for e in feed.entries)]


def expected(titles: tuple[str, ...], entries: int) -> list[str | None]:
    return [titles[0], *(titles[i % len(titles)] for i in range(entries))]


def forbid_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(content: bytes) -> str | None:
        raise AssertionError("the detector ran")

    monkeypatch.setattr(charset, "detected_encoding", refuse)


# -- undeclared legacy encodings are detected --------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("content_type", [None, "application/rss+xml", "text/xml"])
def test_an_undeclared_legacy_encoding_is_detected(encoding: str, content_type: str | None) -> None:
    # Before: feedparser read the bytes as windows-1252 (or gave up), storing mojibake.
    titles = ENCODINGS[encoding]
    content = rss(titles, 5).encode(encoding)
    assert titles_of(content, content_type) == expected(titles, 5)


@pytest.mark.parametrize(
    ("encoding", "entries"), [("gb2312", 0), ("euc-jp", 1), ("euc-kr", 0), ("shift_jis", 0)]
)
def test_short_cjk_feeds_are_read_in_their_own_language(encoding: str, entries: int) -> None:
    # A headline or two decodes as cleanly in GB18030, EUC-KR and EUC-JP; charset-normalizer
    # alone takes EUC-KR for both of the first two.
    titles = ENCODINGS[encoding]
    assert titles_of(rss(titles, entries).encode(encoding)) == expected(titles, entries)


@pytest.mark.parametrize("titles", [FRENCH, PORTUGUESE], ids=["french", "portuguese"])
def test_undeclared_latin_text_stays_windows_1252(titles: tuple[str, ...]) -> None:
    # charset-normalizer alone says windows-1250 for both, which turns è into č and ã into
    # ă; for Portuguese it even finds windows-1252 the messier reading.
    content = rss(titles, 3).encode("cp1252")
    assert titles_of(content) == expected(titles, 3)


def test_a_feed_without_an_xml_declaration_is_detected() -> None:
    content = rss(RUSSIAN, 2, declaration="").lstrip().encode("koi8-r")
    assert titles_of(content) == expected(RUSSIAN, 2)


def test_a_declaration_after_white_space_is_none() -> None:
    # feedparser ignores it (not at the start of the entity) and reads Latin-1.
    content = rss(RUSSIAN, 2, "  <?xml version='1.0' encoding='koi8-r'?>").encode("cp1251")
    assert titles_of(content) == expected(RUSSIAN, 2)


def test_detection_reads_a_bounded_prefix_cut_between_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bytes] = []
    from_bytes = charset_normalizer.from_bytes

    def spy(sequences: bytes, **kwargs: Any) -> charset_normalizer.CharsetMatches:
        seen.append(bytes(sequences))
        return from_bytes(sequences, **kwargs)

    monkeypatch.setattr(charset_normalizer, "from_bytes", spy)
    entries = 2000
    content = rss(JAPANESE, entries).encode("shift_jis")
    assert len(content) > 2 * charset.DETECTION_LIMIT
    assert titles_of(content) == expected(JAPANESE, entries)
    assert seen
    assert all(len(s) <= charset.DETECTION_LIMIT for s in seen)
    # The prefix ends before a "<", never inside a two-byte character.
    assert all(content[len(s) : len(s) + 1] == b"<" for s in seen)
    assert all(s.decode("shift_jis") for s in seen)


# -- a declaration wins; labelled, ASCII and UTF-8 feeds never run the detector ----------


@pytest.mark.parametrize(
    ("declaration", "content_type"),
    [
        ('<?xml version="1.0" encoding="koi8-r"?>', None),
        ('<?xml version="1.0"?>', "application/rss+xml; charset=koi8-r"),
    ],
)
def test_a_declared_charset_wins_over_detection(
    monkeypatch: pytest.MonkeyPatch, declaration: str, content_type: str | None
) -> None:
    # windows-1251 bytes labelled KOI8-R: the detector would say windows-1251, and the
    # label is believed (mislabelled legacy charsets are not second-guessed).
    content = rss(RUSSIAN, 2, declaration).encode("cp1251")
    as_labelled = [t.encode("cp1251").decode("koi8-r") for t in expected(RUSSIAN, 2) if t]
    assert charset.detected_encoding(rss(RUSSIAN, 2).encode("cp1251")) == "cp1251"
    forbid_detection(monkeypatch)
    assert titles_of(content, content_type) == as_labelled


ASCII_AND_UNICODE: dict[str, Callable[[], bytes]] = {
    "ascii": lambda: rss(("Plain headline", "Another one"), 2).encode("ascii"),
    "utf-8": lambda: rss(KOREAN, 2).encode("utf-8"),
    "utf-8 declared": lambda: rss(CHINESE, 2, '<?xml version="1.0" encoding="utf-8"?>').encode(
        "utf-8"
    ),
    "utf-8 labelled euc-kr": lambda: rss(
        KOREAN, 2, '<?xml version="1.0" encoding="euc-kr"?>'
    ).encode("utf-8"),
    "utf-16 with BOM": lambda: (
        codecs.BOM_UTF16_LE
        + rss(JAPANESE, 2, '<?xml version="1.0" encoding="utf-16"?>').encode("utf-16-le")
    ),
    "utf-8 with BOM": lambda: codecs.BOM_UTF8 + rss(RUSSIAN, 2).encode("utf-8"),
}


@pytest.mark.parametrize("name", ASCII_AND_UNICODE)
@pytest.mark.parametrize("content_type", [None, "text/xml"])
def test_ascii_and_unicode_feeds_never_run_the_detector(
    monkeypatch: pytest.MonkeyPatch, name: str, content_type: str | None
) -> None:
    content = ASCII_AND_UNICODE[name]()
    forbid_detection(monkeypatch)
    feed = parse_feed(
        content, headers={"Content-Type": content_type} if content_type else {}, base_url=URL
    )
    assert feed.title
    assert len(feed.entries) == 2
    assert "\ufffd" not in feed.title


def test_the_detector_is_the_override_for_undeclared_bytes_only() -> None:
    undeclared = rss(KOREAN, 3).encode("euc-kr")
    assert charset.charset_override(undeclared, None) in {"cp949", "euc_kr"}
    assert charset.charset_override(undeclared, "text/xml; charset=euc-kr") is None
    assert charset.charset_override(rss(KOREAN, 3).encode("utf-8"), None) == "utf-8"
    assert charset.charset_override(rss(("Plain",), 3).encode("ascii"), None) is None
