"""A build killed with SIGKILL mid-crawl leaves no half-written file, a cache that opens
and reads, and a rerun that fetches only the episode pages the cache does not hold.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from planetrss.demo import DemoServer, DemoSite
from planetrss.store import Store
from tests.conftest import ROOT
from tests.reliability.conftest import (
    VENV_BIN,
    feed_guids,
    in_feed,
    page_fetched,
    processes_with,
    write_demo_toml,
)


@contextlib.contextmanager
def planetrss_build(toml: Path, cache: Path) -> Iterator[subprocess.Popen[str]]:
    """`planetrss build`, its processes marked by a token in their environment (its parse
    workers run in sessions of their own, so no process group holds them all); whatever
    is left of them is always cleaned up after."""
    token = f"planetrss-crash-test-{uuid.uuid4()}"
    process = subprocess.Popen(
        [str(VENV_BIN / "planetrss"), "build", str(toml), "--cache-dir", str(cache), "-c", "4"],
        cwd=ROOT,
        env={**os.environ, "PLANETRSS_TEST_TOKEN": token},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.token = token  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        # Parse workers orphaned by a SIGKILL are ours to end; they also hold the pipes
        # open, so reading to the end waits for them.
        for pid in processes_with(token):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.communicate(timeout=30)


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {condition}")
        time.sleep(0.01)


def test_sigkill_mid_crawl_then_rerun_fetches_only_what_is_missing(tmp_path: Path) -> None:
    site = DemoSite(episodes=300, page_bytes=20_000)
    with DemoServer(site, latency=0.05) as server:
        toml = write_demo_toml(tmp_path, server.origin)
        output = tmp_path / "demo.xml"
        cache = tmp_path / "cache"

        with planetrss_build(toml, cache) as process:
            # ~4 s of crawling at 4 x 50 ms: kill it once a good part is under way.
            wait_for(lambda: server.counts["episode"] >= 60 or process.poll() is not None, 20)
            assert process.poll() is None, "the build ended before it could be killed"
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL

        # No feed, and no temporary file left half-written next to it.
        assert not output.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "demo.toml"]
        # The cache opens and reads; what it holds is whole and right.
        truth = {e.key: e for e in site.episodes()}
        with Store(cache, "demo") as store:
            cached = store.episodes()
        assert 0 < len(cached) < 300
        for episode in cached:
            ep = truth[episode.key]
            assert (episode.title, episode.audio_url, episode.duration) == (
                ep.title,
                ep.audio_url,
                ep.duration,
            )
            assert "wherever you get your podcasts" in episode.notes_html

        server.reset_counts()
        server.latency = 0.005
        with planetrss_build(toml, cache) as rerun:
            out, err = rerun.communicate(timeout=60)

        fetchable = [e for e in site.episodes() if page_fetched(e)]
        # Only what the cache lacked (unavailable episodes are looked at again each run).
        assert server.counts["episode"] == len(fetchable) - len(cached), (out, err)
        assert rerun.returncode == 0, (out, err)
        assert feed_guids(output) == [e.key for e in in_feed(site)]


def test_sigkill_leaves_no_parse_workers_behind(tmp_path: Path) -> None:
    """A killed build's process pool goes with it: no orphans holding its pipes forever."""
    with DemoServer(DemoSite(episodes=300, page_bytes=20_000), latency=0.05) as server:
        toml = write_demo_toml(tmp_path, server.origin)
        with planetrss_build(toml, tmp_path / "cache") as process:
            wait_for(lambda: server.counts["episode"] >= 20 or process.poll() is not None, 20)
            assert process.poll() is None, "the build ended before it could be killed"
            token = process.token  # type: ignore[attr-defined]
            assert len(processes_with(token)) >= 2  # the build and its parse workers
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            deadline = time.monotonic() + 2
            while processes_with(token) and time.monotonic() < deadline:
                time.sleep(0.05)
            orphans = processes_with(token)
        assert not orphans, "parse workers outlived the killed build"
