"""End to end: real HTTP to the demo site on 127.0.0.1, a real disk cache, a real feed,
read back by real podcast clients' parsers."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import feedparser
import podcastparser
import pytest

from planetrss.build import BuildOptions, build
from planetrss.check import check_feed
from planetrss.config import FeedConfig, load_feed
from planetrss.demo.server import DemoServer
from planetrss.demo.site import DemoEpisode, DemoSite
from planetrss.http import HttpSettings
from tests.conftest import DEMO_TOML

EPISODES = 80


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(DemoSite(episodes=EPISODES)) as running:
        yield running


@pytest.fixture
def config(server: DemoServer, tmp_path: Path) -> FeedConfig:
    demo = load_feed(DEMO_TOML)
    return demo.with_origin(server.origin).with_output(tmp_path / "demo.xml")


@pytest.fixture
def options(tmp_path: Path) -> BuildOptions:
    return BuildOptions(
        cache_dir=tmp_path / "cache", http=HttpSettings(concurrency=8), parse_workers=2
    )


def truth(site: DemoSite) -> dict[str, DemoEpisode]:
    return {e.key: e for e in site.episodes() if e.in_feed}


def test_cold_build_puts_every_episode_in_the_feed_once(
    server: DemoServer, config: FeedConfig, options: BuildOptions
) -> None:
    report = build(config, options)
    expected = truth(server.site)
    assert report.failed == ()
    assert report.episodes_in_feed == report.new == len(expected)
    assert len(report.skipped) == EPISODES - len(expected)
    assert report.requests == server.requests

    data = config.output.read_bytes()
    parsed = podcastparser.parse("file:///demo.xml", io.BytesIO(data))
    items = parsed["episodes"]
    assert sorted(i["guid"] for i in items) == sorted(expected)
    for item in items:
        episode = expected[item["guid"]]
        assert item["title"] == episode.title
        assert item["published"] == int(episode.published.timestamp())
        assert item["total_time"] == episode.duration
        (enclosure,) = item["enclosures"]
        assert enclosure["url"] == episode.audio_url
        assert enclosure["mime_type"] == "audio/mpeg"
        if episode.size_in_url:
            assert enclosure["file_size"] == episode.size
        assert item["link"] == episode.url
        assert item["episode_art_url"] == episode.image_url
    assert [i["published"] for i in items] == sorted((i["published"] for i in items), reverse=True)

    fp = feedparser.parse(data)
    assert not fp.bozo
    assert len(fp.entries) == len(expected)
    assert [f for f in check_feed(data) if f.level == "error"] == []


def test_rebuild_makes_no_episode_requests_and_same_bytes(
    server: DemoServer, config: FeedConfig, options: BuildOptions
) -> None:
    cold = build(config, options)
    first = config.output.read_bytes()
    server.reset_counts()
    report = build(config, options)
    assert server.counts["episode"] == 0
    assert server.requests <= 2
    assert report.new == 0 and report.cached == len(truth(server.site))
    # Skipped means every item left out on purpose, not only those this run happened to see.
    assert set(report.skipped) == set(cold.skipped)
    assert len(report.skipped) == EPISODES - len(truth(server.site))
    assert report.written is False
    assert config.output.read_bytes() == first


def test_new_episodes_cost_one_listing_page_and_their_own_pages(
    server: DemoServer, config: FeedConfig, options: BuildOptions
) -> None:
    build(config, options)
    server.site.add_episodes(5)
    server.reset_counts()
    report = build(config, options)
    added = list(server.site.episodes())[-5:]
    # Exclusives have no page; a listing that says "not available" spares the page too.
    needs_page = [e for e in added if not e.exclusive and not (e.listing_audio and not e.available)]
    assert server.counts["listing"] == 1
    assert server.counts["episode"] == len(needs_page)
    assert report.new == sum(1 for e in added if e.in_feed)
    assert report.episodes_in_feed == len(truth(server.site))


def test_full_rewalks_listings_but_fetches_no_known_episode(
    server: DemoServer, config: FeedConfig, options: BuildOptions
) -> None:
    build(config, options)
    server.reset_counts()
    build(config, BuildOptions(cache_dir=options.cache_dir, full=True))
    assert server.counts["listing"] >= -(-EPISODES // 24)
    # Only skipped items whose page may now have audio are looked at again; stored never.
    again = [
        e
        for e in server.site.episodes()
        if not e.in_feed and not e.exclusive and not (e.listing_audio and not e.available)
    ]
    assert server.counts["episode"] == len(again)


def test_reparse_is_offline_and_gives_the_same_feed(
    server: DemoServer, config: FeedConfig, options: BuildOptions
) -> None:
    build(config, options)
    before = config.output.read_bytes()
    server.reset_counts()
    report = build(config, BuildOptions(cache_dir=options.cache_dir, reparse=True))
    assert server.counts["episode"] == 0
    assert report.cached == len(truth(server.site))
    assert config.output.read_bytes() == before


def test_cli_build_end_to_end(server: DemoServer, config: FeedConfig, tmp_path: Path) -> None:
    feed = tmp_path / "show.toml"
    feed.write_text(DEMO_TOML.read_text().replace("http://127.0.0.1:8765", server.origin, 1))
    command = [
        sys.executable,
        "-m",
        "planetrss",
        "build",
        str(feed),
        "--cache-dir",
        str(tmp_path / "c"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith(
        f"show: {len(truth(server.site))} episodes in feed ({len(truth(server.site))} new, 0 cached, "
    )
    assert (tmp_path / "show.xml").exists()
    quiet = subprocess.run([*command, "--quiet"], capture_output=True, text=True, timeout=120)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")


def test_unchanged_inputs_skip_rendering_but_a_touched_feed_is_rebuilt(
    config: FeedConfig, options: BuildOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from planetrss.store import Store

    build(config, options)
    first = config.output.read_bytes()

    def no_reading(*args: object, **kwargs: object) -> None:
        raise AssertionError("a rebuild with nothing new must not read every episode back")

    with monkeypatch.context() as patch:
        patch.setattr(Store, "episodes", no_reading)
        report = build(config, options)
    assert (report.written, report.bytes_written) == (False, len(first))

    config.output.write_bytes(b"damaged by hand")  # not the file the last build wrote
    assert build(config, options).written is True
    assert config.output.read_bytes() == first

    fewer = dataclasses.replace(config, max_items=10)  # a changed definition renders anew
    report = build(fewer, options)
    assert report.written and report.episodes_in_feed == 10


def test_reparse_keeps_a_record_whose_page_no_longer_matches(
    server: DemoServer, config: FeedConfig, options: BuildOptions
) -> None:
    from planetrss.store import Store

    build(config, options)
    before = config.output.read_bytes()
    assert options.cache_dir is not None
    with Store(options.cache_dir, config.name) as store:
        ref = store.refs()[0]
        store.save_page(ref.url, "<html><body><p>A different page</p></body></html>")
    report = build(config, BuildOptions(cache_dir=options.cache_dir, reparse=True))
    (failure,) = report.failed
    assert failure.url == ref.url
    assert "could not re-extract (stored record kept)" in failure.reason
    assert report.cached == len(truth(server.site))
    assert config.output.read_bytes() == before
