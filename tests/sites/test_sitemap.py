"""The shared sitemap parser: index and urlset, gzipped, newest first, hostile input."""

from __future__ import annotations

import gzip

from planetrss.sites.sitemap import MAX_BYTES, SitemapEntries, parse_sitemap

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def test_a_urlset_lists_pages_newest_first_each_once_undated_last() -> None:
    body = (
        f"<?xml version='1.0' encoding='UTF-8'?>\n<urlset {NS}>"
        "<url><loc> https://a.example/undated </loc></url>"
        "<url><loc>https://a.example/old</loc><lastmod>2019-05-01T10:00:00Z</lastmod></url>"
        "<url><loc>https://a.example/new</loc><lastmod>2024-05-01T10:00:00+02:00</lastmod></url>"
        "<url><loc>https://a.example/old</loc><lastmod>2025-01-01</lastmod></url>"
        "</urlset>"
    ).encode()
    assert parse_sitemap(body) == SitemapEntries(
        pages=("https://a.example/new", "https://a.example/old", "https://a.example/undated")
    )


def test_an_index_lists_sitemaps_and_gzip_and_no_namespace_work() -> None:
    body = b"<sitemapindex><sitemap><loc>https://a.example/s1.xml.gz</loc></sitemap></sitemapindex>"
    assert parse_sitemap(gzip.compress(body)) == SitemapEntries(
        sitemaps=("https://a.example/s1.xml.gz",)
    )


def test_what_is_not_a_sitemap_is_none() -> None:
    assert parse_sitemap(b"<html><body>no</body></html>") is None
    assert parse_sitemap(b"") is None
    assert parse_sitemap(b"\x1f\x8b not really gzip") is None
    # A gzip body that would unpack past the protocol's 50 MB: refused, not unpacked.
    assert parse_sitemap(gzip.compress(b"<urlset>" + b" " * MAX_BYTES + b"</urlset>")) is None


def test_entities_are_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x "https://evil.example/">]>'
        b"<urlset><url><loc>&x;page</loc></url></urlset>"
    )
    found = parse_sitemap(body)
    assert found is None or all("evil" not in url for url in found.pages)
