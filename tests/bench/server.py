"""The demo server in a process of its own, steered by lines on stdin (for `make bench`).

With `--real-markup FOLDER` the pages are npr.org's real markup (tests/bench/realistic.py).
Like `python -m planetrss.demo.server`, it prints `serving <origin>` first; then it
answers one line per command read from stdin, so the benchmark can count requests on
the server side and publish episodes without a restart:

    counts      -> {"requests": 1785, "listing": 80, "episode": 1705, ...}
    add N       -> {"episodes": 1705}   (DemoSite.add_episodes: existing episodes unchanged)

End of stdin (the benchmark closing the pipe, or dying) stops the server.

Why not restart `planetrss.demo.server --episodes N+5`? A site built with N+5 episodes
is not the N-episode site plus 5: DemoSite spreads its *initial* episodes over a fixed
span, so every existing episode's date (and URL) moves. `add_episodes` keeps them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from planetrss.demo.server import DemoServer
from planetrss.demo.site import DemoSite
from tests.bench.realistic import RealMarkupSite


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.server", description=__doc__)
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--page-bytes", type=int, default=90_000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument(
        "--real-markup",
        type=Path,
        metavar="FOLDER",
        help="render pages from the saved npr.org pages in FOLDER (tests/bench/realistic.py)",
    )
    args = parser.parse_args(argv)

    site = (
        RealMarkupSite.from_fixtures(args.real_markup, args.episodes)
        if args.real_markup
        else DemoSite(args.episodes, page_bytes=args.page_bytes)
    )
    with DemoServer(site, "127.0.0.1", args.port, args.latency) as server:
        print(f"serving {server.origin}", flush=True)
        for line in sys.stdin:
            command, *rest = line.split() or [""]
            answer: dict[str, int | str]
            if command == "counts":
                answer = {"requests": server.requests, "connections": server.connections}
                answer.update(server.counts)
            elif command == "add" and len(rest) == 1 and rest[0].isdigit():
                site.add_episodes(int(rest[0]))
                answer = {"episodes": site.episode_count}
            else:
                answer = {"error": f"unknown command {line.strip()!r}"}
            print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
