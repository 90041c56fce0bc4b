"""URL canonicalisation (one key per article) and the same-site test for canonical links."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingester.urls import canonicalize, same_site

# -- canonicalize: examples -------------------------------------------------------------


def test_scheme_and_host_are_lowercased_but_path_is_not() -> None:
    # RFC 3986 6.2.2.1: scheme and host are case-insensitive; the path is not.
    assert (
        canonicalize("HTTPS://News.Example.COM/World/Story-42")
        == "https://news.example.com/World/Story-42"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("HTTPS://example.com:443/a", "https://example.com/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
    ],
)
def test_default_port_is_dropped(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


@pytest.mark.parametrize(
    "url",
    ["http://example.com:8080/a", "https://example.com:80/a", "http://example.com:443/a"],
)
def test_other_ports_are_kept(url: str) -> None:
    assert canonicalize(url) == url


def test_fragment_is_dropped() -> None:
    assert canonicalize("https://example.com/a?id=1#comments") == "https://example.com/a?id=1"


def test_empty_path_becomes_slash() -> None:
    # RFC 3986 6.2.3: for http(s) an empty path is equivalent to "/".
    assert canonicalize("https://example.com") == "https://example.com/"


@pytest.mark.parametrize(
    "param",
    [
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "utm_term",
        "utm_content",
        "UTM_Source",
        "fbclid",
        "gclid",
        "mc_cid",
        "mc_eid",
    ],
)
def test_tracking_parameter_is_stripped(param: str) -> None:
    url = f"https://example.com/a?id=7&{param}=x&page=2"

    assert canonicalize(url) == "https://example.com/a?id=7&page=2"


def test_query_of_only_tracking_parameters_leaves_no_question_mark() -> None:
    url = "https://example.com/a?utm_source=rss&utm_medium=feed&fbclid=abc"

    assert canonicalize(url) == "https://example.com/a"


@pytest.mark.parametrize("param", ["notutm_source", "utm", "fbclid2", "my_gclid", "mc_cidx"])
def test_parameter_that_only_resembles_tracking_is_kept(param: str) -> None:
    url = f"https://example.com/a?{param}=1"

    assert canonicalize(url) == url


def test_other_parameters_keep_their_order() -> None:
    url = "https://example.com/a?z=1&utm_source=x&b=2&a=3"

    assert canonicalize(url) == "https://example.com/a?z=1&b=2&a=3"


def test_other_parameters_keep_their_encoding() -> None:
    query = "q=caf%C3%A9&path=%2Fa%2Fb&s=a+b&flag&empty="

    assert canonicalize(f"https://example.com/search?{query}") == (
        f"https://example.com/search?{query}"
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a #top",
        "https://example.com/a ?utm_source=rss",
        "https://example.com/a?id=1\u00a0#top",
    ],
)
def test_canonicalize_is_idempotent_with_whitespace_before_a_dropped_part(url: str) -> None:
    once = canonicalize(url)

    assert canonicalize(once) == once


# -- canonicalize: properties -----------------------------------------------------------

LABELS = st.text(string.ascii_letters + string.digits, min_size=1, max_size=8)
HOSTS = st.lists(LABELS, min_size=1, max_size=4).map(".".join)
SCHEMES = st.sampled_from(["http", "https", "HTTP", "Https"])
PORTS = st.none() | st.sampled_from([80, 443]) | st.integers(min_value=1, max_value=65535)
SEGMENTS = st.text(string.ascii_letters + string.digits + "-._~%!$'()*+,;=:@", max_size=8)
PATHS = st.just("") | st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))
TRACKING = ["utm_source", "UTM_Campaign", "utm_x", "fbclid", "gclid", "mc_cid", "mc_eid"]
ORDINARY = ["id", "page", "q", "sort", "lang", "utm", "notutm_source", "fbclid2", "ref"]
VALUES = st.text(string.ascii_letters + string.digits + "%+-._~/:=", max_size=8)
PARAMS = st.lists(st.tuples(st.sampled_from(TRACKING + ORDINARY), VALUES), max_size=6)
FRAGMENTS = st.none() | st.text(string.ascii_letters + string.digits + "-/?#", max_size=8)


@st.composite
def urls_and_canonical_forms(draw: st.DrawFn) -> tuple[str, str]:
    """A URL, and its canonical form derived from the rules rather than the code."""
    scheme, host, port = draw(SCHEMES), draw(HOSTS), draw(PORTS)
    path, params, fragment = draw(PATHS), draw(PARAMS), draw(FRAGMENTS)
    query = "&".join(f"{name}={value}" for name, value in params)
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}{path}"
    url += f"?{query}" if query else ""
    url += f"#{fragment}" if fragment is not None else ""

    default = {"http": 80, "https": 443}[scheme.lower()]
    kept = "&".join(f"{name}={value}" for name, value in params if name not in TRACKING)
    canonical = f"{scheme.lower()}://{host.lower()}"
    canonical += "" if port in (None, default) else f":{port}"
    canonical += path or "/"
    canonical += f"?{kept}" if kept else ""
    return url, canonical


@given(urls_and_canonical_forms())
def test_canonical_form_follows_the_rules(case: tuple[str, str]) -> None:
    url, canonical = case

    assert canonicalize(url) == canonical


@given(urls_and_canonical_forms())
def test_canonicalize_is_idempotent(case: tuple[str, str]) -> None:
    once = canonicalize(case[0])

    assert canonicalize(once) == once


# -- same_site ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/a", "https://example.com/b"),
        ("https://www.example.com/a", "https://example.com/b"),
        ("https://news.example.com/a", "https://example.com/b"),
        ("https://news.example.com/a", "https://www.example.com/b"),
        ("https://EXAMPLE.com/a", "https://example.COM/b"),
        ("http://example.com:8080/a", "https://example.com/b"),
    ],
)
def test_same_site_when_hosts_match_ignoring_www_and_subdomains(a: str, b: str) -> None:
    assert same_site(a, b)
    assert same_site(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://example.com/a", "https://example.org/a"),
        ("https://notexample.com/a", "https://example.com/a"),
        ("https://example.com.evil.net/a", "https://example.com/a"),
        ("https://wwwexample.com/a", "https://example.com/a"),
        ("/relative/path", "/relative/path"),
        ("", ""),
    ],
)
def test_not_same_site_for_other_or_missing_hosts(a: str, b: str) -> None:
    assert not same_site(a, b)
    assert not same_site(b, a)


@given(HOSTS, HOSTS)
def test_same_site_is_symmetric(a: str, b: str) -> None:
    assert same_site(f"https://{a}/", f"https://{b}/") == same_site(
        f"https://{b}/", f"https://{a}/"
    )


@given(HOSTS)
def test_same_site_is_reflexive_for_any_host(host: str) -> None:
    assert same_site(f"https://{host}/x", f"http://{host.upper()}/y")
