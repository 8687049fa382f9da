"""Site kinds: one module per kind, listed in `KINDS` (the explicit registry)."""

from planetrss.sites.base import ExtractError, Site, SiteParamError, find, get
from planetrss.sites.npr import NprSite
from planetrss.sites.rss import RssSite

KINDS: dict[str, type[Site]] = {NprSite.kind: NprSite, RssSite.kind: RssSite}

__all__ = ["KINDS", "ExtractError", "NprSite", "RssSite", "Site", "SiteParamError", "find", "get"]
