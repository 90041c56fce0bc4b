"""ExtractedPage + feed entry -> the article layout: ``compose`` merges the sources into an
``Article``, ``layout`` renders it to text and hashes it, ``diff`` compares two texts."""

from .compose import compose
from .diff import version_diff, word_diff
from .layout import render, text_hash, word_count

__all__ = ["compose", "render", "text_hash", "version_diff", "word_count", "word_diff"]
