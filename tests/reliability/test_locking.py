"""One build of a feed at a time: a second one waits, or (--no-wait) exits 3 at once;
builds of different feeds run side by side.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from planetrss.build import build
from planetrss.config import FeedConfig
from planetrss.demo import DemoServer, DemoSite, Fault
from planetrss.demo.server import FaultHook
from planetrss.errors import LockedError
from planetrss.models import BuildReport
from planetrss.store import FeedLock
from tests.conftest import ROOT
from tests.reliability.conftest import (
    EPISODES,
    PAGE_BYTES,
    VENV_BIN,
    demo_config,
    in_feed,
    one_line,
    quick_options,
    write_demo_toml,
)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[FeedLock]:
    """The demo feed's lock, taken as another build would take it."""
    lock = FeedLock(tmp_path / "cache", "demo")
    assert lock.acquire(wait=False)
    try:
        yield lock
    finally:
        lock.release()


def test_no_wait_raises_locked_while_another_build_holds_the_lock(
    server: DemoServer, config: FeedConfig, tmp_path: Path, held: FeedLock
) -> None:
    with pytest.raises(LockedError) as caught:
        build(config, quick_options(tmp_path / "cache", wait=False))

    assert caught.value.exit_code == 3
    assert "another build of this feed is running" in str(caught.value)
    assert server.requests == 0 and not config.output.exists()


def test_wait_waits_for_the_lock_then_builds(
    server: DemoServer, config: FeedConfig, tmp_path: Path, held: FeedLock
) -> None:
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(build, config, quick_options(tmp_path / "cache"))
        time.sleep(0.4)
        assert not waiting.done() and server.requests == 0  # waiting, not crawling
        held.release()
        report = waiting.result(timeout=30)

    assert report.failed == () and report.episodes_in_feed == len(in_feed(server.site))


def test_builds_of_two_different_feeds_run_at_the_same_time(tmp_path: Path) -> None:
    """Each server holds its first answer until the other server has been asked too: if
    the builds took turns, the first would wait in vain (and give up after 5 s)."""
    asked = {"a": threading.Event(), "b": threading.Event()}
    overlapped: dict[str, bool] = {}

    def meet(me: str, other: str) -> FaultHook:
        def hook(target: str) -> Fault | None:
            if not asked[me].is_set():
                asked[me].set()
                overlapped[me] = asked[other].wait(5)
            return None

        return hook

    with (
        DemoServer(DemoSite(episodes=EPISODES, page_bytes=PAGE_BYTES)) as a,
        DemoServer(DemoSite(episodes=EPISODES, page_bytes=PAGE_BYTES)) as b,
    ):
        a.fault = meet("a", "b")
        b.fault = meet("b", "a")
        cache = tmp_path / "cache"  # one cache folder: each feed has its own lock in it
        configs = [
            demo_config(a.origin, tmp_path / "a.xml", name="alpha"),
            demo_config(b.origin, tmp_path / "b.xml", name="beta"),
        ]
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(build, c, quick_options(cache, wait=False)) for c in configs]
            reports: list[BuildReport] = [f.result(timeout=60) for f in futures]

    assert overlapped == {"a": True, "b": True}
    assert [r.failed for r in reports] == [(), ()]
    assert (tmp_path / "a.xml").exists() and (tmp_path / "b.xml").exists()


def test_cli_no_wait_prints_one_line_and_exits_3(
    server: DemoServer, tmp_path: Path, held: FeedLock
) -> None:
    toml = write_demo_toml(tmp_path, server.origin)
    cache = tmp_path / "cache"
    result = subprocess.run(
        [str(VENV_BIN / "planetrss"), "build", str(toml), "--no-wait", "--cache-dir", str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 3
    line = one_line(result.stderr)
    assert line.startswith("planetrss: error: demo: another build of this feed is running")
    assert result.stdout == "" and server.requests == 0
