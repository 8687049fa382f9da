"""Rendering: real podcast parsers read back exactly what we wrote; writes are atomic."""

from __future__ import annotations

import dataclasses
import io
import os
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import podcastparser
import pytest
from lxml import etree

from planetrss.config import FeedConfig
from planetrss.feed import (
    enclosure_type,
    render_feed,
    sanitize_html,
    truncate_bytes,
    write_feed,
)
from planetrss.standards import podcast_guid
from tests.conftest import make_episode


def parse_podcast(data: bytes) -> dict:  # type: ignore[type-arg]
    return podcastparser.parse("https://example.org/feed.xml", io.BytesIO(data))  # type: ignore[no-any-return]


def test_players_read_back_every_field(feed_config: FeedConfig) -> None:
    episodes = [make_episode(n) for n in range(1, 6)]
    data = render_feed(feed_config, episodes)
    parsed = parse_podcast(data)
    assert parsed["title"] == "Test Show"
    assert parsed["cover_url"] == "https://example.org/art.jpg?s=1400"
    assert parsed["explicit"] is False
    assert parsed["itunes_categories"] == [["News", "Business News"]]
    by_guid = {e["guid"]: e for e in parsed["episodes"]}
    assert len(parsed["episodes"]) == 5 == len(by_guid)
    for episode in episodes:
        item = by_guid[episode.key]
        assert item["title"] == episode.title
        assert item["published"] == int(episode.published.timestamp())
        assert item["total_time"] == episode.duration
        assert item["enclosures"] == [
            {"url": episode.audio_url, "file_size": episode.audio_size, "mime_type": "audio/mpeg"}
        ]
        assert item["episode_art_url"] == episode.image_url
        assert item["number"] == episode.episode_number
        assert item["link"] == episode.url
    # Newest first.
    assert [e["guid"] for e in parsed["episodes"]] == [e.key for e in reversed(episodes)]

    fp = feedparser.parse(data)
    assert not fp.bozo, fp.bozo_exception
    assert [e.id for e in fp.entries] == [e.key for e in reversed(episodes)]
    assert fp.entries[0].guidislink is False


def test_xml_details_players_and_validators_need(feed_config: FeedConfig) -> None:
    config = dataclasses.replace(feed_config, public_url="https://example.org/feed.xml")
    root = etree.fromstring(render_feed(config, [make_episode(1)]))
    ns = {
        "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
        "podcast": "https://podcastindex.org/namespace/1.0",
        "atom": "http://www.w3.org/2005/Atom",
    }
    channel = root.find("channel")
    assert (
        channel.findtext("itunes:explicit", namespaces=ns) == "true"
        or channel.findtext("itunes:explicit", namespaces=ns) == "false"
    )
    self_link = channel.find("atom:link", ns)
    assert (
        self_link.get("rel") == "self" and self_link.get("href") == "https://example.org/feed.xml"
    )
    assert channel.findtext("link") == "https://example.org/show"
    assert channel.findtext("podcast:guid", namespaces=ns) == podcast_guid(
        "https://example.org/feed.xml"
    )
    item = channel.find("item")
    assert item.find("guid").get("isPermaLink") == "false"
    pub = item.findtext("pubDate")
    assert parsedate_to_datetime(pub) == make_episode(1).published
    assert pub.startswith(make_episode(1).published.strftime("%a, "))
    assert item.find("podcast:transcript", ns) is not None
    assert channel.findtext("lastBuildDate") == pub


def test_podcast_guid_matches_the_namespace_spec() -> None:
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_same_episodes_same_bytes(feed_config: FeedConfig) -> None:
    episodes = [make_episode(n) for n in range(1, 30)]
    assert render_feed(feed_config, episodes) == render_feed(feed_config, list(reversed(episodes)))


def test_hostile_text_is_cleaned(feed_config: FeedConfig) -> None:
    episode = make_episode(
        1,
        title="Bad\x00 title\x1b",
        summary="]]> summary \x07",
        notes_html='<p onclick="x()">Keep <a href="https://e.org/" onmouseover="y">link</a> ]]></p>'
        "<script>alert(1)</script><style>p{}</style><a href='javascript:alert(1)'>js</a>",
    )
    data = render_feed(feed_config, [episode])
    item = parse_podcast(data)["episodes"][0]
    assert item["title"] == "Bad title"
    assert "]]>" in item["description"]
    html = item["description_html"]
    assert '<a href="https://e.org/">link</a>' in html
    for bad in ("script", "alert", "style", "onclick", "onmouseover", "javascript"):
        assert bad not in html


def test_sanitize_keeps_structure() -> None:
    assert sanitize_html("<p>a <em>b</em><br><img src=x></p>") == "<p>a <em>b</em><br></p>"


def test_descriptions_are_capped_at_4000_bytes(feed_config: FeedConfig) -> None:
    long = "é" * 5000
    assert len(truncate_bytes(long).encode()) <= 4000
    assert truncate_bytes("short") == "short"
    data = render_feed(feed_config, [make_episode(1, summary=long)])
    item = parse_podcast(data)["episodes"][0]
    assert len(item["description"].encode()) <= 4000


def test_max_items_keeps_the_newest(feed_config: FeedConfig) -> None:
    config = dataclasses.replace(feed_config, max_items=3)
    parsed = parse_podcast(render_feed(config, [make_episode(n) for n in range(1, 11)]))
    assert [e["number"] for e in parsed["episodes"]] == [10, 9, 8]


@pytest.mark.parametrize(
    ("url", "mime"),
    [
        ("https://x/a.mp3?d=1", "audio/mpeg"),
        ("https://x/a.M4A", "audio/mp4"),
        ("https://x/a.ogg", "audio/ogg"),
        ("https://x/stream", "audio/mpeg"),
    ],
)
def test_enclosure_type_from_extension(url: str, mime: str) -> None:
    assert enclosure_type(url) == mime


def test_unknown_size_is_written_as_zero(feed_config: FeedConfig) -> None:
    data = render_feed(feed_config, [make_episode(1, audio_size=None)])
    assert etree.fromstring(data).find("channel/item/enclosure").get("length") == "0"
    # podcastparser reads 0 as "unknown" (it reports -1): the player then asks the server.
    assert parse_podcast(data)["episodes"][0]["enclosures"][0]["file_size"] <= 0


def test_write_feed_is_atomic_and_skips_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "out" / "feed.xml"
    assert write_feed(path, b"one") is True
    assert path.read_bytes() == b"one"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    mtime = path.stat().st_mtime_ns
    assert write_feed(path, b"one") is False
    assert path.stat().st_mtime_ns == mtime
    assert write_feed(path, b"two") is True
    assert path.read_bytes() == b"two"
    assert sorted(os.listdir(path.parent)) == ["feed.xml"]


def test_failed_write_leaves_the_old_feed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"old")

    def crash(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_feed(path, b"new")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["feed.xml"]


def test_title_filters(feed_config: FeedConfig) -> None:
    episodes = [
        make_episode(1, title="Episode 1: Apples"),
        make_episode(2, title="Bonus: Pears"),
        make_episode(3, title="Episode 3: Plums (Classic)"),
    ]
    config = dataclasses.replace(feed_config, include=("^Episode",), exclude=(r"(?i)\(classic\)",))
    titles = [e["title"] for e in parse_podcast(render_feed(config, episodes))["episodes"]]
    assert titles == ["Episode 1: Apples"]


def test_channel_options_reach_the_xml(feed_config: FeedConfig) -> None:
    channel = dataclasses.replace(
        feed_config.channel,
        new_feed_url="https://example.org/new.xml",
        locked=True,
        explicit=True,
        type="serial",
    )
    root = etree.fromstring(
        render_feed(dataclasses.replace(feed_config, channel=channel), [make_episode(1)])
    )
    ns = {
        "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
        "podcast": "https://podcastindex.org/namespace/1.0",
    }
    channel_el = root.find("channel")
    assert (
        channel_el.findtext("itunes:new-feed-url", namespaces=ns) == "https://example.org/new.xml"
    )
    assert channel_el.findtext("itunes:explicit", namespaces=ns) == "true"
    assert channel_el.findtext("itunes:type", namespaces=ns) == "serial"
    locked = channel_el.find("podcast:locked", ns)
    assert (locked.text, locked.get("owner")) == ("yes", "tester@example.org")


def test_http_transcripts_are_left_out_not_upgraded(feed_config: FeedConfig) -> None:
    root = etree.fromstring(
        render_feed(feed_config, [make_episode(1, transcript_url="http://example.org/t/1")])
    )
    assert root.find("channel/item/{https://podcastindex.org/namespace/1.0}transcript") is None


def test_our_output_passes_our_own_check(feed_config: FeedConfig) -> None:
    from planetrss.check import check_feed

    config = dataclasses.replace(feed_config, public_url="https://example.org/feed.xml")
    findings = check_feed(render_feed(config, [make_episode(n) for n in range(1, 20)]))
    assert findings == []
