"""Shared helpers for the reliability tests: a real loopback demo site, quick HTTP
settings, feed definitions pointed at it, and a fault hook that counts what it sees.

Every build here is the real pipeline (`planetrss.build.build`) against a `DemoServer`
on 127.0.0.1; faults are injected with the server's `fault` hook.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from lxml import etree

from planetrss.build import BuildOptions
from planetrss.config import FeedConfig, load_feed
from planetrss.demo import DemoServer, DemoSite, Fault
from planetrss.demo.site import DemoEpisode
from planetrss.http import HttpSettings
from tests.conftest import DEMO_TOML, ROOT

EPISODES = 60
PAGE_BYTES = 20_000
VENV_BIN = ROOT / ".venv" / "bin"

#: Quick to give up: three attempts, ~10 ms apart, half a second of silence is a hang.
QUICK_HTTP = HttpSettings(
    retries=2,
    backoff=0.01,
    read_timeout=0.5,
    connect_timeout=1.0,
    deadline=5.0,
    max_wait=3.0,
    max_bytes=200_000,
)


def quick_options(cache: Path, **changes: object) -> BuildOptions:
    """Build options for tests: quick HTTP, parsing in a thread (no process pool to start)."""
    http = changes.pop("http", QUICK_HTTP)
    return BuildOptions(cache_dir=cache, http=http, parse_workers=0, **changes)  # type: ignore[arg-type]


def http_with(**changes: object) -> HttpSettings:
    return replace(QUICK_HTTP, **changes)  # type: ignore[arg-type]


def demo_config(origin: str, output: Path, name: str = "demo") -> FeedConfig:
    """The demo definition pointed at `origin`, writing to `output` (renamed to `name`)."""
    config = load_feed(DEMO_TOML).with_origin(origin).with_output(output)
    return replace(config, name=name)


def write_demo_toml(folder: Path, origin: str, name: str = "demo") -> Path:
    """A copy of the demo definition in `folder` with the server's origin (for the CLI)."""
    text = DEMO_TOML.read_text(encoding="utf-8")
    old = 'origin = "http://127.0.0.1:8765"'
    assert old in text, "the demo definition changed: update this helper"
    path = folder / f"{name}.toml"
    path.write_text(text.replace(old, f'origin = "{origin}"'), encoding="utf-8")
    return path


def in_feed(site: DemoSite) -> list[DemoEpisode]:
    """The episodes a correct build puts in the feed, newest first."""
    return sorted((e for e in site.episodes() if e.in_feed), key=lambda e: e.index, reverse=True)


def page_fetched(ep: DemoEpisode) -> bool:
    """Whether a cold crawl asks for this episode's page (the listing may rule it out)."""
    return not ep.exclusive and (ep.available or not ep.listing_audio)


def feed_items(path: Path) -> list[tuple[str, str]]:
    """(guid, title) of every item of a feed file, in file order."""
    root = etree.fromstring(path.read_bytes())
    return [
        (item.findtext("guid") or "", item.findtext("title") or "") for item in root.iter("item")
    ]


def feed_guids(path: Path) -> list[str]:
    return [guid for guid, _ in feed_items(path)]


def one_line(text: str) -> str:
    """The single line `text` holds (asserts there is exactly one)."""
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{text}"
    return lines[0]


class Faults:
    """A `DemoServer.fault` hook: `rule(target, n)` answers the n-th request for `target`.

    Counts and timestamps every request it sees (all requests pass through it).
    """

    def __init__(self, rule: Callable[[str, int], Fault | None]) -> None:
        self.rule = rule
        self.seen: Counter[str] = Counter()
        self.times: defaultdict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def __call__(self, target: str) -> Fault | None:
        with self._lock:
            self.seen[target] += 1
            n = self.seen[target]
            self.times[target].append(time.monotonic())
        return self.rule(target, n)


@pytest.fixture
def server() -> Iterator[DemoServer]:
    """A 60-episode demo site on 127.0.0.1, no latency (59 episodes belong in the feed)."""
    with DemoServer(DemoSite(episodes=EPISODES, page_bytes=PAGE_BYTES)) as running:
        yield running


@pytest.fixture
def config(server: DemoServer, tmp_path: Path) -> FeedConfig:
    return demo_config(server.origin, tmp_path / "out" / "demo.xml")


def processes_with(token: str) -> list[int]:
    """Live processes whose environment carries `token`: a command started with it and
    every process it started (zombies aside)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if token.encode() not in (entry / "environ").read_bytes():
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # gone meanwhile, or not ours to read
        if state != "Z":
            found.append(int(entry.name))
    return found
