"""Faults on the wire, injected by the demo server: retried, honoured, or recorded.

A page that keeps failing is recorded in the report with its URL (exit status 1), the
feed is still written with everything else, nothing half-received is stored, and the
failure is not cached: the next build fetches exactly that page and completes the feed.
"""

from __future__ import annotations

import email.utils
import gzip
import math
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from planetrss.build import build
from planetrss.cli import run_build
from planetrss.config import FeedConfig
from planetrss.demo import DemoServer, Fault
from planetrss.demo.site import DemoEpisode
from planetrss.http import HttpSettings
from planetrss.store import Store
from tests.reliability.conftest import (
    QUICK_HTTP,
    Faults,
    feed_guids,
    http_with,
    in_feed,
    page_fetched,
    quick_options,
)


def victim(server: DemoServer) -> DemoEpisode:
    """An ordinary episode in the middle of the archive (on the second listing page)."""
    ep = server.site.episode(30)
    assert ep.in_feed
    return ep


def test_503_bursts_are_retried_and_every_retry_is_counted(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    site = server.site
    pages = {e.path for e in site.episodes() if page_fetched(e)}
    server.fault = faults = Faults(
        lambda target, n: Fault(503, body=b"busy") if target in pages and n <= 2 else None
    )

    report = build(config, quick_options(tmp_path / "cache"))

    assert report.failed == ()
    assert feed_guids(config.output) == [e.key for e in in_feed(site)]
    assert {faults.seen[p] for p in pages} == {3}  # two 503s, then the page
    assert server.counts["episode"] == 3 * len(pages)
    assert report.requests == server.requests  # retries are requests too


def _at_least(seconds: float) -> str:
    """An HTTP-date (whole seconds) at least `seconds` and less than `seconds` + 1 away."""
    return email.utils.formatdate(math.ceil(time.time() + seconds), usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "http", "least", "most"),
    [
        pytest.param(lambda: "1", QUICK_HTTP, 0.95, 2.5, id="delta-seconds"),
        pytest.param(lambda: _at_least(0.6), QUICK_HTTP, 0.5, 2.5, id="http-date"),
        # A server asking for an hour gets max_wait, not an hour.
        pytest.param(lambda: "3600", http_with(max_wait=0.3), 0.25, 1.5, id="capped-by-max-wait"),
    ],
)
def test_429_retry_after_is_honoured(
    server: DemoServer,
    config: FeedConfig,
    tmp_path: Path,
    retry_after: Callable[[], str],
    http: HttpSettings,
    least: float,
    most: float,
) -> None:
    ep = victim(server)

    def rule(target: str, n: int) -> Fault | None:
        if target == ep.path and n == 1:
            return Fault(429, {"Retry-After": retry_after()}, b"slow down")
        return None

    server.fault = faults = Faults(rule)
    report = build(config, quick_options(tmp_path / "cache", http=http))

    assert report.failed == ()
    assert ep.key in feed_guids(config.output)
    first, second = faults.times[ep.path]  # one 429, then the page
    # backoff alone would retry after ~10 ms
    assert least <= second - first <= most


def _half(page: bytes) -> bytes:
    return page[: len(page) // 2]


def _bomb(cap: int) -> bytes:
    return gzip.compress(b"<p>" + b" " * (cap * 4) + b"</p>")


# name -> (fault for the episode page, words in the recorded reason, requests the page gets)
PERSISTENT: dict[str, tuple[Callable[[bytes, str], Fault], tuple[str, ...], int]] = {
    "http-500": (lambda page, path: Fault(500, body=b"oops"), ("HTTP 500", "3 attempts"), 3),
    "hung": (lambda page, path: Fault(200, body=page, delay=3.0), ("timed out", "3 attempts"), 3),
    "reset-mid-body": (
        lambda page, path: Fault(200, body=_half(page), content_length=len(page), reset=True),
        ("3 attempts",),
        3,
    ),
    "truncated-body": (
        lambda page, path: Fault(200, body=_half(page), content_length=len(page)),
        ("3 attempts",),
        3,
    ),
    "oversized-declared": (
        lambda page, path: Fault(200, body=page + b" " * QUICK_HTTP.max_bytes),
        ("exceeds", f"{QUICK_HTTP.max_bytes}-byte cap"),
        1,  # refused, not retried: it will be as large next time
    ),
    "oversized-unframed": (
        lambda page, path: Fault(200, body=page + b" " * QUICK_HTTP.max_bytes, framed=False),
        ("exceeds", f"{QUICK_HTTP.max_bytes}-byte cap"),
        1,
    ),
    "oversized-after-gunzip": (
        lambda page, path: Fault(200, {"Content-Encoding": "gzip"}, _bomb(QUICK_HTTP.max_bytes)),
        ("exceeds", f"{QUICK_HTTP.max_bytes}-byte cap"),
        1,
    ),
    "redirect-loop": (
        lambda page, path: Fault(301, {"Location": path}, b"moved"),
        ("too many redirects",),
        QUICK_HTTP.max_redirects + 1,
    ),
}


@pytest.mark.parametrize("kind", list(PERSISTENT))
def test_a_page_that_keeps_failing_is_recorded_and_fetched_again_next_build(
    server: DemoServer, config: FeedConfig, tmp_path: Path, kind: str
) -> None:
    make_fault, words, attempts = PERSISTENT[kind]
    site = server.site
    ep = victim(server)
    page = site.episode_page(ep.index)
    server.fault = faults = Faults(
        lambda target, n: make_fault(page, ep.path) if target == ep.path else None
    )
    cache = tmp_path / "cache"

    report = build(config, quick_options(cache))

    # Recorded with its URL and a one-line reason; the rest of the feed is written.
    assert [f.url for f in report.failed] == [ep.url]
    reason = report.failed[0].reason
    assert "\n" not in reason and all(w in reason for w in words), reason
    assert faults.seen[ep.path] == attempts
    expected = [e.key for e in in_feed(site)]
    assert feed_guids(config.output) == [k for k in expected if k != ep.key]
    assert report.written and report.episodes_in_feed == len(expected) - 1
    # Nothing half-received is stored: no record, no raw page.
    with Store(cache, config.name) as store:
        assert ep.key not in store.episode_keys()
        assert store.load_page(ep.url) is None

    # The failure is not cached: faults off, the next build fetches that page only.
    server.fault = None
    server.reset_counts()
    again = build(config, quick_options(cache))
    assert again.failed == ()
    assert (again.new, server.counts["episode"]) == (1, 1)
    assert feed_guids(config.output) == expected
    with Store(cache, config.name) as store:
        stored = next(e for e in store.episodes() if e.key == ep.key)
    assert (stored.title, stored.audio_url) == (ep.title, ep.audio_url)
    assert "wherever you get your podcasts" in stored.notes_html  # the whole page


def test_a_failed_page_makes_the_cli_exit_1_and_name_the_url(
    server: DemoServer, config: FeedConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ep = victim(server)
    server.fault = lambda target: Fault(503, body=b"down") if target == ep.path else None

    status = run_build(config, quick_options(tmp_path / "cache"), quiet=True, verbose=False)

    assert status == 1
    out, err = capsys.readouterr()
    assert f"failed: {ep.url}: HTTP 503 (after 3 attempts)" in err
    assert "1 failed" in out  # the summary line is printed even with --quiet
    assert config.output.exists()
