"""`planetrss init` against the demo's hosted and blog sites on 127.0.0.1, and its guesses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planetrss.build import make_site
from planetrss.cli import app
from planetrss.config import load_feed
from planetrss.demo.server import DemoServer
from planetrss.demo.shapes import BlogSite, HostedSite
from planetrss.discover import infer_page_template, infer_pattern

runner = CliRunner()


@pytest.fixture(scope="module")
def hosted() -> Iterator[DemoServer]:
    with DemoServer(HostedSite(40)) as server:
        yield server


@pytest.fixture(scope="module")
def blog() -> Iterator[DemoServer]:
    with DemoServer(BlogSite(30)) as server:
        yield server


def test_pattern_from_episode_urls() -> None:
    urls = [
        "https://blog.example/2016/01/09/why-cafe-matters/",
        "https://blog.example/2015/12/30/show-update/",
    ]
    pattern = infer_pattern(urls)
    assert pattern == r"^https://blog\.example/\d{4}/\d{2}/\d{2}/[^/]+/?$"
    assert re.search(pattern, "https://blog.example/2011/02/03/another-one/")
    assert not re.search(pattern, "https://blog.example/about/")
    # Nothing to generalise from: no pattern rather than a wrong one.
    assert infer_pattern(urls[:1]) is None
    assert infer_pattern(["https://a.example/x/1", "https://b.example/x/2"]) is None
    assert infer_pattern(["https://a.example/x/1", "https://a.example/x/2/3"]) is None


def test_page_template_from_the_second_page() -> None:
    start = "https://show.example/episodes/"
    assert infer_page_template(start, start + "page/2/") == start + "page/{page}/"
    assert infer_page_template(start, start + "?paged=2") == start + "?paged={page}"
    assert infer_page_template(start, start + "older-episodes") is None


def test_init_on_a_hosted_site_writes_a_definition_that_loads(
    hosted: DemoServer, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["init", hosted.origin + "/episodes/", "--feeds-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"page:       {hosted.origin}/episodes/ (The Workshop Hour)" in out
    assert "  episodes: 12 links" in out
    assert f"next page:  {hosted.origin}/episodes/page/2/, 12 episode links" in out
    assert "JSON-LD AudioObject" in out and "PodcastEpisode" in out
    assert f"RSS feed:   {hosted.origin}/feed.xml" in out
    assert f"audio (json-ld) {hosted.origin}/media/workshop-0040.mp3" in out
    path = tmp_path / "the-workshop-hour.toml"
    assert f"wrote {path}" in out
    config = load_feed(path)
    site = make_site(config)
    assert config.site == "generic" and config.channel.title == "The Workshop Hour"
    assert site.is_episode_url(hosted.origin + "/episodes/7-a-slug")  # type: ignore[attr-defined]
    assert not site.is_episode_url(hosted.origin + "/episodes/page/3/")  # type: ignore[attr-defined]
    assert config.params["page_template"] == hosted.origin + "/episodes/page/{page}/"


def test_init_finds_a_blogs_sitemap_and_never_overwrites(blog: DemoServer, tmp_path: Path) -> None:
    args = ["init", blog.origin + "/", "--name", "field-notes", "--feeds-dir", str(tmp_path)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert f"sitemap:    {blog.origin}/sitemap.xml: 32 pages, 30 look like episodes" in first.output
    assert "  signals:  1 <audio>" in first.output
    path = tmp_path / "field-notes.toml"
    written = path.read_text(encoding="utf-8")
    assert f'# start = "{blog.origin}/sitemap.xml"' in written
    load_feed(path)
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert again.output.strip() == (
        f"planetrss: error: {path}: already exists; init never overwrites: pick another --name"
    )
    assert path.read_text(encoding="utf-8") == written


def test_init_on_an_unreachable_site_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "http://127.0.0.1:9/", "--feeds-dir", str(tmp_path)])
    assert result.exit_code == 3
    assert result.output.startswith("planetrss: error: cannot fetch http://127.0.0.1:9/: ")
    assert list(tmp_path.iterdir()) == []
