"""Any podcast website, read from the signals its pages publish (no site code).

A definition names where the listing starts, and optionally which links are episodes::

    site = "generic"
    origin = "https://podcast.example.org"
    [params]
    start = "https://podcast.example.org/episodes/"   # a listing page, or a sitemap.xml
    episode_pattern = '^https://podcast\\.example\\.org/episodes/[^/]+/?$'   # optional
    # page_template = "https://podcast.example.org/episodes/page/{page}/"  # numbered pages
    # max_pages = 500                                                       # a safety cap
    # episode_pages = true     # fetch episode pages even when the listing has everything

Paging: a ``start`` ending in ``.xml`` (or ``.xml.gz``) is a sitemap; with
``page_template`` the listing is numbered pages (page 1 is ``start``, then 2, 3...);
otherwise the crawler follows each page's next link (``rel=next``, or a link whose text
says next/older). The parsing is in `planetrss.sites.generic.pages` (beautifulsoup4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from planetrss.models import Episode, EpisodeRef, Listing, Skip
from planetrss.sites.base import (
    NextLinks,
    NumberedPages,
    Site,
    Sitemap,
    SiteParamError,
    episode_from_ref,
    http_url,
    read_common_params,
)
from planetrss.sites.extract import same_site, url_key

PARAMS = ("start", "episode_pattern", "page_template", "max_pages", "episode_pages")

# Paths that are not episode pages however they are linked: pagination, taxonomies,
# feeds, static pages and files.
_NOT_EPISODE_PATH = re.compile(
    r"/(?:page|tag|tags|category|categories|author|authors|feed|rss|search|login|"
    r"wp-admin|wp-login\.php|wp-json|comments|about|contact|subscribe|privacy|terms)(?:/|$)"
    r"|\.(?:xml|gz|rss|atom|json|jpe?g|png|gif|webp|svg|css|js|pdf|mp3|m4a|aac|ogg|opus)$",
    re.IGNORECASE,
)


def is_sitemap_url(url: str) -> bool:
    """Whether a ``start`` URL names a sitemap (``.xml`` or ``.xml.gz``) not a page."""
    return urlsplit(url).path.lower().endswith((".xml", ".xml.gz"))


@dataclass(frozen=True)
class GenericSite(Site):
    """Any podcast site: JSON-LD, OpenGraph and HTML signals, no site-specific code."""

    start: str = ""
    episode_pattern: re.Pattern[str] | None = None
    page_template: str | None = None
    max_pages: int | None = None
    episode_pages: bool = False

    kind: ClassVar[str] = "generic"
    example: ClassVar[str] = "https://podcast.example.org/episodes/"
    # Any web page: this kind is the fallback for sites no other kind knows.
    pattern: ClassVar[re.Pattern[str]] = re.compile(r"^https?://[^/\s]+")

    @classmethod
    def from_params(cls, origin: str | None, params: Mapping[str, Any]) -> GenericSite:
        origin, start, max_pages = read_common_params(cls.kind, origin, params, PARAMS)
        pattern = params.get("episode_pattern")
        compiled = None
        if pattern is not None:
            if not isinstance(pattern, str) or not pattern:
                raise SiteParamError(
                    "episode_pattern", f"expected a regular expression, got {pattern!r}"
                )
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise SiteParamError(
                    "episode_pattern",
                    f"expected a valid regular expression, got {pattern!r} ({exc})",
                ) from None
        template = params.get("page_template")
        if template is not None:
            if not isinstance(template, str) or "{page}" not in template:
                raise SiteParamError(
                    "page_template",
                    "expected a URL holding {page}, e.g. "
                    f'"https://podcast.example.org/episodes/page/{{page}}/", got {template!r}',
                )
            if not http_url(template):
                template = urljoin(origin.rstrip("/") + "/", template)
            try:
                template.format(page=2)
            except (KeyError, IndexError, ValueError):
                raise SiteParamError(
                    "page_template", f"expected only {{page}} in braces, got {template!r}"
                ) from None
        fetch_pages = params.get("episode_pages", False)
        if not isinstance(fetch_pages, bool):
            raise SiteParamError("episode_pages", f"expected true or false, got {fetch_pages!r}")
        return cls(
            origin=origin,
            start=start,
            episode_pattern=compiled,
            page_template=template,
            max_pages=max_pages,
            episode_pages=fetch_pages,
        )

    @property
    def paging(self) -> NumberedPages | NextLinks | Sitemap:
        if is_sitemap_url(self.start):
            return Sitemap(self.start, max_pages=self.max_pages)
        if self.page_template is not None:
            # Page 1 is the start page (WordPress's /page/1/ only redirects to it).
            return NumberedPages(
                self.page_template, start=1, first_url=self.start, max_pages=self.max_pages
            )
        return NextLinks(self.start, max_pages=self.max_pages)

    def is_episode_url(self, url: str, in_item: bool = True) -> bool:
        """Whether a link looks like an episode page.

        With ``episode_pattern``: whether the pattern matches the absolute URL (searched,
        so an unanchored pattern works on any host). Without, a documented heuristic: a
        page on the start page's site that is not pagination, a tag, category, author,
        feed, static page or file, and that lies below the start page's folder
        (``/episodes/`` → ``/episodes/<slug>``); when the start page is the site's root
        (or a sitemap), a link inside an ``<article>`` or a heading (`in_item`).
        """
        if self.episode_pattern is not None:
            return self.episode_pattern.search(url) is not None
        if not same_site(url, self.start):
            return False
        path = urlsplit(url).path or "/"
        if path == "/" or _NOT_EPISODE_PATH.search(path.rstrip("/") or "/"):
            return False
        folder = "/" if is_sitemap_url(self.start) else urlsplit(self.start).path
        folder = folder.rsplit("/", 1)[0] + "/"
        if folder != "/":
            return path.startswith(folder) and url_key(url) != url_key(self.start)
        return in_item

    def ref_from_url(self, url: str) -> EpisodeRef | None:
        """An episode named by a sitemap entry, when its URL is an episode's."""
        if not self.is_episode_url(url) or url_key(url) == url_key(self.start):
            return None
        return EpisodeRef(key=url_key(url), url=url, title="")

    def episode_from_listing(self, ref: EpisodeRef) -> Episode | Skip | None:
        """The episode when the listing told everything a feed item needs (title, date,
        audio), so its page need not be fetched; None otherwise (or with
        ``episode_pages = true``)."""
        if self.episode_pages:
            return None
        return episode_from_ref(ref)

    def parse_listing(self, url: str, text: str) -> Listing:
        from planetrss.sites.generic import pages

        return pages.parse_listing(self, url, text)

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        from planetrss.sites.generic import pages

        return pages.parse_episode(self, ref, url, text)
