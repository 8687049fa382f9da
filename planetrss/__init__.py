"""planetrss: turn a podcast's web archive into a full podcast feed.

    from pathlib import Path
    from planetrss import build, load_feed

    report = build(load_feed(Path("feeds/planetmoney.toml")))

Names are imported on first use, so `planetrss --help` does not pay for httpx,
beautifulsoup4 and feedgen.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "BuildOptions",
    "BuildReport",
    "Episode",
    "EpisodeRef",
    "FeedConfig",
    "PlanetrssError",
    "__version__",
    "build",
    "load_feed",
    "render_feed",
]

_WHERE = {
    "BuildOptions": "planetrss.build",
    "BuildReport": "planetrss.models",
    "Episode": "planetrss.models",
    "EpisodeRef": "planetrss.models",
    "FeedConfig": "planetrss.config",
    "PlanetrssError": "planetrss.errors",
    "build": "planetrss.build",
    "load_feed": "planetrss.config",
    "render_feed": "planetrss.feed",
}

if TYPE_CHECKING:
    from planetrss.build import BuildOptions, build
    from planetrss.config import FeedConfig, load_feed
    from planetrss.errors import PlanetrssError
    from planetrss.feed import render_feed
    from planetrss.models import BuildReport, Episode, EpisodeRef


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'planetrss' has no attribute {name!r}")
