"""The site's own names, as an author line is checked against them: what the page calls
its site (``og:site_name``, ``application-name``, the publisher meta tags, the JSON-LD
publisher and organisations) and the words of its host. A credit to one of these is the
publisher crediting itself, not a person."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .metadata import ld_types

_TLD = re.compile(r"\.[^\W\d_]{2,6}$")
_NOT_ALNUM = re.compile(r"[\W_]+")
_DOMAIN = re.compile(r"^\S+\.[^\W\d_]{2,}$")  # a single word written as a web address
_SITE_META = (
    "og:site_name",
    "application-name",
    "apple-mobile-web-app-title",
    "publisher",
    "dc.publisher",
    "article:publisher",
    "twitter:site",
)
ORGANISATIONS = frozenset(
    {
        "Organization",
        "NewsMediaOrganization",
        "Corporation",
        "NGO",
        "EducationalOrganization",
        "GovernmentOrganization",
        "MediaOrganization",
        "OnlineBusiness",
        "LocalBusiness",
        "WebSite",
        "Brand",
    }
)
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "www", "m", "amp"})


def name_key(name: str) -> str:
    """A name as compared with the site's: case, punctuation, a leading "the" and a
    domain's ending do not count ("Le Monde.fr" is "Le Monde", "STERN.de" is "stern")."""
    key = unicodedata.normalize("NFKC", name).casefold().strip()
    key = _TLD.sub("", key.removeprefix("www.")).removeprefix("the ")
    return _NOT_ALNUM.sub("", key)


@dataclass(frozen=True, slots=True)
class SiteNames:
    names: frozenset[str]  # name_keys of what the page calls its site
    host_words: frozenset[str]  # name_keys of its host's labels: "www.lto.de" gives "lto"

    @classmethod
    def of_page(
        cls, meta: dict[str, str], ld_objects: Sequence[dict[str, Any]], url: str
    ) -> SiteNames:
        return cls(_declared(meta, ld_objects), _host_words(url))

    def named(self, name: str) -> bool:
        """``name`` is the site's own, or a name written as a web address ("mdr.de")."""
        if _DOMAIN.match(name):
            return True
        key = name_key(name)
        return key in self.names or (" " not in name.strip() and key in self.host_words)


def _declared(meta: dict[str, str], ld_objects: Sequence[dict[str, Any]]) -> frozenset[str]:
    names = [meta.get(key, "").lstrip("@") for key in _SITE_META]
    for obj in ld_objects:
        publisher = obj.get("publisher")
        for item in publisher if isinstance(publisher, list) else [publisher]:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                names.append(item["name"])
        if ld_types(obj) & ORGANISATIONS and isinstance(obj.get("name"), str):
            names.append(obj["name"])
    keys = {name_key(n) for n in names if n and not n.startswith("http")}
    return frozenset(k for k in keys if k)


def _host_words(url: str) -> frozenset[str]:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = host.split(".")[:-1]
    return frozenset({name_key(label) for label in labels if label not in _SECOND_LEVEL} - {""})
