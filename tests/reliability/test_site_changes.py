"""When the site changes or mostly fails, the build refuses (exit 3) and the previous
feed stays byte for byte as it was; when the new feed would lose episodes it is refused
too, unless forced.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planetrss.build import build
from planetrss.config import FeedConfig
from planetrss.demo import DemoServer, Fault
from planetrss.errors import FeedRefusedError, NothingUsableError
from planetrss.store import Store
from tests.reliability.conftest import (
    Faults,
    feed_guids,
    in_feed,
    page_fetched,
    quick_options,
)

# A page with plenty of content and not one episode item in it (a redesign).
REDESIGNED_LISTING = (
    b'<div class="new-layout"><ul class="episodes">'
    + b"".join(
        b'<li class="episode-card"><a href="/e/%d">An episode in the new layout</a></li>' % n
        for n in range(40)
    )
    + b"</ul></div>"
)
# Items are still there, but nothing in them is where the parser looks (no h2.title).
ITEMS_WITHOUT_TITLES = b"".join(
    b'<article class="item"><div class="item-info"><h3 class="headline">'
    b'<a href="/e/%d">Renamed heading</a></h3></div></article>' % n
    for n in range(24)
)
REDESIGNED_EPISODE = (
    b"<!doctype html><html><head><title>NPR</title></head><body><main>"
    + b"<p>Everything moved.</p>" * 200
    + b"</main></body></html>"
)


def _snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), os.stat(path).st_mtime_ns


@pytest.fixture
def built(server: DemoServer, config: FeedConfig, tmp_path: Path) -> tuple[bytes, int]:
    """A complete first build; returns the feed's bytes and mtime."""
    report = build(config, quick_options(tmp_path / "cache"))
    assert report.failed == () and report.episodes_in_feed == len(in_feed(server.site))
    return _snapshot(config.output)


@pytest.mark.parametrize(
    "listing",
    [
        pytest.param(REDESIGNED_LISTING, id="content-but-no-items"),
        pytest.param(ITEMS_WITHOUT_TITLES, id="items-without-titles"),
    ],
)
def test_a_redesigned_listing_is_nothing_usable_and_keeps_the_feed(
    server: DemoServer,
    config: FeedConfig,
    tmp_path: Path,
    built: tuple[bytes, int],
    listing: bytes,
) -> None:
    server.site.add_episodes(3)  # there is something new to miss
    server.fault = lambda target: Fault(200, body=listing) if "/render/partial/" in target else None
    first_listing = server.site.listing_url(1)

    with pytest.raises(NothingUsableError) as caught:
        build(config, quick_options(tmp_path / "cache"))

    assert caught.value.exit_code == 3
    message = str(caught.value)
    assert "\n" not in message and first_listing in message
    assert f"{config.output} left as it was" in message
    assert _snapshot(config.output) == built


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(Fault(503, body=b"down"), id="http-503"),
        pytest.param(Fault(200, body=REDESIGNED_EPISODE), id="redesigned-page"),
    ],
)
def test_most_episode_pages_failing_is_nothing_usable_and_keeps_the_feed(
    server: DemoServer, config: FeedConfig, tmp_path: Path, built: tuple[bytes, int], fault: Fault
) -> None:
    site = server.site
    old = {e.path for e in site.episodes()}
    site.add_episodes(12)
    new = [e for e in site.episodes() if e.path not in old and page_fetched(e)]
    server.fault = lambda target: (
        fault if site.classify(target) == "episode" and target not in old else None
    )

    with pytest.raises(NothingUsableError) as caught:
        build(config, quick_options(tmp_path / "cache"))

    message = str(caught.value)
    assert f"{len(new)} of {len(new)} episode pages failed" in message and "\n" not in message
    assert _snapshot(config.output) == built


def test_a_few_pages_that_stay_broken_do_not_stop_new_episodes_reaching_the_feed(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    """Five episode pages are gone for good (404); the show goes on publishing.

    Every later build retries the five first. They fail again, and they must not count as
    "most pages failing": the new episode has to reach the feed (with exit status 1 for
    the five), or the feed would never be updated again.
    """
    site = server.site
    gone = {e.path: e for e in in_feed(site)[10:15]}
    server.fault = lambda target: Fault(404, body=b"gone") if target in gone else None
    cache = tmp_path / "cache"
    first = build(config, quick_options(cache))
    assert sorted(f.url for f in first.failed) == sorted(e.url for e in gone.values())

    site.add_episodes(1)
    report = build(config, quick_options(cache))

    assert site.episode(site.episode_count).key in feed_guids(config.output)
    assert len(report.failed) == 5 and report.new == 1


def test_a_cold_rebuild_that_loses_episodes_is_refused_unless_forced(
    server: DemoServer, config: FeedConfig, tmp_path: Path, built: tuple[bytes, int]
) -> None:
    site = server.site
    expected = [e.key for e in in_feed(site)]
    # The cache is lost, and 10 of 59 episode pages now answer 404: not enough to call the
    # site broken, but the feed would lose 10 episodes players already have.
    gone = {e.path for e in in_feed(site)[20:30]}
    server.fault = lambda target: Fault(404, body=b"gone") if target in gone else None

    with pytest.raises(FeedRefusedError) as caught:
        build(config, quick_options(tmp_path / "fresh-cache"))

    message = str(caught.value)
    assert caught.value.exit_code == 3 and "\n" not in message
    assert "drop 10 episodes" in message and "--force" in message
    assert _snapshot(config.output) == built

    report = build(config, quick_options(tmp_path / "another-fresh-cache", force=True))

    assert report.written and len(report.failed) == 10
    kept = {e.key for e in in_feed(site) if e.path not in gone}
    assert feed_guids(config.output) == [k for k in expected if k in kept]


def test_a_cache_that_lost_episodes_is_refused_unless_forced_and_full_restores_them(
    server: DemoServer, config: FeedConfig, tmp_path: Path, built: tuple[bytes, int]
) -> None:
    site = server.site
    cache = tmp_path / "cache"
    expected = [e.key for e in in_feed(site)]
    lost = expected[-5:]  # old episodes: an incremental build does not page down to them
    with Store(cache, config.name) as store:
        for key in lost:
            store.delete_episode(key)

    with pytest.raises(FeedRefusedError) as caught:
        build(config, quick_options(cache))
    assert "drop 5 episodes" in str(caught.value)
    assert _snapshot(config.output) == built

    forced = build(config, quick_options(cache, force=True))
    assert forced.written and feed_guids(config.output) == expected[:-5]

    server.reset_counts()
    full = build(config, quick_options(cache, full=True))
    assert full.new == 5 and server.counts["episode"] == 5  # only what was lost
    assert feed_guids(config.output) == expected


def test_an_unreachable_site_keeps_the_feed_and_reports_the_listing(
    server: DemoServer, config: FeedConfig, tmp_path: Path, built: tuple[bytes, int]
) -> None:
    server.fault = Faults(lambda target, n: Fault(503, body=b"maintenance"))

    report = build(config, quick_options(tmp_path / "cache"))

    assert [f.url for f in report.failed] == [server.site.listing_url(1)]
    assert not report.written and _snapshot(config.output) == built

    with pytest.raises(NothingUsableError) as caught:  # and with no cache: nothing at all
        build(config, quick_options(tmp_path / "empty-cache"))
    assert f"nothing usable: {server.origin}/get/510289/render/partial/next?start=" in str(
        caught.value
    )
    assert _snapshot(config.output) == built
