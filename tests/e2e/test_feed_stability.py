"""What players depend on never moves: guids and enclosure URLs survive rebuilds,
--reparse, and a site that retitles episodes or changes its tracking parameters."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from planetrss.build import BuildOptions, build
from planetrss.config import FeedConfig, load_feed
from planetrss.demo.server import DemoServer, Fault
from planetrss.demo.site import DemoSite
from planetrss.errors import FeedRefusedError
from tests.conftest import DEMO_TOML


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with DemoServer(DemoSite(episodes=50)) as running:
        yield running


@pytest.fixture
def config(server: DemoServer, tmp_path: Path) -> FeedConfig:
    return load_feed(DEMO_TOML).with_origin(server.origin).with_output(tmp_path / "demo.xml")


def items(path: Path) -> dict[str, tuple[str, str]]:
    """guid -> (title, enclosure url)."""
    root = etree.parse(str(path)).getroot()
    return {
        i.findtext("guid"): (i.findtext("title"), i.find("enclosure").get("url"))
        for i in root.iter("item")
    }


def retitled_and_retracked(server: DemoServer) -> None:
    """From now on the site shows other titles and other tracking parameters."""

    def rewrite(target: str) -> Fault | None:
        response = server.site.respond(target)
        if response.kind not in ("listing", "episode"):
            return None
        body = response.body.decode("utf-8")
        body = re.sub(r"Episode (\d+):", r"Ep. \1 -", body)
        body = body.replace("t=podcast", "t=podcast&utm_source=feed")
        return Fault(response.status, {"Content-Type": response.content_type}, body.encode("utf-8"))

    server.fault = rewrite


def test_guids_and_enclosures_never_move(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    options = BuildOptions(cache_dir=tmp_path / "cache")
    build(config, options)
    before = items(config.output)
    assert any(title.startswith("Episode ") for title, _ in before.values())

    retitled_and_retracked(server)
    build(config, BuildOptions(cache_dir=options.cache_dir, full=True))
    assert items(config.output) == before

    build(config, BuildOptions(cache_dir=options.cache_dir, reparse=True))
    assert items(config.output) == before

    # A cold cache reads the changed site: new titles, but the same guids.
    cold = config.with_output(tmp_path / "cold.xml")
    build(cold, BuildOptions(cache_dir=tmp_path / "cold-cache"))
    after = items(cold.output)
    assert set(after) == set(before)
    assert any(title.startswith("Ep. ") for title, _ in after.values())


def test_probe_sizes_fill_unknown_lengths_once(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    options = BuildOptions(cache_dir=tmp_path / "cache", probe_sizes=True)
    build(config, options)
    truth = {e.key: e for e in server.site.episodes() if e.in_feed}
    root = etree.parse(str(config.output)).getroot()
    for item in root.iter("item"):
        assert int(item.find("enclosure").get("length")) == truth[item.findtext("guid")].size
    assert server.counts["media"] == sum(1 for e in truth.values() if not e.size_in_url)
    server.reset_counts()
    build(config, options)
    assert server.counts["media"] == 0  # probed sizes are cached per URL


def test_a_failed_size_probe_is_reported_once_and_not_retried_in_the_same_build(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    # The audio host refuses HEAD (404 is not retried): every probe fails.
    server.fault = lambda target: Fault(404) if target.startswith("/media/") else None
    report = build(config, BuildOptions(cache_dir=tmp_path / "cache", probe_sizes=True))
    unsized = {e.audio_url for e in server.site.episodes() if e.in_feed and not e.size_in_url}
    probes = [f for f in report.failed if f.reason.startswith("size probe")]
    assert sorted(f.url for f in probes) == sorted(unsized)  # one failure per URL
    assert server.counts["media"] == len(unsized)  # the post-crawl pass did not ask again
    server.reset_counts()
    build(config, BuildOptions(cache_dir=tmp_path / "cache", probe_sizes=True))
    assert server.counts["media"] == len(unsized)  # failures are retried by the next build


def test_a_feed_failing_its_checks_is_not_written(
    config: FeedConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Our renderer cannot write these mistakes; the check is the net under it, so a
    # renderer regression is simulated: the old yes/no explicit value.
    from planetrss import feed

    render_to = feed.render_feed_to

    def regressed(config: FeedConfig, episodes: object, out: feed.ByteSink) -> int:
        buffer = io.BytesIO()
        count = render_to(config, episodes, buffer)  # type: ignore[arg-type]
        out.write(buffer.getvalue().replace(b"<itunes:explicit>false<", b"<itunes:explicit>no<"))
        return count

    monkeypatch.setattr(feed, "render_feed_to", regressed)
    with pytest.raises(
        FeedRefusedError,
        match=r"fails 1 check, first: channel: .*\[channel-explicit-invalid\]",
    ):
        build(config, BuildOptions(cache_dir=tmp_path / "cache"))
    assert not config.output.exists()
