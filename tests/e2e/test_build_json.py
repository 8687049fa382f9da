"""`planetrss build --json`: one JSON object per feed, per line, for scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from planetrss.demo.server import DemoServer
from planetrss.demo.site import DemoSite
from planetrss.store import FeedLock
from tests.reliability.conftest import write_demo_toml


def test_build_json_prints_one_object_per_feed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with DemoServer(DemoSite(episodes=40)) as server:
        first = write_demo_toml(tmp_path, server.origin, name="first")
        second = write_demo_toml(tmp_path, server.origin, name="second")
        lock = FeedLock(cache, "second")  # a build of `second` is running: --no-wait fails it
        assert lock.acquire(wait=False)
        try:
            command = [sys.executable, "-m", "planetrss", "build", str(first), str(second)]
            command += ["--json", "--no-wait", "--cache-dir", str(cache)]
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        finally:
            lock.release()
    assert result.returncode == 3, result.stderr
    built, refused = (json.loads(line) for line in result.stdout.splitlines())
    in_feed = len([e for e in server.site.episodes() if e.in_feed])
    assert built["feed"] == "first" and built["status"] == 0
    assert built["episodes_in_feed"] == built["new"] == in_feed
    assert len(built["skipped"]) == 40 - in_feed
    assert {"url", "reason", "key"} == set(built["skipped"][0])
    assert built["failed"] == [] and built["written"] is True
    assert built["output"] == str(tmp_path / "first.xml")
    assert built["requests"] > 0 and "crawl" in built["timings"]
    assert refused["feed"] == "second" and refused["status"] == 3
    assert "another build of this feed is running" in refused["error"]
    # The error line goes to stderr as ever; stdout holds JSON only.
    assert result.stderr.splitlines()[-1].startswith("planetrss: error: second: another build")
