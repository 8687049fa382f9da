"""A real `planetrss serve` (FeedServer on uvicorn) on 127.0.0.1, building from the demo
site on 127.0.0.1, run in a thread of its own so tests can be plain blocking code."""

from __future__ import annotations

import asyncio
import http.client
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from planetrss.build import BuildOptions
from planetrss.config import FeedConfig, load_feed
from planetrss.demo.server import DemoServer
from planetrss.demo.site import DemoSite
from planetrss.http import HttpSettings
from planetrss.serve import FeedServer, ServeOptions
from tests.conftest import DEMO_TOML

EPISODES = 30
TOKEN = "s3cret-token-for-tests-0123"
QUICK_HTTP = HttpSettings(retries=1, backoff=0.01, read_timeout=2.0, deadline=5.0, max_wait=1.0)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case
    body: bytes


def fetch(base: str, target: str, method: str = "GET", **headers: str) -> Answer:
    """One request exactly as given (no path clean-up, no decompression): http.client."""
    host, port = base.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(
            method, target, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = connection.getresponse()
        body = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        connection.close()


def demo_feed(origin: str, folder: Path, name: str = "demo", **changes: object) -> FeedConfig:
    config = load_feed(DEMO_TOML).with_origin(origin)
    return replace(config, name=name, output=folder / f"{name}.xml", **changes)  # type: ignore[arg-type]


def serve_options(cache: Path, **changes: object) -> ServeOptions:
    build = BuildOptions(cache_dir=cache, http=QUICK_HTTP, parse_workers=0)
    return replace(ServeOptions(port=0, jitter=0.0, build=build), **changes)  # type: ignore[arg-type]


class Running:
    """A FeedServer serving in a background thread (its own event loop)."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.base = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="feed-server", daemon=True)

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            await self.server.run(ready=self._started)

        try:
            asyncio.run(main())
        except BaseException as error:  # shown by stop()
            self._error = error
            self._ready.set()

    def _started(self, base: str) -> None:
        self.base = base
        self._ready.set()

    def __enter__(self) -> Running:
        self._thread.start()
        assert self._ready.wait(30), "the feed server did not start"
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.server.stop)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the feed server did not stop"
        if self._error is not None:
            raise self._error

    def wait_for(self, condition: object, timeout: float = 20.0) -> None:
        """Poll `condition()` (on this thread) until true."""
        import time

        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {condition}")
            time.sleep(0.02)


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    with DemoServer(DemoSite(episodes=EPISODES, page_bytes=20_000)) as running:
        yield running


def built(running: Running, name: str = "demo") -> bool:
    feed = running.server.feeds[name]
    return feed.snapshot is not None and feed.last is not None and not feed.building
