"""`planetrss serve` over time: scheduled rebuilds, failures, outside builds, stopping."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import feedparser

from planetrss.build import BuildOptions, build
from planetrss.demo.server import DemoServer, Fault
from planetrss.serve import FeedServer
from tests.conftest import DEMO_TOML, ROOT
from tests.serve.conftest import (
    EPISODES,
    QUICK_HTTP,
    Running,
    built,
    demo_feed,
    fetch,
    serve_options,
)


def _items(body: bytes) -> int:
    return body.count(b"<item>")


def test_a_refresh_picks_up_new_episodes_while_requests_are_answered(
    tmp_path: Path, demo: DemoServer
) -> None:
    server = FeedServer(
        [demo_feed(demo.origin, tmp_path)], serve_options(tmp_path / "c", refresh=1)
    )
    with Running(server) as running:
        running.wait_for(lambda: built(running))
        before = fetch(running.base, "/demo.xml")
        answers: list[int] = []
        stop = threading.Event()

        def keep_asking() -> None:  # a podcast app that revalidates non-stop
            etag = before.headers["etag"]
            while not stop.is_set():
                answer = fetch(running.base, "/demo.xml", If_None_Match=etag)
                answers.append(answer.status)
                etag = answer.headers["etag"]

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            demo.site.add_episodes(3)
            running.wait_for(
                lambda: _items(fetch(running.base, "/demo.xml").body) > _items(before.body)
            )
            time.sleep(0.3)
        finally:
            stop.set()
            asker.join()
        after = fetch(running.base, "/demo.xml")
        last = running.server.feeds["demo"].last
    assert _items(after.body) == _items(before.body) + 3
    assert after.headers["etag"] != before.headers["etag"]
    assert last is not None and last.ok and last.episodes_in_feed == _items(after.body)
    # Every revalidation was answered: 304 while the feed stood still, one 200 when it changed.
    assert set(answers) == {200, 304} and answers.count(200) == 1
    assert len(answers) > 20


def test_a_failed_rebuild_keeps_the_last_good_feed_and_says_so(
    tmp_path: Path, demo: DemoServer
) -> None:
    server = FeedServer(
        [demo_feed(demo.origin, tmp_path)], serve_options(tmp_path / "c", refresh=1)
    )
    with Running(server) as running:
        running.wait_for(lambda: built(running))
        good = fetch(running.base, "/demo.xml")
        # The site changes its markup: listing pages hold content but no episode.
        changed = Fault(200, {"Content-Type": "text/html"}, b"<html><body>" + b"<p>news</p>" * 400)
        demo.fault = lambda target: changed if "/render/partial/next" in target else None
        demo.site.add_episodes(2)
        feed = running.server.feeds["demo"]
        running.wait_for(lambda: feed.last is not None and not feed.last.ok)
        served = fetch(running.base, "/demo.xml")
        health = fetch(running.base, "/healthz")
        index = fetch(running.base, "/").body.decode()
        # The site comes back: the next rebuild (a retry, within seconds) recovers.
        demo.fault = None
        running.wait_for(lambda: feed.last is not None and feed.last.ok)
        recovered = fetch(running.base, "/healthz")
        fresh = fetch(running.base, "/demo.xml")
    assert served.status == 200 and served.body == good.body
    assert served.headers["etag"] == good.headers["etag"]
    assert health.status == 503
    assert health.body.decode().startswith(
        "demo: last build failed: demo: the site's pages have changed"
    )
    assert '<strong class="failed">failed</strong>; serving the feed of ' in index
    assert '<span class="error">demo: the site&#x27;s pages have changed' in index
    assert recovered.status == 200
    assert _items(fresh.body) == _items(good.body) + 2


def test_a_feed_built_by_someone_else_is_served_once_written(
    tmp_path: Path, demo: DemoServer
) -> None:
    config = demo_feed(demo.origin, tmp_path)
    options = serve_options(tmp_path / "c", refresh=None, watch_interval=0.05)
    build(config, BuildOptions(cache_dir=tmp_path / "c", http=QUICK_HTTP, parse_workers=0))
    with Running(FeedServer([config], options)) as running:
        first = fetch(running.base, "/demo.xml")
        assert "off (served as built)" in fetch(running.base, "/").body.decode()
        demo.site.add_episodes(4)  # cron runs `planetrss build` ...
        build(config, BuildOptions(cache_dir=tmp_path / "c", http=QUICK_HTTP, parse_workers=0))
        running.wait_for(lambda: fetch(running.base, "/demo.xml").body != first.body)
        second = fetch(running.base, "/demo.xml")
    assert _items(second.body) == _items(first.body) + 4
    assert second.body == config.output.read_bytes()
    assert first.headers["cache-control"] == "public, max-age=300"


def test_nothing_to_serve_before_the_first_build_is_a_503(tmp_path: Path, demo: DemoServer) -> None:
    demo.latency = 0.5  # a slow site: the first build takes a while
    server = FeedServer([demo_feed(demo.origin, tmp_path)], serve_options(tmp_path / "c"))
    with Running(server) as running:
        early = fetch(running.base, "/demo.xml")
        health = fetch(running.base, "/healthz")
        index = fetch(running.base, "/").body.decode()
        demo.latency = 0.0
        running.wait_for(lambda: built(running))
        assert fetch(running.base, "/demo.xml").status == 200
    assert early.status == 503 and early.headers["retry-after"] == "60"
    assert health.status == 503 and health.body == b"demo: not built yet\n"
    assert "first build running" in index and "(not built yet)" in index


# --- the command, in a process of its own -----------------------------------------------

_SLOW_WRITER = """
import sys, time
from pathlib import Path
from planetrss import feed

marker = Path(sys.argv[1])
render = feed.render_feed_to

def slow_render(*args):
    marker.write_text("writing")
    time.sleep(1.0)  # SIGTERM arrives now, in the middle of writing the feed
    return render(*args)

feed.render_feed_to = slow_render
from planetrss.cli import main
sys.argv = ["planetrss", *sys.argv[2:]]
main()
"""


def _write_definition(folder: Path, origin: str) -> Path:
    feeds = folder / "feeds"
    feeds.mkdir()
    text = DEMO_TOML.read_text(encoding="utf-8")
    text, found = re.subn(r'^origin = ".*"$', f'origin = "{origin}"', text, flags=re.M)
    assert found == 1
    (feeds / "demo.toml").write_text(text, encoding="utf-8")
    return feeds


def test_sigterm_in_the_middle_of_a_write_finishes_it_and_exits_0(
    tmp_path: Path, demo: DemoServer
) -> None:
    feeds = _write_definition(tmp_path, demo.origin)
    marker = tmp_path / "writing"
    script = tmp_path / "slow_writer.py"
    script.write_text(_SLOW_WRITER, encoding="utf-8")
    command = [sys.executable, str(script), str(marker), "serve", "--port", "0"]
    command += ["--feeds-dir", str(feeds), "--cache-dir", str(tmp_path / "cache")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the build never started writing"
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert out.decode().splitlines()[-1] == "planetrss: stopped"
    written = feeds / "demo.xml"
    parsed = feedparser.parse(written.read_bytes())  # the whole feed was written
    assert not parsed.bozo and len(parsed.entries) == sum(e.in_feed for e in demo.site.episodes())
    assert [p.name for p in feeds.iterdir() if p.suffix == ".tmp"] == []


def test_serve_refuses_bad_options_in_one_line(tmp_path: Path, demo: DemoServer) -> None:
    feeds = _write_definition(tmp_path, demo.origin)
    planetrss = [sys.executable, "-m", "planetrss"]
    common = ["--feeds-dir", str(feeds), "--cache-dir", str(tmp_path / "cache")]
    bad_refresh = subprocess.run(
        [*planetrss, "serve", "--refresh", "soon", *common],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad_refresh.returncode == 2
    assert bad_refresh.stderr == (
        'planetrss: error: --refresh: expected a duration like "6h" or "30m", '
        "got 'soon' (see planetrss serve --help)\n"
    )
    with socket_in_use() as port:
        busy = subprocess.run(
            [*planetrss, "serve", "--port", str(port), *common],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    assert busy.returncode == 2
    assert busy.stderr.startswith(f"planetrss: error: --port: cannot listen on 127.0.0.1:{port}: ")
    assert len(busy.stderr.splitlines()) == 1


class socket_in_use:
    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


assert EPISODES > 0
