"""Site kinds: one module per kind, listed in `KINDS` (the explicit registry)."""

from planetrss.sites.base import ExtractError, Site, SiteParamError, find, get
from planetrss.sites.generic import GenericSite
from planetrss.sites.npr import NprSite
from planetrss.sites.rss import RssSite
from planetrss.sites.selectors import SelectorsSite

# `find(url)` asks in this order: generic, which reads any page, comes last.
KINDS: dict[str, type[Site]] = {
    NprSite.kind: NprSite,
    RssSite.kind: RssSite,
    SelectorsSite.kind: SelectorsSite,
    GenericSite.kind: GenericSite,
}

__all__ = [
    "KINDS",
    "ExtractError",
    "GenericSite",
    "NprSite",
    "RssSite",
    "SelectorsSite",
    "Site",
    "SiteParamError",
    "find",
    "get",
]
