"""Rendering: real podcast parsers read back exactly what we wrote; writes are atomic."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import re
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import overload

import feedparser
import podcastparser
import pytest
from lxml import etree

from planetrss import feed
from planetrss.check import Finding, check_feed
from planetrss.config import FeedConfig
from planetrss.feed import (
    ByteSink,
    enclosure_type,
    read_guids,
    render_feed,
    render_feed_to,
    sanitize_html,
    select_episodes,
    truncate_bytes,
    write_feed,
    write_feed_stream,
)
from planetrss.models import Episode
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


# --- streaming ---------------------------------------------------------------------------


def whole_tree_render(config: FeedConfig, episodes: list[Episode]) -> bytes:
    """The feed as rendered before streaming: feedgen builds one tree with every item."""
    chosen = select_episodes(config, episodes)
    fg = feed._channel(config, chosen[0] if chosen else None)
    for episode in chosen:
        fg.add_entry(feed._entry(episode), order="append")
    return bytes(fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True))


def varied_episodes() -> list[Episode]:
    episodes = [make_episode(n) for n in range(1, 25)]
    return [
        *episodes,
        make_episode(
            30,
            title="Bad\x00 title\x1b ]]> & <b>",
            summary="]]> summary \x07",
            notes_html='<p onclick="x()">Keep <a href="https://e.org/">link</a> ]]></p>'
            "<script>alert(1)</script><style>p{}</style>",
        ),
        make_episode(31, title="   ", summary="", notes_html=""),
        make_episode(
            32,
            title="Ünïcödé — “quotes” 🎧",
            summary="é" * 5000,
            notes_html="<ul><li>a</li><li>b &amp; c\r\n\tindented</li></ul>" * 200,
        ),
        make_episode(
            33,
            audio_size=None,
            duration=None,
            image_url=None,
            transcript_url="http://example.org/t",
            episode_number=None,
            audio_url="https://x.example/a.M4A",
        ),
        # Same date as episode 5: the key breaks the tie.
        make_episode(34, published=episodes[4].published, key="500000005a"),
    ]


def feed_variants(config: FeedConfig) -> dict[str, FeedConfig]:
    public = dataclasses.replace(config, public_url="https://example.org/feed.xml")
    channel = dataclasses.replace(
        config.channel,
        new_feed_url="https://example.org/new.xml",
        locked=True,
        explicit=True,
        type="serial",
        copyright="© 2020 <Tester> & co",
    )
    return {
        "plain": config,
        "public-url-and-channel-options": dataclasses.replace(public, channel=channel),
        "max-items": dataclasses.replace(config, max_items=3),
        "filters": dataclasses.replace(config, include=("^Episode",), exclude=(r"(?i)1\d:",)),
    }


@pytest.mark.parametrize(
    "variant", ["plain", "public-url-and-channel-options", "max-items", "filters"]
)
def test_streaming_gives_the_whole_tree_bytes(feed_config: FeedConfig, variant: str) -> None:
    config = feed_variants(feed_config)[variant]
    episodes = varied_episodes()
    expected = whole_tree_render(config, episodes)
    out = io.BytesIO()
    count = render_feed_to(config, list(reversed(episodes)), out)
    assert out.getvalue() == expected
    assert render_feed(config, episodes) == expected
    assert count == len(select_episodes(config, episodes)) == expected.count(b"<item>")


def test_streaming_a_feed_without_items(feed_config: FeedConfig) -> None:
    config = dataclasses.replace(feed_config, include=("^Nothing matches",))
    out = io.BytesIO()
    assert render_feed_to(config, varied_episodes(), out) == 0
    # With no items feedgen dates the channel by the clock: compare without it.
    clock = re.compile(rb"<lastBuildDate>[^<]*</lastBuildDate>")
    assert clock.sub(b"", out.getvalue()) == clock.sub(b"", whole_tree_render(config, []))
    assert b"<item>" not in out.getvalue()


class LazyEpisodes(Sequence[Episode]):
    """Episodes made on demand, as a store-backed sequence would load them."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.loads = 0

    def __len__(self) -> int:
        return self.count

    @overload
    def __getitem__(self, index: int) -> Episode: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Episode]: ...
    def __getitem__(self, index: int | slice) -> Episode | Sequence[Episode]:
        if isinstance(index, slice):
            raise NotImplementedError
        if not 0 <= index < self.count:
            raise IndexError(index)
        self.loads += 1
        return make_episode(index + 1)


def test_streaming_reads_a_lazy_sequence(feed_config: FeedConfig, tmp_path: Path) -> None:
    config = dataclasses.replace(feed_config, max_items=5)
    lazy = LazyEpisodes(40)
    path = tmp_path / "feed.xml"
    with path.open("wb") as out:
        assert render_feed_to(config, lazy, out) == 5
    assert path.read_bytes() == render_feed(config, [make_episode(n) for n in range(1, 41)])
    assert lazy.loads <= 40 + 5 + 1  # one pass to sort, then only the chosen ones


def test_write_feed_stream_reports_and_skips_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "out" / "feed.xml"

    def render(data: bytes) -> Callable[[ByteSink], None]:
        def write(out: ByteSink) -> None:  # in two pieces, as a renderer writes
            out.write(data[:2])
            out.write(data[2:])

        return write

    first = write_feed_stream(path, render(b"one two"))
    assert first.written and path.read_bytes() == b"one two"
    assert (first.size, first.sha256) == (7, hashlib.sha256(b"one two").hexdigest())
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    mtime = path.stat().st_mtime_ns
    again = write_feed_stream(path, render(b"one two"))
    assert (again.written, again.size, again.sha256) == (False, first.size, first.sha256)
    assert path.stat().st_mtime_ns == mtime
    assert write_feed_stream(path, render(b"one owt")).written  # same size, other bytes
    assert path.read_bytes() == b"one owt"
    assert sorted(os.listdir(path.parent)) == ["feed.xml"]


def test_write_feed_stream_checks_the_new_file_before_replacing(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(b"old")
    seen: list[bytes] = []

    def refuse(temp: Path) -> None:
        assert temp.parent == tmp_path and temp != path
        seen.append(temp.read_bytes())
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        write_feed_stream(path, lambda out: out.write(b"new"), check=refuse)
    assert seen == [b"new"]
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["feed.xml"]

    def crash(out: ByteSink) -> None:
        out.write(b"half")
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError, match="render failed"):
        write_feed_stream(path, crash)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["feed.xml"]


def test_streamed_feed_round_trip(feed_config: FeedConfig, tmp_path: Path) -> None:
    config = dataclasses.replace(feed_config, public_url="https://example.org/feed.xml")
    episodes = [make_episode(n) for n in range(1, 20)]
    path = tmp_path / "feed.xml"
    findings: list[Finding] = []
    result = write_feed_stream(
        path,
        lambda out: render_feed_to(config, episodes, out),
        check=lambda temp: findings.extend(check_feed(temp)),
    )
    assert findings == []
    assert result.written and path.read_bytes() == render_feed(config, episodes)
    assert read_guids(path) == {e.key for e in episodes}


def test_read_guids_reads_only_channel_items(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(
        b"<rss><channel><item><guid> a </guid><guid>b</guid></item><title>t</title>"
        b"<item><guid/><item><guid>nested</guid></item></item><item><guid>c</guid></item>"
        b"</channel><other><item><guid>d</guid></item></other></rss>"
    )
    assert read_guids(path) == {"a", "b", "c"}
    path.write_bytes(b"<rss><channel><item><guid>a</guid></item>")
    assert read_guids(path) == set()  # a broken feed is nothing to protect
    assert read_guids(tmp_path / "missing.xml") == set()


def test_a_channel_left_out_is_filled_from_the_name_origin_and_newest_art(
    feed_config: FeedConfig,
) -> None:
    blank = dataclasses.replace(feed_config.channel, title="", description="", link="", image="")
    config = dataclasses.replace(feed_config, channel=blank)
    older = dataclasses.replace(make_episode(1), image_url="https://art.example/old.jpg")
    newer = dataclasses.replace(make_episode(2), image_url="https://art.example/new.jpg")
    assert newer.published > older.published
    parsed = parse_podcast(render_feed(config, [older, newer]))
    assert parsed["title"] == config.name
    assert parsed["link"] == config.origin + "/"
    assert parsed["cover_url"] == "https://art.example/new.jpg"
    assert config.origin in parsed["description"]
    # What the definition gives is kept.
    assert feed.channel_of(feed_config, newer) == feed_config.channel
