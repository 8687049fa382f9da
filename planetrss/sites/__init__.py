"""Site kinds: one module per kind, listed in `KINDS` (the explicit registry)."""

from planetrss.sites.base import Site, SiteParamError, find, get
from planetrss.sites.npr import NprSite

KINDS: dict[str, type[Site]] = {NprSite.kind: NprSite}

__all__ = ["KINDS", "NprSite", "Site", "SiteParamError", "find", "get"]
