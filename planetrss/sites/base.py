"""The site protocol, its paging data and the registry of site kinds.

A site turns a podcast website into records. It knows URLs and markup, nothing about
HTTP clients, caches or feeds: it describes how its listing is paged (`Site.paging`,
one of `NumberedPages`, `NextLinks`, `Sitemap`: data the crawler's strategies walk)
and its `parse_*` methods are pure functions of (url, text) so they can run in a
process pool and be tested on saved pages.

Adding a site: subclass `Site` in a module (or package) of `planetrss.sites`, fill in
the hooks, give it an `example` URL, and list it in `planetrss.sites.KINDS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from planetrss.models import Episode, EpisodeRef, Listing, Skip


class ExtractError(Exception):
    """This page does not match what this kind expects (a changed layout, a page that
    is not an episode, a feed that is not a feed).

    The only exception the crawl treats as a page-level failure: it is recorded and the
    crawl goes on. Anything else a parse function raises is a bug and propagates.
    """


@dataclass(frozen=True)
class NumberedPages:
    """Listing pages numbered in their URL: page i (0 = newest) is
    ``template.format(page=start + i * step)``, or `first_url` for page 0 when given.

    NPR: ``.../render/partial/next?start={page}``, start=1, step=24; WordPress:
    ``/page/{page}/`` with the listing's own URL as `first_url`. Fetched in concurrent
    waves; the walk ends at an empty page, or a 404 past the first page.
    """

    template: str
    start: int = 1
    step: int = 1
    first_url: str | None = None
    max_pages: int | None = None

    def url(self, index: int) -> str:
        if index == 0 and self.first_url:
            return self.first_url
        return self.template.format(page=self.start + index * self.step)


@dataclass(frozen=True)
class NextLinks:
    """Listing pages chained by links: from `start`, each page's `Listing.next_url`."""

    start: str
    max_pages: int | None = None


@dataclass(frozen=True)
class Sitemap:
    """A sitemap (index or urlset, gzipped too) whose URLs `Site.ref_from_url` sorts
    into episodes and the rest; `max_pages` bounds the sitemap documents read."""

    url: str
    max_pages: int | None = None


Paging = NumberedPages | NextLinks | Sitemap


class SiteParamError(ValueError):
    """A site parameter is missing or wrong: `key` names it, the message says what is expected."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Site:
    """Base class: a site kind bound to one show (its origin and parameters).

    Subclasses set the class attributes and implement the hooks below.
    """

    origin: str

    kind: ClassVar[str] = ""
    #: A public URL of a show of this kind; `find(example)` must return this class.
    example: ClassVar[str] = ""
    #: Matches the URLs of shows this kind handles.
    pattern: ClassVar[re.Pattern[str]] = re.compile(r"(?!)")

    @classmethod
    def from_params(cls, origin: str | None, params: Mapping[str, Any]) -> Site:
        """Build the site from a feed definition's `origin` (None when the definition
        gives none: a kind with a default uses it, others raise) and `[params]`; raise
        SiteParamError."""
        raise NotImplementedError

    @property
    def paging(self) -> Paging:
        """How the listing is paged: the crawler walks this, never the site's name."""
        raise NotImplementedError

    def parse_listing(self, url: str, text: str) -> Listing:
        """Episode references on one listing page (pure: no I/O)."""
        raise NotImplementedError

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        """The full episode from its page, completing what the listing gave (pure)."""
        raise NotImplementedError

    def episode_from_listing(self, ref: EpisodeRef) -> Episode | Skip | None:
        """The episode when the listing already told everything a feed item needs (RSS
        items, a JSON-LD ItemList), so its page is not fetched; None (the default):
        fetch and parse the episode page. Runs in the crawling process: keep it cheap."""
        return None

    def ref_from_url(self, url: str) -> EpisodeRef | None:
        """The episode a sitemap URL names, or None when it is not an episode page
        (only kinds paged by `Sitemap` need this)."""
        return None


def find(url: str) -> type[Site] | None:
    """The site kind whose pattern matches `url`, or None."""
    from planetrss.sites import KINDS

    for site in KINDS.values():
        if site.pattern.search(url):
            return site
    return None


def get(kind: str) -> type[Site]:
    """The site class registered under `kind`; KeyError lists the known kinds."""
    from planetrss.sites import KINDS

    try:
        return KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown site kind {kind!r} (known: {', '.join(sorted(KINDS))})") from None


# --- helpers for kinds read from a start page (generic, selectors) -----------------------


def http_url(value: str) -> bool:
    """Whether `value` is an absolute http(s) URL."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SiteParamError(key, f"expected a positive integer, got {value!r}")
    return value


def read_common_params(
    kind: str, origin: str | None, params: Mapping[str, Any], known: tuple[str, ...]
) -> tuple[str, str, int | None]:
    """(origin, start URL, max_pages) from a definition; unknown keys are refused.

    ``start`` may be a path (joined to ``origin``), or an absolute URL (which gives
    the origin when the definition has none).
    """
    for key in params:
        if key not in known:
            raise SiteParamError(
                key, f"unknown parameter {key!r}: expected {', '.join(known)} for kind {kind!r}"
            )
    start = params.get("start")
    if not isinstance(start, str) or not start.strip():
        raise SiteParamError(
            "start",
            "missing: expected the URL of the first listing page (or of a sitemap.xml), "
            'e.g. start = "https://podcast.example.org/episodes/"',
        )
    start = start.strip()
    if not http_url(start):
        if origin is None:
            raise SiteParamError(
                "start", f"expected an absolute http(s) URL (or set origin), got {start!r}"
            )
        start = urljoin(origin.rstrip("/") + "/", start)
    if origin is None:
        parts = urlsplit(start)
        origin = f"{parts.scheme}://{parts.netloc}"
    max_pages = params.get("max_pages")
    return origin, start, None if max_pages is None else _positive_int("max_pages", max_pages)


def episode_from_ref(ref: EpisodeRef) -> Episode | None:
    """An `Episode` from a listing's ref alone, when it has a title, a date and audio."""
    if ref.audio is None or ref.published is None or not ref.title:
        return None
    return Episode(
        key=ref.key,
        title=ref.title,
        url=ref.url,
        published=ref.published,
        audio_url=ref.audio.url,
        audio_size=ref.audio.size,
        duration=ref.audio.duration,
        summary=ref.teaser,
        image_url=ref.image_url,
    )
