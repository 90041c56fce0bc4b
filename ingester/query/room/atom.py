"""The edits feed: Atom 1.0 (RFC 4287), one entry per edit a publisher made, its content
the edit's diff and its link the diff page. Subscribe in any reader to be told when a
story changes."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from ...render.diff import paragraph_segments
from ...store.reading import Edit
from .marks import diff_html

ATOM = "http://www.w3.org/2005/Atom"


def edits_feed(edits: Sequence[Edit], title: str, self_url: str, diff_url: str) -> bytes:
    """``diff_url`` is the diff page's absolute URL, to which ``?url=…&a=…&b=…`` is added."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", title)
    _text(feed, "id", self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    _text(feed, "updated", edits[0].after.fetched_at if edits else "1970-01-01T00:00:00+00:00")
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", "ingester")
    for edit in edits:
        link = diff_link(diff_url, edit)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        changed = ", ".join(edit.after.changed_fields) or "text"
        _text(entry, "title", f"{edit.title or edit.url} ({changed} changed)")
        _text(entry, "id", link)
        _text(entry, "updated", edit.after.fetched_at)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=link)
        content = ET.SubElement(entry, f"{{{ATOM}}}content", type="html")
        content.text = edit_html(edit)
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))


def diff_link(diff_url: str, edit: Edit) -> str:
    query = urlencode({"url": edit.url, "a": edit.before.number, "b": edit.after.number})
    return f"{diff_url}?{query}"


def edit_html(edit: Edit) -> str:
    """Each changed field's inline diff, under its name."""
    parts = []
    for name in edit.after.changed_fields:
        old, new = edit.before.fields.get(name) or "", edit.after.fields.get(name) or ""
        parts.append(f"<h3>{escape(name)}</h3>" + diff_html(paragraph_segments(old, new)))
    return "\n".join(parts)


def _text(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, f"{{{ATOM}}}{tag}").text = value
