"""Hostile text and bytes: control characters, `]]>`, `<script>`, emoji, right-to-left
text, very long strings, invalid UTF-8, bogus charsets.

The feed must stay well-formed for lxml, feedparser and podcastparser, keep every
episode with its title (less what XML cannot carry), and never carry a script; the NPR
parser must fail only with ExtractError; bad bytes on the wire must not stop a build.
"""

from __future__ import annotations

import asyncio
import html
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import lxml.html
import podcastparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from planetrss.build import build
from planetrss.config import FeedConfig, load_feed
from planetrss.demo import DemoServer, DemoSite, Fault
from planetrss.demo.site import npr_json
from planetrss.feed import render_feed
from planetrss.http import Fetcher, make_client
from planetrss.models import Audio, Episode, EpisodeRef, Skip
from planetrss.sites import ExtractError, extract
from planetrss.sites.npr import NprSite
from tests.reliability.conftest import (
    DEMO_TOML,
    EPISODES,
    PAGE_BYTES,
    QUICK_HTTP,
    feed_items,
    in_feed,
    quick_options,
)

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
#: What XML 1.0 cannot carry (the Char production), surrogates aside: never generated,
#: since no UTF-8 text holds them.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ENTITY = re.compile(r"&#?\w+;")
C1_CONTROLS = re.compile("[\x80-\x9f]")

NASTY = [
    "]]>",
    "<![CDATA[",
    "<!--",
    "-->",
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.test/x.js></SCRIPT>",
    "<scr<script>ipt>alert(2)</script>",
    '<img src=x onerror="alert(3)">',
    '<a href="javascript:alert(4)">x</a>',
    "&",
    "&amp;",
    "&lt;script&gt;",
    "&#0;",
    "&bogus;",
    "\x00",
    "\x01",
    "\x1b[31m",
    "\x0b",
    "\x0c",
    "\x7f",
    "\x85",
    "\ufffe",
    "\uffff",
    "\ufeff",
    "\u202e",
    "\u200f",
    "\u2028",
    "\r\n",
    "\r",
    "\t",
    "  ",
    "שלום עולם",
    "مرحبا بالعالم",
    "🎙️",
    "👩\u200d👩\u200d👧",
    "Z\u0351\u0367\u0300",
    "'\"",
]

_any_char = st.characters(codec="utf-8")  # no lone surrogates: they cannot be UTF-8
hostile = st.lists(
    st.one_of(st.sampled_from(NASTY), st.text(_any_char, max_size=12)), max_size=8
).map("".join)
very_long = st.builds(lambda s, n: (s or "x") * n, hostile, st.integers(200, 600))
hostile_text = st.one_of(hostile, hostile, very_long)


def xml_clean(text: str) -> str:
    return XML_FORBIDDEN.sub("", text)


def has_visible(text: str) -> bool:
    return bool(xml_clean(text).strip())


def words(text: str) -> str:
    """Whitespace collapsed, as feed readers show titles."""
    return " ".join(text.split())


CONFIG: FeedConfig = load_feed(DEMO_TOML)
START = datetime(2021, 3, 1, 9, 30, tzinfo=UTC)


def episode(n: int, title: str, summary: str, notes: str) -> Episode:
    return Episode(
        key=f"{510000000 + n}",
        title=title,
        url=f"https://www.npr.org/2021/03/{n + 1:02d}/{510000000 + n}/episode",
        published=START + timedelta(days=n),
        audio_url=f"https://media.example.org/{n}.mp3?size=1234",
        audio_size=1234,
        duration=1500,
        summary=summary,
        notes_html=notes,
    )


# --- (a) rendering hostile records ---------------------------------------------------

hostile_episodes = st.lists(
    st.tuples(hostile_text.filter(has_visible), hostile_text, hostile_text),
    min_size=1,
    max_size=4,
).map(lambda rows: [episode(n, *row) for n, row in enumerate(rows)])


@settings(max_examples=100, deadline=None)
@given(hostile_episodes)
def test_hostile_records_render_a_feed_every_parser_reads(episodes: list[Episode]) -> None:
    data = render_feed(CONFIG, episodes)
    newest_first = sorted(episodes, key=lambda e: e.published, reverse=True)
    keys = [e.key for e in newest_first]
    titles = [xml_clean(e.title) for e in newest_first]

    # lxml: well-formed, the same episodes, the titles exactly (less what XML forbids).
    root = etree.fromstring(data)
    items = root.findall("channel/item")
    assert [i.findtext("guid") for i in items] == keys
    assert [i.findtext("title") for i in items] == titles
    for item in items:
        notes = item.findtext(CONTENT) or ""
        assert "<script" not in notes.lower()
        assert "javascript:" not in notes.lower() and "onerror" not in notes.lower()

    # feedparser: no complaint, the same episodes and titles. (It takes a title that looks
    # like markup or holds an entity-like "&amp;" for HTML and decodes or sanitizes it,
    # and reads C1 controls the HTML5 way, as Windows-1252 characters: titles holding
    # any of these are its business, left out here.)
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.id for e in parsed.entries] == keys
    for entry, title in zip(parsed.entries, titles, strict=True):
        if "<" not in title and not ENTITY.search(title) and not C1_CONTROLS.search(title):
            assert words(entry.title) == words(title)

    # podcastparser (gPodder): every episode, by guid, with its title.
    show = podcastparser.parse("https://example.org/feed.xml", io.BytesIO(data))
    by_guid = {e["guid"]: e for e in show["episodes"]}
    assert sorted(by_guid) == sorted(keys)
    for key, title in zip(keys, titles, strict=True):
        assert words(by_guid[key]["title"]) == words(title)


@pytest.mark.parametrize("title", ["\x00", "\x1b\x07", "\ufffe\uffff", "\x0b \x0c"])
def test_a_title_of_only_forbidden_characters_still_renders(title: str) -> None:
    """The NPR parser keeps U+FFFE/U+FFFF (it strips only C0 controls), so such a title
    reaches the renderer; with no summary or notes, the item must still render."""
    data = render_feed(CONFIG, [episode(1, title, "", ""), episode(2, "Fine", "ok", "")])
    root = etree.fromstring(data)
    assert [i.findtext("guid") for i in root.iter("item")] == ["510000002", "510000001"]


@pytest.mark.parametrize(
    "summary",
    [
        "Tom & Jerry: 3 < 4 && 5 > 2, say &amp; <b>twice</b>",
        "<script>alert(1)</script> and the rest",
        "Use <em>this</em> &lt;tag&gt; literally",
    ],
)
def test_a_plain_text_summary_reaches_players_as_the_same_text(summary: str) -> None:
    """`Episode.summary` is plain text; players read `<description>` as HTML. Read as
    HTML, the description must be one paragraph (the <p> tells podcastparser it is HTML,
    so it unescapes it) holding no other element and saying exactly the summary: "<b>"
    and "&amp;" arrive as those characters."""
    data = render_feed(CONFIG, [episode(1, "Title", summary, "")])
    description = etree.fromstring(data).findtext("channel/item/description") or ""
    as_html = lxml.html.fragment_fromstring(description, create_parent="div")
    assert [element.tag for element in as_html.iterdescendants()] == ["p"]
    assert as_html.text_content() == summary


# --- (b) the NPR parser on hostile pages --------------------------------------------

SITE = NprSite(origin="https://www.npr.org", podcast_id="510289")
LISTING_URL = "https://www.npr.org/get/510289/render/partial/next?start=1"
STORY_URL = "https://www.npr.org/sections/money/2017/02/10/514409010/the-anti-store"
AUDIO_URL = "https://ondemand.npr.org/anon.npr-podcasts/podcast/npr/pm/2017/02/pm.mp3?size=1234"


def data_audio(title: str) -> str:
    return npr_json(
        {
            "uid": "514409010:514409011",
            "available": True,
            "duration": 1337,
            "title": title,
            "audioUrl": AUDIO_URL,
            "storyUrl": STORY_URL,
        }
    )


def listing_item(title: str, teaser: str) -> str:
    t, a = html.escape(title, quote=False), html.escape(title)
    return (
        '<article class="item has-image"><div class="item-image"><div class="imagewrap">'
        f'<a href="{STORY_URL}"><img src="https://media.npr.org/a.jpg" alt="{a}" /></a>'
        '</div></div><div class="item-info">'
        f'<h2 class="title"><a href="{STORY_URL}">{t}</a></h2>'
        f'<p class="teaser"><a href="{STORY_URL}"><time datetime="2017-02-10">'
        '<span class="date">February 10, 2017 &#149; </span></time>'
        f"{html.escape(teaser, quote=False)}</a></p></div>"
        f'<article class="bucketwrap resaudio"><div class="audio-module">'
        f'<h2 class="audio-module-title">{t}</h2>'
        f"<div class=\"audio-module-controls-wrap\" data-audio='{data_audio(title)}'>"
        "</div></div></article></article>"
    )


def episode_page(title: str, teaser: str, notes: str) -> str:
    t, a = html.escape(title, quote=False), html.escape(title)
    server_vars = npr_json({"storyId": "514409010", "title": title, "pubDate": "2017021017"})
    return (
        f'<!doctype html><html lang="en"><head><title>{t} : Planet Money : NPR</title>'
        '<meta name="date" content="2017-02-10" />'
        f'<meta name="description" content="{html.escape(teaser)}" />'
        f'<meta property="og:title" content="{a}" />'
        f'<meta property="og:description" content="{html.escape(teaser)}" />'
        f'<script id="npr-vars">NPR.serverVars = {server_vars};</script></head>'
        f'<body><div class="storytitle"><h1>{t}</h1></div>'
        '<div class="dateblock"><time datetime="2017-02-10T17:59:00-05:00">'
        '<span class="date">February 10, 2017</span></time></div>'
        f"<div class=\"audio-module-controls-wrap\" data-audio='{data_audio(title)}'></div>"
        f'<div id="storytext" class="storytext"><p>{html.escape(notes, quote=False)}</p>'
        "</div></body></html>"
    )


def npr_clean(text: str) -> str:
    """What the NPR parser should extract from `text` written into a page: its
    clean_text, after the HTML parser's one change (NUL becomes U+FFFD)."""
    return extract.clean_text(text.replace("\x00", "\ufffd"))


@settings(max_examples=100, deadline=None)
@given(title=hostile_text, teaser=hostile_text)
def test_npr_listing_with_hostile_text_parses_and_round_trips(title: str, teaser: str) -> None:
    try:
        listing = SITE.parse_listing(LISTING_URL, listing_item(title, teaser))
    except ExtractError:
        return  # the one way a site may say "this page does not match"
    assert listing.item_count == 1
    (ref,) = listing.refs
    assert (ref.key, ref.url) == ("514409010", STORY_URL)
    assert ref.title == npr_clean(title)
    assert ref.teaser == npr_clean(teaser).lstrip("\u2022\u00b7\u0095-\u2013\u2014 ")


@settings(max_examples=100, deadline=None)
@given(title=hostile_text, teaser=hostile_text, notes=hostile_text)
def test_npr_episode_page_with_hostile_text_parses_and_round_trips(
    title: str, teaser: str, notes: str
) -> None:
    ref = EpisodeRef(
        key="514409010",
        url=STORY_URL,
        title="The title from the listing",
        audio=Audio(AUDIO_URL, duration=1337),
    )
    try:
        found = SITE.parse_episode(ref, STORY_URL, episode_page(title, teaser, notes))
    except ExtractError:
        return
    assert isinstance(found, Episode), found
    assert found.title == (npr_clean(title) or "The title from the listing")
    if npr_clean(teaser):
        assert found.summary == npr_clean(teaser)
    assert found.audio_url == AUDIO_URL
    # Whatever the notes held, the rendered feed is well-formed and carries no script.
    root = etree.fromstring(render_feed(CONFIG, [found]))
    assert "<script" not in (root.findtext(f"channel/item/{CONTENT}") or "").lower()


# --- (c) bad bytes on the wire --------------------------------------------------------


@pytest.fixture
def server() -> Iterator[DemoServer]:
    """A 12-episode site (all in the feed): these builds are about bytes, not scale."""
    with DemoServer(DemoSite(episodes=12, page_bytes=PAGE_BYTES)) as running:
        yield running


@pytest.fixture(scope="module")
def wire() -> Iterator[DemoServer]:
    with DemoServer(DemoSite(episodes=EPISODES, page_bytes=PAGE_BYTES)) as running:
        yield running


async def _fetch_text(url: str) -> str:
    async with make_client(QUICK_HTTP) as client:
        return await Fetcher(client, QUICK_HTTP).get_text(url)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blob=st.binary(max_size=64), charset=st.sampled_from(["utf-8", "iso-8859-1", "", "x-nope"]))
def test_any_bytes_in_a_served_page_decode_and_parse_or_fail_cleanly(
    wire: DemoServer, blob: bytes, charset: str
) -> None:
    site = wire.site
    ep = site.episode(30)
    page = site.episode_page(ep.index)
    escaped = html.escape(ep.title).encode()
    body = page.replace(escaped, escaped[:5] + blob + escaped[5:])
    content_type = "text/html" + (f"; charset={charset}" if charset else "")
    wire.fault = lambda target: Fault(200, {"Content-Type": content_type}, body)
    try:
        text = asyncio.run(_fetch_text(ep.url))
    finally:
        wire.fault = None
    text.encode("utf-8")  # a str any UTF-8 writer can write: no lone surrogates
    ref = EpisodeRef(key=ep.key, url=ep.url, title=ep.title)
    try:
        found = SITE.parse_episode(ref, ep.url, text)
    except ExtractError:
        return
    if isinstance(found, Skip):
        return
    etree.fromstring(render_feed(CONFIG, [found]))


def _garbled_title(ep_title: str) -> tuple[bytes, str]:
    """Invalid UTF-8 in place of a title, and the text it must decode to."""
    return (
        b"Caf\xe9 \xff\xfe \xc3( " + ep_title.encode(),
        "Caf\ufffd \ufffd\ufffd \ufffd( " + ep_title,
    )


def test_invalid_utf8_in_pages_becomes_replacement_characters(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    site = server.site
    victims = {e.path: e for e in in_feed(site)[5:8]}
    expected_titles = {}
    bodies = {}
    for path, ep in victims.items():
        raw, text = _garbled_title(ep.title)
        bodies[path] = site.episode_page(ep.index).replace(html.escape(ep.title).encode(), raw)
        expected_titles[ep.key] = text
    first_listing = site.listing(1).replace(b"</p>", b"\xff\xfe</p>", 3)
    server.fault = lambda target: (
        Fault(200, body=bodies[target])
        if target in bodies
        else Fault(200, body=first_listing)
        if target.endswith("next?start=1")
        else None
    )

    report = build(config, quick_options(tmp_path / "cache"))

    assert report.failed == ()
    titles = dict(feed_items(config.output))
    assert [k for k in titles] == [e.key for e in in_feed(site)]
    for key, text in expected_titles.items():
        assert titles[key] == text


@pytest.mark.parametrize(
    "charset", ["utf-8", "iso-8859-1", "utf-16", "no-such-charset", "hex", "base64", "rot13"]
)
def test_a_page_with_any_declared_charset_is_built_or_recorded_as_failed(
    server: DemoServer, config: FeedConfig, tmp_path: Path, charset: str
) -> None:
    """A server's Content-Type names a codec; some of Python's codecs are not text encodings
    at all (hex, base64, rot13). None of them may take the whole build down."""
    site = server.site
    ep = site.episode(6)
    body = site.episode_page(ep.index)
    headers = {"Content-Type": f"text/html; charset={charset}"}
    server.fault = lambda target: Fault(200, headers, body) if target == ep.path else None

    report = build(config, quick_options(tmp_path / "cache"))

    guids = [key for key, _ in feed_items(config.output)]
    failed = [f.url for f in report.failed]
    assert (ep.key in guids) != (ep.url in failed)
    assert len(guids) + len(failed) == len(in_feed(site))


def test_a_latin1_page_is_decoded_as_browsers_decode_it(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    """Browsers (the WHATWG Encoding Standard) read a page labelled iso-8859-1 as
    windows-1252, so bytes 0x80-0x9F are curly quotes, dashes, the euro sign. Read as
    ISO-8859-1 they become invisible C1 control characters in the feed."""
    site = server.site
    ep = site.episode(6)
    title = "\u201cQuoted\u201d \u2013 \u20ac5 \u2026"
    page = site.episode_page(ep.index).decode("utf-8")
    body = page.replace(html.escape(ep.title), title).encode("cp1252")
    headers = {"Content-Type": "text/html; charset=iso-8859-1"}
    server.fault = lambda target: Fault(200, headers, body) if target == ep.path else None

    build(config, quick_options(tmp_path / "cache"))

    assert dict(feed_items(config.output))[ep.key] == title


def test_hostile_strings_survive_a_round_trip_through_the_store(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    """Hostile text in a served page goes through the store (JSON) and out to the feed."""
    site = server.site
    ep = site.episode(6)
    title = "]]> <script>x</script> \u202eevil \U0001f399\ufe0f " + "long " * 300
    page = site.episode_page(ep.index).decode("utf-8")
    body = page.replace(html.escape(ep.title), html.escape(title)).encode("utf-8")
    server.fault = lambda target: Fault(200, body=body) if target == ep.path else None
    cache = tmp_path / "cache"

    build(config, quick_options(cache))
    build(replace(config, output=tmp_path / "again.xml"), quick_options(cache, reparse=True))

    expected = extract.clean_text(title)
    assert dict(feed_items(config.output))[ep.key] == expected
    assert dict(feed_items(tmp_path / "again.xml"))[ep.key] == expected
