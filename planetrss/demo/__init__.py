"""The embedded demo site: a deterministic NPR-style podcast site and a loopback server.

`DemoSite` renders pages (pure, no I/O); `DemoServer` serves one over HTTP/1.1 on
127.0.0.1. `python -m planetrss.demo.server --episodes 1700 --latency 0.1` runs one in
the foreground.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planetrss.demo.site import PAGE_SIZE, DemoEpisode, DemoSite, Response

if TYPE_CHECKING:
    from planetrss.demo.server import DemoServer, Fault

__all__ = ["PAGE_SIZE", "DemoEpisode", "DemoServer", "DemoSite", "Fault", "Response"]


def __getattr__(name: str) -> Any:
    # The server module is imported on first use, not with the package, so that
    # `python -m planetrss.demo.server` does not find it already imported.
    if name in ("DemoServer", "Fault"):
        from planetrss.demo import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
