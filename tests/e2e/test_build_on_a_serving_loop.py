"""build_async is safe on a loop that serves: its blocking work runs off the loop, the
parse workers it is handed outlive it, and a cancelled build finishes its write."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import feedparser
import pytest

from planetrss import feed
from planetrss.build import BuildOptions, build_async, read_last_build
from planetrss.config import FeedConfig, load_feed
from planetrss.crawl import Parser
from planetrss.demo.server import DemoServer
from planetrss.demo.site import DemoSite
from planetrss.http import HttpSettings
from planetrss.store import FeedLock, Store
from tests.conftest import DEMO_TOML

EPISODES = 40


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(DemoSite(episodes=EPISODES)) as running:
        yield running


@pytest.fixture
def config(server: DemoServer, tmp_path: Path) -> FeedConfig:
    demo = load_feed(DEMO_TOML)
    return demo.with_origin(server.origin).with_output(tmp_path / "demo.xml")


def options(tmp_path: Path, **changes: Any) -> BuildOptions:
    return BuildOptions(cache_dir=tmp_path / "cache", http=HttpSettings(concurrency=8), **changes)


def _record_threads(
    monkeypatch: pytest.MonkeyPatch, owner: Any, names: list[str], seen: dict[str, set[int]]
) -> None:
    """Wrap `owner`'s methods `names` to note the thread each call runs in."""
    for name in names:
        original: Callable[..., Any] = getattr(owner, name)

        def wrapper(*args: Any, _name: str = name, _original: Any = original, **kw: Any) -> Any:
            seen.setdefault(_name, set()).add(threading.get_ident())
            return _original(*args, **kw)

        monkeypatch.setattr(owner, name, functools.wraps(original)(wrapper))


async def test_store_work_and_rendering_stay_off_the_event_loop(
    config: FeedConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, set[int]] = {}
    store_methods = [
        "__init__",
        "close",
        "state",
        "save_state",
        "episode_keys",
        "skip_keys",
        "pending_refs",
        "save_packed_page",
        "save_episode",
        "save_skip",
        "save_size",
        "sizes",
        "episodes",
    ]
    _record_threads(monkeypatch, Store, store_methods, seen)
    _record_threads(monkeypatch, feed, ["render_feed_to", "write_feed_stream"], seen)
    loop_thread = threading.get_ident()

    report = await build_async(config, options(tmp_path, parse_workers=0))
    again = await build_async(config, options(tmp_path, parse_workers=0, reparse=True))

    assert report.new > 0 and report.written
    assert again.new == 0
    # Every stage did touch the store and render (the wrappers saw them) ...
    assert {"__init__", "save_episode", "save_skip", "episodes", "render_feed_to"} <= set(seen)
    # ... and none of it ran on the event loop's thread.
    on_loop = sorted(name for name, threads in seen.items() if loop_thread in threads)
    assert on_loop == []


def temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def _worker_pids(parser: Parser) -> set[int]:
    return {worker.process.pid for worker in parser._live}


async def test_a_parser_handed_in_is_reused_and_left_running(
    config: FeedConfig, tmp_path: Path, server: DemoServer
) -> None:
    parser = Parser(workers=1, nice=3)
    try:
        first = await build_async(config, options(tmp_path), parser=parser)
        pids = _worker_pids(parser)
        assert first.new > 0 and len(pids) == 1  # the build started the worker ...
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert [os.getpriority(os.PRIO_PROCESS, pid) for pid in pids] == [min(19, ours + 3)]
        server.site.add_episodes(3)
        second = await build_async(config, options(tmp_path), parser=parser)
        assert second.new == 3  # ... the next build parsed its new pages with it ...
        assert _worker_pids(parser) == pids  # ... the same process, still running
        (worker,) = parser._live
        assert worker.process.returncode is None
    finally:
        await parser.aclose()
    assert worker.process.returncode is not None  # aclose stopped it


async def test_a_worker_that_died_idle_is_replaced_at_the_next_build(
    config: FeedConfig, tmp_path: Path, server: DemoServer
) -> None:
    parser = Parser(workers=1)
    try:
        await build_async(config, options(tmp_path), parser=parser)
        (dead,) = parser._live
        dead.process.kill()
        await dead.process.wait()
        server.site.add_episodes(2)
        report = await build_async(config, options(tmp_path), parser=parser)
        assert report.new == 2 and report.failed == ()
        assert _worker_pids(parser) and dead.process.pid not in _worker_pids(parser)
    finally:
        await parser.aclose()


async def test_a_build_cancelled_mid_write_finishes_the_write(
    config: FeedConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendering, go_on = threading.Event(), threading.Event()
    render = feed.render_feed_to

    def slow_render(*args: Any) -> int:
        rendering.set()
        go_on.wait(10)
        return render(*args)

    monkeypatch.setattr(feed, "render_feed_to", slow_render)
    task = asyncio.create_task(build_async(config, options(tmp_path, parse_workers=0)))
    await asyncio.to_thread(rendering.wait, 10)
    assert not config.output.exists()
    task.cancel()
    for _ in range(5):
        await asyncio.sleep(0)  # the cancellation reaches the build while it is writing
    go_on.set()
    with pytest.raises(asyncio.CancelledError):
        await task

    parsed = feedparser.parse(config.output.read_bytes())
    assert not parsed.bozo and len(parsed.entries) > 0  # the whole feed, written
    assert temp_files(tmp_path) == []
    lock = FeedLock(tmp_path / "cache", config.name)
    assert lock.acquire(wait=False)  # and the build let go of its lock
    lock.release()


async def test_the_last_build_is_read_back_as_a_record(
    config: FeedConfig, tmp_path: Path, server: DemoServer
) -> None:
    assert read_last_build(config, tmp_path / "cache") is None  # never built
    first = await build_async(config, options(tmp_path, parse_workers=0))
    server.site.add_episodes(2)
    second = await build_async(config, options(tmp_path, parse_workers=0))
    last = read_last_build(config, tmp_path / "cache")
    assert last is not None
    assert last.new == second.new == 2 and first.new > 2
    assert last.episodes_in_feed == second.episodes_in_feed
    assert last.failed == 0
    assert last.feed_sha256 == hashlib.sha256(config.output.read_bytes()).hexdigest()
    assert last.when.tzinfo is not None
