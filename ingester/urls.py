"""URL canonicalisation: one key per article, whatever form a link takes."""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Sequence
from urllib.parse import unquote_plus, urlsplit, urlunsplit

# Parameters that identify a campaign or a click, never an article.
_TRACKING_EXACT = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ref_src",
        "cmpid",
        "ocid",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "__twitter_impression",
    }
)
_TRACKING_PREFIXES = ("utm_", "hsa_", "pk_", "piwik_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_EXACT or lowered.startswith(_TRACKING_PREFIXES)


@functools.lru_cache(maxsize=20_000)  # an entry's link is looked at at every poll
def canonicalize(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters.

    Every other query parameter is kept, in its order and its original encoding: some
    sites put the article id there. Idempotent: ``canonicalize(canonicalize(u))``
    equals ``canonicalize(u)``.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    hostname = (parts.hostname or "").lower()
    host = f"[{hostname}]" if ":" in hostname else hostname
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: keep what was written
        port = None
        host = parts.netloc.rpartition("@")[2].lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    kept = [
        pair
        for pair in parts.query.split("&")
        if pair and not is_tracking_param(unquote_plus(pair.partition("=")[0]))
    ]
    path = parts.path or ("/" if netloc else "")
    # Stripped again: whitespace before a dropped query or fragment is now at the end.
    return urlunsplit((scheme, netloc, path, "&".join(kept), "")).strip()


@functools.lru_cache(maxsize=50_000)  # the same feeds' hosts, tick after tick
def host_key(url: str) -> str:
    """Scheme and host (with port) in lower case: what per-host limits and sharding go by."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


@functools.lru_cache(maxsize=20_000)
def is_web_url(url: str) -> bool:
    """An http(s) URL with a host: something a page can be fetched at."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" from a feed: not a URL anything can be fetched at
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def same_site(a: str, b: str) -> bool:
    """True when two URLs share a registrable-looking host (``www.`` ignored)."""

    def host(url: str) -> str:
        name = (urlsplit(url).hostname or "").lower()
        return name.removeprefix("www.")

    ha, hb = host(a), host(b)
    return bool(ha) and (ha == hb or ha.endswith("." + hb) or hb.endswith("." + ha))


# -- articles a feed alone tells ------------------------------------------------------------


def entry_urn(feed_url: str, entry_key: str) -> str:
    """The key of an article that only a feed's entry tells (no link, or a link that other
    stories of the feed share): its feed and its entry, stable from poll to poll."""
    digest = hashlib.sha256(f"{feed_url}\0{entry_key}".encode()).hexdigest()[:24]
    return f"urn:ingester:entry:{digest}"


def anchored(url: str) -> str:
    """``canonicalize(url)`` with the fragment kept: the key of one post among several on
    one page ("…/2017/06/24.html#a100632")."""
    fragment = urlsplit(url.strip()).fragment
    base = canonicalize(url)
    return f"{base}#{fragment}" if fragment else base


def fragments_apart(links: Sequence[str]) -> list[bool]:
    """For each link, whether its fragment is what tells it from the others: it has one,
    and no other link of ``links`` has the same."""
    fragments = [urlsplit(link.strip()).fragment for link in links]
    counts = Counter(fragments)
    return [bool(f) and counts[f] == 1 for f in fragments]
