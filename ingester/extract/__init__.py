"""Page HTML -> ``ExtractedPage``; the only package that imports trafilatura.

``page`` reads each field of the layout from where the publisher put it: ``metadata``
(meta tags, JSON-LD, canonical link, breadcrumb), ``figure`` (the lead image),
``authorbox`` and ``body`` (the main text, with ``furniture`` taken out first).
"""

from .page import EXTRACTOR, extract_page

__all__ = ["EXTRACTOR", "extract_page"]
