"""The demo server over real sockets on 127.0.0.1: status codes, keep-alive, latency, counters."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import podcastparser
import pytest

from planetrss.demo import DemoServer, DemoSite, Fault


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(DemoSite(episodes=100, page_bytes=40_000)) as running:
        yield running


def test_serves_every_kind_of_page_over_one_keep_alive_connection(server: DemoServer) -> None:
    site = server.site
    ep = next(e for e in site.episodes() if e.in_feed and e.transcript_url)
    assert ep.url.startswith(server.origin + "/")
    with httpx.Client(base_url=server.origin) as client:
        listing = client.get("/get/510289/render/partial/next?start=1")
        count = client.get("/get/510289/remainingCount?start=25")
        page = client.get(ep.url)
        transcript = client.get(ep.transcript_url or "")
        media = client.head(ep.audio_url)
        missing = client.get("/no/such/page")
        empty = client.get("/get/510289/render/partial/next?start=101")
    assert listing.status_code == 200 and listing.content == site.listing(1)
    assert listing.headers["content-type"] == "text/html; charset=utf-8"
    assert count.text == "76"
    assert page.status_code == 200 and page.content == site.episode_page(ep.index)
    assert int(page.headers["content-length"]) == len(page.content)
    assert transcript.status_code == 200
    assert media.status_code == 200 and media.headers["content-type"] == "audio/mpeg"
    assert int(media.headers["content-length"]) == ep.size
    assert missing.status_code == 404
    assert (empty.status_code, empty.content) == (200, b"")
    assert all(r.http_version == "HTTP/1.1" for r in (listing, page, missing))
    assert server.connections == 1  # keep-alive: one connection for all seven requests
    assert server.requests == 7
    assert server.counts == {
        "listing": 2,
        "count": 1,
        "episode": 1,
        "transcript": 1,
        "media": 1,
        "other": 1,
    }
    server.reset_counts()
    assert server.requests == 0 and set(server.counts.values()) == {0}


def test_media_get_streams_the_true_size(server: DemoServer) -> None:
    ep = next(e for e in server.site.episodes() if e.in_feed and not e.size_in_url)
    with httpx.Client() as client, client.stream("GET", ep.audio_url) as response:
        assert response.status_code == 200
        assert sum(len(chunk) for chunk in response.iter_bytes()) == ep.size


def test_latency_is_applied_and_can_change_while_serving(server: DemoServer) -> None:
    url = server.site.count_url(1)
    with httpx.Client() as client:
        client.get(url)  # connect first, so only the latency is timed
        server.latency = 0.2
        began = time.perf_counter()
        assert client.get(url).text == "100"
        assert time.perf_counter() - began >= 0.2
        server.latency = 0.0
        began = time.perf_counter()
        client.get(url)
        assert time.perf_counter() - began < 0.15


def test_64_concurrent_keep_alive_clients_at_100_ms(server: DemoServer) -> None:
    server.latency = 0.1
    errors: list[BaseException] = []
    barrier = threading.Barrier(64)

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    # One client (so one TLS context, which is slow to make) shared by 64 threads: its
    # pool opens one connection per concurrent request and then reuses them.
    with httpx.Client(base_url=server.origin, limits=limits, timeout=10) as client:

        def crawl(n: int) -> None:
            try:
                barrier.wait()
                for start in (1, 25, 49):
                    response = client.get(f"/get/510289/remainingCount?start={start + n}")
                    assert response.status_code == 200
            except BaseException as error:  # handed to the main thread
                errors.append(error)

        threads = [threading.Thread(target=crawl, args=(n,)) for n in range(64)]
        for thread in threads:
            thread.start()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    assert not errors
    assert server.requests == 192 and server.connections == 64
    assert elapsed < 2.0  # three rounds of 100 ms each, not 192 of them


def test_fault_hook_replaces_the_answer(server: DemoServer) -> None:
    def fault(path: str) -> Fault | None:
        if "start=25" in path:
            return Fault(503, {"Retry-After": "1", "Content-Type": "text/plain"}, b"busy")
        return None

    server.fault = fault
    with httpx.Client(base_url=server.origin) as client:
        busy = client.get("/get/510289/render/partial/next?start=25")
        fine = client.get("/get/510289/render/partial/next?start=1")
    assert (busy.status_code, busy.text, busy.headers["retry-after"]) == (503, "busy", "1")
    assert busy.headers["content-type"] == "text/plain"
    assert fine.status_code == 200
    assert server.counts["listing"] == 2


def test_exit_closes_idle_keep_alive_connections() -> None:
    with httpx.Client() as client:
        with DemoServer(DemoSite(episodes=10)) as server:
            assert client.get(server.site.count_url(1)).text == "10"
            origin = server.origin
        assert server.connections == 1
        with pytest.raises(httpx.TransportError):
            client.get(origin + "/get/510289/remainingCount?start=1")


def test_runs_in_the_foreground_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "planetrss.demo.server", "--episodes", "30", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("serving http://127.0.0.1:")
        origin = first.removeprefix("serving ")
        assert httpx.get(origin + "/get/510289/remainingCount?start=1").text == "30"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert err == ""


def test_the_official_style_feed_answers_conditional_gets_and_its_tracker_redirects(
    server: DemoServer,
) -> None:
    site = server.site
    with httpx.Client() as client:
        first = client.get(site.official_url)
        again = client.get(site.official_url, headers={"If-None-Match": first.headers["ETag"]})
        listed = site.official_episodes()
        tracked = client.head(site.official_audio_url(listed[0]), follow_redirects=True)
    assert first.status_code == 200 and again.status_code == 304 and again.content == b""
    assert first.headers["content-type"].startswith("application/rss+xml")
    parsed = podcastparser.parse(site.official_url, io.BytesIO(first.content))
    assert len(parsed["episodes"]) == len(listed) == site.official_items
    assert [e.index for e in listed] == sorted((e.index for e in listed), reverse=True)
    assert all(e.in_feed for e in listed)  # the newest playable episodes
    for item, episode in zip(parsed["episodes"], listed, strict=True):
        assert item["enclosures"][0]["file_size"] == episode.size  # exact lengths
        assert item["total_time"] == episode.duration
        assert "/track/demo-510289/" in item["enclosures"][0]["url"]
    pages = {e.url for e in listed}
    with_link = [item for item in parsed["episodes"] if item["link"] in pages]
    assert len(with_link) == sum(e.index % 3 == 0 for e in listed) > 0  # <link> on some only
    assert tracked.status_code == 200  # the tracker sends players on to the audio file
    assert int(tracked.headers["content-length"]) == listed[0].size
