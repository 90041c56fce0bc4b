"""The config file: a valid one loads; every bad one is refused whole, in one line."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ingester.config import Settings, load_config
from ingester.errors import ConfigError
from tests.support.cli import PROJECT

SHIPPED_CONFIG = PROJECT / "config" / "feeds.toml"

GOOD_FEED = '[[feeds]]\nurl = "https://example.com/feed.xml"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    """The message of the ConfigError that loading ``path`` raises; it must be one line."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert str(path) in message
    return message


# -- what loads -------------------------------------------------------------------------


def test_valid_file_loads_feeds_in_order_with_their_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[settings]
default_interval = "2h"
user_agent = "test-agent/1.0"
concurrency = 3

[[feeds]]
url = "https://example.com/feed.xml"
name = "example"
section = "World"
interval = "15m"

[[feeds]]
url = "http://news.example.org/rss"
""",
    )
    config = load_config(path)

    assert config.path == path
    assert [feed.url for feed in config.feeds] == [
        "https://example.com/feed.xml",
        "http://news.example.org/rss",
    ]
    first, second = config.feeds
    assert (first.name, first.section, first.interval) == ("example", "World", 15 * 60)
    assert (second.name, second.section, second.interval) == (None, None, None)
    assert config.settings.default_interval == 2 * 3600
    assert config.settings.user_agent == "test-agent/1.0"
    assert config.settings.concurrency == 3


def test_settings_not_given_take_the_documented_defaults(tmp_path: Path) -> None:
    # The defaults as config/feeds.toml documents them.
    settings = load_config(write(tmp_path, GOOD_FEED)).settings

    assert settings == Settings()
    assert settings.default_interval == 30 * 60
    assert settings.tick == 60
    assert settings.timeout == 30.0
    assert settings.connect_timeout == 10.0
    assert settings.max_feed_bytes == 10485760
    assert settings.max_page_bytes == 5242880
    assert settings.concurrency == 8
    assert settings.page_concurrency == 4
    assert settings.max_backoff == 86400


def test_file_with_no_feeds_loads_empty(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).feeds == ()


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ('"90s"', 90),
        ('"30m"', 30 * 60),
        ('"2h"', 2 * 3600),
        ('"1d"', 86400),
        ("900", 900),
    ],
)
def test_feed_interval_accepts_durations_and_seconds(
    tmp_path: Path, written: str, seconds: int
) -> None:
    config = load_config(write(tmp_path, f"{GOOD_FEED}interval = {written}\n"))

    assert config.feeds[0].interval == seconds


@pytest.mark.parametrize(
    ("key", "written", "value"),
    [
        ("default_interval", '"90s"', 90),
        ("tick", '"1m"', 60),
        ("max_backoff", '"1d"', 86400),
        ("max_backoff", "7200", 7200),
        ("timeout", "5", 5.0),
        ("connect_timeout", "2.5", 2.5),
    ],
)
def test_settings_accept_durations_and_numbers(
    tmp_path: Path, key: str, written: str, value: float
) -> None:
    config = load_config(write(tmp_path, f"[settings]\n{key} = {written}\n"))

    assert getattr(config.settings, key) == value


def test_shipped_config_loads_and_polls_the_kyiv_independent() -> None:
    config = load_config(SHIPPED_CONFIG)

    hosts = {urlsplit(feed.url).hostname for feed in config.feeds}
    assert "kyivindependent.com" in hosts


@pytest.mark.parametrize("workers", [0, 3])
def test_workers_is_a_setting(tmp_path: Path, workers: int) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(f"[settings]\nworkers = {workers}\n", encoding="utf-8")
    assert load_config(config).settings.workers == workers


# -- what is refused ----------------------------------------------------------------------


def test_unknown_feed_key_is_refused_naming_feed_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'{GOOD_FEED}\n[[feeds]]\nurl = "https://example.org/rss"\ncolour = "red"\n',
    )
    message = refusal(path)

    assert "feed 2" in message
    assert "https://example.org/rss" in message
    assert "colour" in message


@pytest.mark.parametrize(
    "written",
    ['"soon"', '"30x"', '"1.5h"', '""', "0", "-5", '"0m"', "true", "1.5"],
)
def test_bad_interval_is_refused_naming_feed_and_key(tmp_path: Path, written: str) -> None:
    path = write(tmp_path, f'[[feeds]]\nurl = "https://example.com/rss"\ninterval = {written}\n')
    message = refusal(path)

    assert "feed 1" in message
    assert "https://example.com/rss" in message
    assert "interval" in message


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/feed.xml",
        "example.com/feed.xml",
        "javascript:alert(1)",
        "https:///no-host",
    ],
)
def test_non_http_url_is_refused_naming_feed_and_key(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f'{GOOD_FEED}\n[[feeds]]\nurl = "{url}"\n')
    message = refusal(path)

    assert "feed 2" in message
    assert url in message
    assert "'url'" in message


def test_feed_without_url_is_refused_naming_feed_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, f'{GOOD_FEED}\n[[feeds]]\nname = "nameless"\n')
    message = refusal(path)

    assert "feed 2" in message
    assert "'url'" in message


@pytest.mark.parametrize("written", ["42", '""', '"   "', '["https://example.com/"]'])
def test_url_that_is_not_a_non_empty_string_is_refused(tmp_path: Path, written: str) -> None:
    message = refusal(write(tmp_path, f"[[feeds]]\nurl = {written}\n"))

    assert "feed 1" in message
    assert "'url'" in message


def test_unknown_settings_key_is_refused_naming_it(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, f'[settings]\nuser_agnet = "typo/1.0"\n\n{GOOD_FEED}'))

    assert "[settings]" in message
    assert "user_agnet" in message


@pytest.mark.parametrize(
    ("key", "written"),
    [
        ("default_interval", '"soon"'),
        ("tick", "0"),
        ("max_backoff", "-60"),
        ("timeout", '"fast"'),
        ("timeout", "-1"),
        ("connect_timeout", "0"),
        ("concurrency", "0"),
        ("concurrency", "true"),
        ("max_feed_bytes", '"10MB"'),
        ("user_agent", '""'),
        ("user_agent", "5"),
    ],
)
def test_bad_settings_value_is_refused_naming_the_key(
    tmp_path: Path, key: str, written: str
) -> None:
    message = refusal(write(tmp_path, f"[settings]\n{key} = {written}\n\n{GOOD_FEED}"))

    assert "[settings]" in message
    assert f"'{key}'" in message


@pytest.mark.parametrize("key", ["concurrency", "page_concurrency", "max_feed_bytes"])
def test_fraction_below_one_for_a_count_is_refused(tmp_path: Path, key: str) -> None:
    message = refusal(write(tmp_path, f"[settings]\n{key} = 0.5\n"))

    assert f"'{key}'" in message


def test_settings_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, 'settings = "fast"\n'))

    assert "settings" in message


def test_unknown_top_level_key_is_refused_naming_it(tmp_path: Path) -> None:
    # [[feed]] for [[feeds]]: the typo must not silently mean "no feeds".
    message = refusal(write(tmp_path, '[[feed]]\nurl = "https://example.com/rss"\n'))

    assert "'feed'" in message


def test_feeds_that_is_not_an_array_is_refused(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, 'feeds = "https://example.com/rss"\n'))

    assert "feeds" in message


@pytest.mark.parametrize(
    "text",
    [
        '[[feeds]]\nurl = "https://example.com/rss\n',  # unterminated string
        "[[feeds]\n",  # unclosed table header
        '[[feeds]]\nurl = "https://a.example/"\nurl = "https://b.example/"\n',  # key twice
    ],
)
def test_invalid_toml_is_refused_naming_the_file(tmp_path: Path, text: str) -> None:
    message = refusal(write(tmp_path, text))

    assert "TOML" in message


def test_non_utf8_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_bytes('[[feeds]]\nname = "Новини"\n'.encode("cp1251"))

    refusal(path)


def test_duplicate_url_is_refused_naming_both_feeds(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'{GOOD_FEED}\n[[feeds]]\nurl = "https://example.org/rss"\n\n{GOOD_FEED}',
    )
    message = refusal(path)

    assert "feed 3" in message
    assert "https://example.com/feed.xml" in message
    assert "feed 1" in message


def test_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    message = refusal(tmp_path / "absent.toml")

    assert "absent.toml" in message


def test_url_with_a_control_character_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, '[[feeds]]\nurl = "https://example.com/a\\nb"\n')

    with pytest.raises(ConfigError, match="'url'"):
        load_config(path)


def test_message_stays_one_line_when_the_url_holds_a_newline(tmp_path: Path) -> None:
    path = write(tmp_path, '[[feeds]]\nurl = "https://example.com/a\\nb"\ncolour = "red"\n')

    message = refusal(path)

    assert "colour" in message


def test_a_feed_keeps_its_title_and_site_url(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'{GOOD_FEED}title = "Example: News"\nsite_url = "https://example.com/"\n',
    )

    [feed] = load_config(path).feeds

    assert (feed.title, feed.site_url) == ("Example: News", "https://example.com/")


@pytest.mark.parametrize(
    ("key", "written"), [("site_url", '"ftp://example.com/"'), ("site_url", "3"), ("title", '""')]
)
def test_a_bad_title_or_site_url_is_refused_naming_the_key(
    tmp_path: Path, key: str, written: str
) -> None:
    message = refusal(write(tmp_path, f"{GOOD_FEED}{key} = {written}\n"))

    assert "feed 1" in message and f"'{key}'" in message
