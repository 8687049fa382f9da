"""End to end on the demo's other site shapes, with the shipped definitions: a podcast
host's site read by `generic` (numbered pages, JSON-LD), a blog read by `generic` (its
sitemap) and by `selectors` (its rel=next pages). Real HTTP on 127.0.0.1, a real cache,
feeds read back by podcastparser and held against the sites' own truth."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import podcastparser
import pytest

from planetrss.build import BuildOptions, build
from planetrss.config import BUILTIN_FEEDS, FeedConfig, load_feed
from planetrss.demo.server import DemoServer
from planetrss.demo.shapes import BlogSite, HostedSite, ShowEpisode
from planetrss.http import HttpSettings

pytestmark = pytest.mark.e2e


@pytest.fixture
def options(tmp_path: Path) -> BuildOptions:
    return BuildOptions(
        cache_dir=tmp_path / "cache", http=HttpSettings(concurrency=8), parse_workers=1
    )


@pytest.fixture(scope="module")
def hosted() -> Iterator[DemoServer]:
    with DemoServer(HostedSite(episodes=30)) as server:
        yield server


@pytest.fixture(scope="module")
def blog() -> Iterator[DemoServer]:
    with DemoServer(BlogSite(episodes=20)) as server:
        yield server


def definition(name: str, server: DemoServer, tmp_path: Path) -> FeedConfig:
    config = load_feed(BUILTIN_FEEDS / f"{name}.toml")
    return config.with_origin(server.origin).with_output(tmp_path / f"{name}.xml")


def items_by_link(config: FeedConfig) -> dict[str, dict[str, object]]:
    data = config.output.read_bytes()
    parsed = podcastparser.parse("file:///feed.xml", io.BytesIO(data))
    return {str(item["link"]): item for item in parsed["episodes"]}


def check_items(
    items: dict[str, dict[str, object]], truth: list[ShowEpisode], origin: str, durations: bool
) -> None:
    assert sorted(items) == sorted(origin + ep.path for ep in truth)
    for ep in truth:
        item = items[origin + ep.path]
        assert item["title"] == ep.title
        assert item["published"] == int(ep.published.timestamp())
        (enclosure,) = item["enclosures"]  # type: ignore[misc]
        assert enclosure["url"] == origin + str(ep.audio_path)
        if durations:
            assert item["total_time"] == ep.duration


def test_hosted_site_with_generic(
    hosted: DemoServer, tmp_path: Path, options: BuildOptions
) -> None:
    site = hosted.site
    assert isinstance(site, HostedSite)
    config = definition("demo-hosted", hosted, tmp_path)
    report = build(config, options)
    assert report.failed == ()
    assert report.episodes_in_feed == report.new == 30
    assert report.listing_pages == site.pages  # page 4 of 3 is a 404: the end, not a failure
    items = items_by_link(config)
    check_items(items, [site.episode(i) for i in range(1, 31)], hosted.origin, durations=True)
    # The JSON-LD's file, not og:audio's tracking redirect; the channel from the episodes.
    assert all("stats.podhost" not in str(item["enclosures"]) for item in items.values())
    parsed = podcastparser.parse("file:///f.xml", io.BytesIO(config.output.read_bytes()))
    assert parsed["title"] == "demo-hosted"
    assert parsed["cover_url"] == f"{hosted.origin}/art/{30 % 5}.jpg"


def test_blog_with_generic_through_its_sitemap(
    blog: DemoServer, tmp_path: Path, options: BuildOptions
) -> None:
    site = blog.site
    assert isinstance(site, BlogSite)
    config = definition("demo-blog", blog, tmp_path)
    report = build(config, options)
    with_audio = [site.episode(i) for i in range(1, 21) if site.has_audio(i)]
    assert report.failed == ()
    assert report.episodes_in_feed == len(with_audio) == 18
    # The two announcements have no audio; /about/ and /contact/ are not episodes at all.
    assert (
        sorted(skip.reason for skip in report.skipped)
        == ["no audio on the page (JSON-LD, og:audio, <audio>, audio links)"] * 2
    )
    check_items(items_by_link(config), with_audio, blog.origin, durations=False)


def test_blog_with_selectors_through_its_pages(
    blog: DemoServer, tmp_path: Path, options: BuildOptions
) -> None:
    site = blog.site
    assert isinstance(site, BlogSite)
    config = definition("demo-blog-css", blog, tmp_path)
    report = build(config, options)
    with_audio = [site.episode(i) for i in range(1, 21) if site.has_audio(i)]
    assert report.failed == ()
    assert report.episodes_in_feed == len(with_audio)
    assert report.listing_pages == site.pages
    assert len(report.skipped) == 2
    check_items(items_by_link(config), with_audio, blog.origin, durations=True)
