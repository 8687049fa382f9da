"""Several sources, one feed, against the demo site on 127.0.0.1: its official-style feed
(UUID guids, a tracking prefix) and its scraped archive. Published guids never change."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from typer.testing import CliRunner

from planetrss.build import BuildOptions, build, merged_episodes
from planetrss.cli import app
from planetrss.config import FeedConfig, load_feed
from planetrss.demo.server import DemoServer
from planetrss.demo.site import DemoSite
from planetrss.errors import FeedRefusedError
from planetrss.feed import read_guids
from tests.conftest import CHANNEL

EPISODES = 60
OFFICIAL = (
    "[[sources]]\nsite = 'rss'\nname = 'official'\nurl = '{origin}/feeds/510289/podcast.xml'\n"
)
ARCHIVE = (
    "[[sources]]\nsite = 'npr'\nname = 'archive'\norigin = '{origin}'\n"
    "[sources.params]\npodcast_id = 510289\n"
)


@pytest.fixture
def site() -> DemoSite:
    return DemoSite(episodes=EPISODES, page_bytes=20_000, official_items=25)


@pytest.fixture
def server(site: DemoSite) -> Iterator[DemoServer]:
    with DemoServer(site) as running:
        yield running


def feed_file(folder: Path, origin: str, *parts: str, name: str = "show") -> FeedConfig:
    path = folder / f"{name}.toml"
    sources = "".join(part.format(origin=origin) for part in parts)
    path.write_text(f"output = 'show.xml'\n{sources}{CHANNEL}", encoding="utf-8")
    return load_feed(path)


def options(tmp_path: Path, **changes: object) -> BuildOptions:
    return BuildOptions(cache_dir=tmp_path / "cache", parse_workers=0, **changes)  # type: ignore[arg-type]


def items(config: FeedConfig) -> dict[str, str]:
    """guid -> title of the written feed, as feedparser reads it (no guid twice)."""
    parsed = feedparser.parse(config.output.read_bytes())
    guids = [entry.id for entry in parsed.entries]
    assert len(guids) == len(set(guids)), "a guid is listed twice"
    return {entry.id: entry.title for entry in parsed.entries}


def in_archive(site: DemoSite) -> int:
    return sum(e.in_feed for e in site.episodes())


def test_official_plus_archive_lists_every_episode_once_with_the_official_guid(
    server: DemoServer, site: DemoSite, tmp_path: Path
) -> None:
    config = feed_file(tmp_path, server.origin, OFFICIAL, ARCHIVE)
    report = build(config, options(tmp_path))
    assert report.failed == ()
    assert (report.new, report.cached) == (in_archive(site), 0)  # the feed's episodes
    published = items(config)
    assert len(published) == report.episodes_in_feed == in_archive(site)
    official = {site.official_guid(e.index): e for e in site.official_episodes()}
    assert set(official) <= set(published)  # every official episode under its own guid
    rest = set(published) - set(official)
    assert rest == {e.key for e in site.episodes() if e.in_feed} - {
        e.key for e in official.values()
    }
    # Official fields where they are better: exact lengths, no probing needed for them.
    parsed = {e.id: e for e in feedparser.parse(config.output.read_bytes()).entries}
    for guid, episode in official.items():
        enclosure = parsed[guid].enclosures[0]
        assert int(enclosure.length) == episode.size
        assert "/track/demo-510289/" in enclosure.href
        assert parsed[guid].link == episode.url  # the archive's page, also where it had none
    sources = {e.key: s for e, s in merged_episodes(config, tmp_path / "cache")}
    assert {sources[g] for g in official} == {("archive", "official")}
    assert {sources[g] for g in rest} == {("archive",)}
    # The CLI's view: each episode with its sources, as text and as JSON.
    cache = str(tmp_path / "cache")
    shown = CliRunner().invoke(app, ["episodes", str(config.path), "--cache-dir", cache])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert len(lines) == len(published)
    assert sum("  archive+official  " in line for line in lines) == len(official)
    as_json = CliRunner().invoke(
        app, ["episodes", str(config.path), "--json", "--cache-dir", cache]
    )
    rows = json.loads(as_json.output)
    assert {row["key"]: tuple(row["sources"]) for row in rows} == sources
    # Nothing new: one listing page and a 304 for the feed; the file is left alone.
    server.reset_counts()
    again = build(config, options(tmp_path))
    assert (again.new, again.written, again.requests) == (0, False, 2)
    assert again.cached == in_archive(site)


def test_adding_the_official_feed_to_an_archive_changes_no_published_guid(
    server: DemoServer, site: DemoSite, tmp_path: Path
) -> None:
    archive_only = feed_file(tmp_path, server.origin, ARCHIVE)
    build(archive_only, options(tmp_path))
    before = items(archive_only)
    # Episodes published since: in the official feed, so they get its guids.
    site.add_episodes(3)
    merged = feed_file(tmp_path, server.origin, OFFICIAL, ARCHIVE)
    report = build(merged, options(tmp_path))
    after = items(merged)
    assert set(before) <= set(after)
    new = set(after) - set(before)
    assert new == {site.official_guid(i) for i in range(EPISODES + 1, EPISODES + 4)} & new
    assert len(after) == report.episodes_in_feed == in_archive(site)


def test_turning_a_one_source_feed_into_a_merged_one_changes_no_published_guid(
    server: DemoServer, site: DemoSite, tmp_path: Path
) -> None:
    # The same feed name and cache, first in the one-source form (what planetmoney.toml was).
    path = tmp_path / "show.toml"
    path.write_text(
        f"site = 'npr'\norigin = '{server.origin}'\noutput = 'show.xml'\n"
        f"[params]\npodcast_id = 510289\n{CHANNEL}",
        encoding="utf-8",
    )
    one_source = load_feed(path)
    build(one_source, options(tmp_path))
    before = items(one_source)
    merged = feed_file(tmp_path, server.origin, OFFICIAL, ARCHIVE)
    assert merged.name == one_source.name
    build(merged, options(tmp_path))
    assert items(merged) == before
    build(merged, options(tmp_path, full=True))  # and again, from the registry alone
    assert items(merged) == before


def test_adding_the_archive_to_the_official_feed_changes_no_published_guid(
    server: DemoServer, site: DemoSite, tmp_path: Path
) -> None:
    official_only = feed_file(tmp_path, server.origin, OFFICIAL)
    build(official_only, options(tmp_path))
    before = items(official_only)
    assert set(before) == {site.official_guid(e.index) for e in site.official_episodes()}
    merged = feed_file(tmp_path, server.origin, ARCHIVE, OFFICIAL)  # order does not matter
    build(merged, options(tmp_path))
    after = items(merged)
    assert set(before) <= set(after)
    assert len(after) == in_archive(site)


def test_a_lost_cache_reads_the_guids_back_from_the_previous_feed_file(
    server: DemoServer, site: DemoSite, tmp_path: Path
) -> None:
    # Published from the archive alone (story ids), then the official feed was added
    # (UUIDs for what came later): a mix no rule would produce from scratch.
    archive_only = feed_file(tmp_path, server.origin, ARCHIVE)
    build(archive_only, options(tmp_path))
    site.add_episodes(2)
    merged = feed_file(tmp_path, server.origin, OFFICIAL, ARCHIVE)
    build(merged, options(tmp_path))
    before = items(merged)
    shutil.rmtree(tmp_path / "cache")
    report = build(merged, options(tmp_path))
    assert report.written is False  # the same bytes: every guid read back from the file
    assert items(merged) == before


def test_a_feed_that_would_drop_published_guids_is_refused(
    server: DemoServer, site: DemoSite, tmp_path: Path
) -> None:
    merged = feed_file(tmp_path, server.origin, OFFICIAL, ARCHIVE)
    build(merged, options(tmp_path))
    guids = read_guids(merged.output)
    # The cache is lost and the archive is gone: the official feed alone cannot hold them.
    shutil.rmtree(tmp_path / "cache")
    official_only = feed_file(tmp_path, server.origin, OFFICIAL)
    with pytest.raises(FeedRefusedError, match="would drop"):
        build(official_only, options(tmp_path))
    assert read_guids(merged.output) == guids


def test_one_failing_source_does_not_lose_the_others(
    server: DemoServer, site: DemoSite, tmp_path: Path
) -> None:
    broken = (
        "[[sources]]\nsite = 'rss'\nname = 'official'\nurl = '{origin}/feeds/999/podcast.xml'\n"
    )
    config = feed_file(tmp_path, server.origin, broken, ARCHIVE)
    report = build(config, options(tmp_path))
    assert report.episodes_in_feed == in_archive(site)
    assert [f.reason for f in report.failed] == ["source 'official': HTTP 404"]
    assert report.failed[0].url.endswith("/feeds/999/podcast.xml")
