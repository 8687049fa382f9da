"""Sitemaps (sitemaps.org): an index of sitemaps, or a urlset of pages; gzipped too.

One pure function of the document's bytes, shared by every kind paged by a `Sitemap`
(the crawler runs it off the event loop) and by anything that surveys a site.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from planetrss.sites.extract import parse_iso_date

#: The protocol's limit on an uncompressed sitemap; a gzip body unpacking past it is
#: refused (a "zip bomb"), not unpacked.
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class SitemapEntries:
    """What one sitemap document lists: page URLs (a urlset) or child sitemaps (an
    index), each newest ``lastmod`` first, undated ones after them in document order."""

    pages: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


def _gunzip(body: bytes) -> bytes | None:
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(body, MAX_BYTES)
    except zlib.error:
        return None
    return None if unpacker.unconsumed_tail else data


def _local(tag: object) -> str:
    """An element's name without its namespace (sitemaps come with and without one)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def parse_sitemap(body: bytes) -> SitemapEntries | None:
    """The URLs a sitemap lists, or None when `body` is not a sitemap (nor a gzipped one).

    >>> parse_sitemap(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    ...   b'<url><loc>https://a.example/1</loc><lastmod>2024-01-01</lastmod></url>'
    ...   b'<url><loc>https://a.example/2</loc><lastmod>2024-02-01</lastmod></url>'
    ...   b'</urlset>').pages
    ('https://a.example/2', 'https://a.example/1')
    """
    if body[:2] == b"\x1f\x8b":  # a .xml.gz file (a gzip Content-Encoding is undone already)
        unpacked = _gunzip(body)
        if unpacked is None:
            return None
        body = unpacked
    # No entities, no network, no DTDs: a sitemap needs none, and they are attacks.
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, recover=True, huge_tree=False
    )
    try:
        root = etree.fromstring(body.strip(), parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or _local(root.tag) not in ("urlset", "sitemapindex"):
        return None
    index = _local(root.tag) == "sitemapindex"
    found: dict[str, datetime | None] = {}
    for entry in root:
        if _local(entry.tag) != ("sitemap" if index else "url"):
            continue
        loc, lastmod = "", ""
        for part in entry:
            if _local(part.tag) == "loc":
                loc = (part.text or "").strip()
            elif _local(part.tag) == "lastmod":
                lastmod = (part.text or "").strip()
        if loc and loc not in found:
            found[loc] = parse_iso_date(lastmod.replace("Z", "+00:00")) if lastmod else None
    dated = [(when, loc) for loc, when in found.items() if when is not None]
    dated.sort(key=lambda pair: pair[0], reverse=True)  # stable: a tie keeps page order
    urls = (*(loc for _, loc in dated), *(loc for loc, when in found.items() if when is None))
    return SitemapEntries(sitemaps=urls) if index else SitemapEntries(pages=urls)
