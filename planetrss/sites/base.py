"""The site protocol and the registry of site kinds.

A site turns a podcast website into records. It knows URLs and markup, nothing about
HTTP clients, caches or feeds: the crawler asks it for listing URLs and hands it page
bodies; its `parse_*` methods are pure functions of (url, text) so they can run in a
process pool and be tested on saved pages.

Adding a site: subclass `Site` in a module of `planetrss.sites`, fill in the hooks,
give it an `example` URL, and list it in `planetrss.sites.KINDS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from planetrss.models import Episode, EpisodeRef, Listing, Skip


class ExtractError(Exception):
    """This page does not match what this kind expects (a changed layout, a page that
    is not an episode, a feed that is not a feed).

    The only exception the crawl treats as a page-level failure: it is recorded and the
    crawl goes on. Anything else a parse function raises is a bug and propagates.
    """


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
    #: Items on a full listing page; a page with fewer is the last one.
    page_size: ClassVar[int] = 0

    @classmethod
    def from_params(cls, origin: str | None, params: Mapping[str, Any]) -> Site:
        """Build the site from a feed definition's `origin` (None when the definition
        gives none: a kind with a default uses it, others raise) and `[params]`; raise
        SiteParamError."""
        raise NotImplementedError

    def listing_url(self, index: int) -> str:
        """The URL of listing page `index` (0 = newest)."""
        raise NotImplementedError

    def parse_listing(self, url: str, text: str) -> Listing:
        """Episode references on one listing page (pure: no I/O)."""
        raise NotImplementedError

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        """The full episode from its page, completing what the listing gave (pure)."""
        raise NotImplementedError


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
