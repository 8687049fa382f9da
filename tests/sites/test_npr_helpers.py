"""The small pure helpers of `planetrss.sites.npr` (and the shared ones it uses), and `NprSite`'s parameters and URLs.

Whole pages are tested as data in test_sites.py; these pin the edge cases one by one.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from planetrss.models import Audio, Episode, EpisodeRef
from planetrss.sites import SiteParamError, find
from planetrss.sites.base import ExtractError
from planetrss.sites.extract import (
    clean_text,
    is_date_only,
    iso_duration,
    strip_controls,
    url_int_param,
)
from planetrss.sites.npr import (
    NprSite,
    audio_from_data,
    decode_audio_url,
    drop_chrome_blocks,
    episode_number,
    parse_data_audio,
    parse_date,
    story_id_from_uid,
    story_id_from_url,
)

MP3 = "https://ondemand.npr.org/anon.npr-mp3/npr/pmoney/2017/08/x.mp3?orgId=1&d=1749&p=510289"
SITE = NprSite(origin="https://www.npr.org", podcast_id="510289")

# --- audio URLs and their query parameters -------------------------------------------------


def test_plain_audio_url_is_kept() -> None:
    assert decode_audio_url(MP3) == MP3
    assert decode_audio_url(f"  {MP3}\n") == MP3


def test_base64_audio_url_is_decoded() -> None:
    encoded = base64.b64encode(MP3.encode()).decode()
    assert decode_audio_url(encoded) == MP3


def test_base64_without_padding_and_urlsafe_alphabet() -> None:
    url = "https://example.org/a.mp3?x=~~~>>>"  # encodes to '-' and '_' in the urlsafe alphabet
    urlsafe = base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
    assert "-" in urlsafe or "_" in urlsafe
    assert decode_audio_url(urlsafe) == url


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not base64 at all!",
        base64.b64encode(b"ftp://example.org/a.mp3").decode(),  # decodes, but not to http(s)
        base64.b64encode(b"\xff\xfe\xfd").decode(),  # not UTF-8
    ],
)
def test_undecodable_audio_url_is_none(value: str) -> None:
    assert decode_audio_url(value) is None


def test_size_and_duration_params() -> None:
    url = "https://play.podtrac.com/npr-510289/x.mp3?d=1535&size=24576462&e=1197956334"
    assert url_int_param(url, "size") == 24576462
    assert url_int_param(url, "d") == 1535
    assert url_int_param(MP3, "size") is None
    assert url_int_param("https://x.org/a.mp3?size=abc&d=0", "size") is None
    assert url_int_param("https://x.org/a.mp3?size=abc&d=0", "d") is None


def test_iso_duration() -> None:
    assert iso_duration("P22M,51S") == 22 * 60 + 51
    assert iso_duration("PT1H2M3S") == 3723
    assert iso_duration("P0M,0S") is None
    assert iso_duration("") is None
    assert iso_duration("22:51") is None


# --- the data-audio JSON -------------------------------------------------------------------


def test_data_audio_json() -> None:
    data = parse_data_audio('{"uid":"546118721:546124110","available":true,"duration":1749}')
    assert data == {"uid": "546118721:546124110", "available": True, "duration": 1749}
    assert parse_data_audio('{"uid":"1:2","audioUrl":"https:\\/\\/broken') is None
    assert parse_data_audio("[1, 2]") is None


def test_audio_from_data() -> None:
    data = {"available": True, "duration": 931, "audioUrl": MP3 + "&size=123"}
    assert audio_from_data(data) == Audio(url=MP3 + "&size=123", duration=931, size=123)
    # duration 0 (seen in 2013 listings) falls back to the URL's d=
    assert audio_from_data({"duration": 0, "audioUrl": MP3}) == Audio(url=MP3, duration=1749)
    assert audio_from_data({"available": False, "audioUrl": MP3}) == Audio(
        url=MP3, duration=1749, available=False
    )
    assert audio_from_data({"available": "false", "audioUrl": MP3}) == Audio(
        url=MP3, duration=1749, available=False
    )
    assert audio_from_data({"available": True}) is None
    assert audio_from_data({"audioUrl": 42}) is None


def test_story_ids() -> None:
    assert story_id_from_url("http://www.npr.org/sections/money/2017/08/25/546127444/ep") == (
        "546127444"
    )
    assert story_id_from_url("https://www.npr.org/2024/05/10/nx-s1-4962224/slug") == (
        "nx-s1-4962224"
    )
    assert story_id_from_url("https://www.npr.org/templates/story/story.php?storyId=94643571") == (
        "94643571"
    )
    # no id: the 2008 blog URLs (a year is no story id)
    assert story_id_from_url("http://www.npr.org/sections/money/2008/09/listen_up.html") is None
    assert story_id_from_uid("546118721:546124110") == "546118721"
    assert story_id_from_uid("nx-s1-5665796:nx-s1-9596781") == "nx-s1-5665796"
    assert story_id_from_uid("") is None
    assert story_id_from_uid(None) is None


# --- dates ---------------------------------------------------------------------------------


def test_date_only_is_noon_utc() -> None:
    when = parse_date("2017-02-10")
    assert when == datetime(2017, 2, 10, 12, tzinfo=UTC)
    # the same calendar day wherever the listener is
    for hours in (-11, -5, 0, 5, 11):
        assert when is not None
        assert when.astimezone(timezone(timedelta(hours=hours))).date().isoformat() == "2017-02-10"
    assert is_date_only(" 2017-02-10 ")
    assert not is_date_only("2017-08-16T17:59:00-04:00")


def test_full_timestamps_keep_their_offset() -> None:
    when = parse_date("2017-08-16T17:59:00-04:00")
    assert when is not None
    assert when.isoformat() == "2017-08-16T17:59:00-04:00"
    assert parse_date("2024-06-14T21:02:11Z") == datetime(2024, 6, 14, 21, 2, 11, tzinfo=UTC)


def test_naive_timestamps_and_npr_pubdate_are_eastern() -> None:
    summer = parse_date("2017081617")
    assert summer is not None
    assert summer.isoformat() == "2017-08-16T17:00:00-04:00"
    winter = parse_date("2017020109")
    assert winter is not None
    assert winter.utcoffset() == timedelta(hours=-5)
    naive = parse_date("2017-08-16T17:59:00")
    assert naive is not None
    assert naive.utcoffset() == timedelta(hours=-4)


@pytest.mark.parametrize("value", ["", "yesterday", "2017-02-30", "2017133112", "17-08-16"])
def test_bad_dates_are_none(value: str) -> None:
    assert parse_date(value) is None


def published(ref: EpisodeRef, page: str) -> str:
    episode = SITE.parse_episode(ref, ref.url, page)
    assert isinstance(episode, Episode), episode
    return episode.published.isoformat()


def test_published_prefers_a_time_of_day_to_a_day() -> None:
    page = """<html><head><meta name="date" content="2017-08-16" />
    <meta property="og:title" content="Episode 653: The Anti-Store" />
    <script id="npr-vars">NPR.serverVars = {"storyId":"1","pubDate":"2017081617"};</script>
    </head><body><div class="audio-module-controls-wrap"
    data-audio='{"uid":"1:2","available":true,"audioUrl":"https:\\/\\/x.org\\/a.mp3"}'></div>
    </body></html>"""
    ref = EpisodeRef(key="1", url="https://www.npr.org/1", title="T")
    assert published(ref, page) == "2017-08-16T17:00:00-04:00"
    # without npr-vars the day-only meta date is used, at noon UTC
    assert published(ref, page.replace('"pubDate":"2017081617"', "")) == (
        "2017-08-16T12:00:00+00:00"
    )
    # and with nothing on the page, the listing's date
    day = datetime(2017, 8, 16, 12, tzinfo=UTC)
    bare = page.replace('<meta name="date" content="2017-08-16" />', "").replace(
        '"pubDate":"2017081617"', ""
    )
    dated = EpisodeRef(key="1", url=ref.url, title="T", published=day)
    assert published(dated, bare) == day.isoformat()
    with pytest.raises(ExtractError, match="no publication date"):
        SITE.parse_episode(ref, ref.url, bare)


# --- titles and text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("Episode 653: The Anti-Store", 653),
        ("#653: The Anti-Store", 653),
        (" #790 : Rough Translation", 790),
        ("Episode #12: Twelve", 12),
        ("episode 7: lower case", 7),
        ("Episode 0: Zero", None),
        ("The Anti-Store", None),
        ("Episode 653 The Anti-Store", None),
        ("Why 653: is not a number here", None),
    ],
)
def test_episode_number(title: str, number: int | None) -> None:
    assert episode_number(title) == number


def test_control_characters() -> None:
    assert strip_controls("a\x00b\x08c\x1fd\te\nf\rg") == "abcd\te\nf\rg"
    assert clean_text("  The\x07 nx\n\n story ") == "The nx story"


# --- the chrome cut ------------------------------------------------------------------------


def test_drop_chrome_blocks_removes_navigation() -> None:
    page = '<body><header id="globalheader"><nav><a href="/">x</a></nav></header><p>kept</p></body>'
    assert drop_chrome_blocks(page) == "<body><p>kept</p></body>"
    page = "<nav class=a><ul><li>1</li></ul></nav><div id=storytext>x</div><footer>f</footer>"
    assert drop_chrome_blocks(page) == "<div id=storytext>x</div>"


@pytest.mark.parametrize(
    "page",
    [
        # holds something we extract
        '<header class="x"><div class="storytitle"><h1>T</h1></div></header>',
        '<nav><article class="item"><h2 class="title">T</h2></article></nav>',
        '<footer><div class="audio-module-controls-wrap" data-audio="{}"></div></footer>',
        # starts inside a comment, a script, or an attribute value
        "<!-- <nav> --><p>a</p></nav>",
        '<script>var s = "<nav>";</script><p>a</p></nav>',
        '<a title="<nav>">x</a><p>a</p></nav>',
        # unbalanced comments inside
        "<nav><!-- <p>a</p></nav>",
        # not a header tag at all
        "<header-bar><p>a</p></header>",
    ],
)
def test_drop_chrome_blocks_keeps_what_it_is_unsure_of(page: str) -> None:
    assert drop_chrome_blocks(page) == page


# --- the site's parameters and URLs --------------------------------------------------------


def test_from_params() -> None:
    site = NprSite.from_params("https://www.npr.org/", {"podcast_id": 510289})
    assert site == SITE
    assert NprSite.from_params("https://www.npr.org", {"podcast_id": " 510289 "}) == SITE


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({}, "podcast_id"),
        ({"podcast_id": "planet-money"}, "podcast_id"),
        ({"podcast_id": 0}, "podcast_id"),
        ({"podcast_id": -5}, "podcast_id"),
        ({"podcast_id": True}, "podcast_id"),
        ({"podcast_id": 510289.0}, "podcast_id"),
        ({"podcast_id": 510289, "count": 24}, "count"),
    ],
)
def test_from_params_errors_name_the_key(params: dict[str, object], key: str) -> None:
    with pytest.raises(SiteParamError, match="expected") as caught:
        NprSite.from_params("https://www.npr.org", params)
    assert caught.value.key == key


def test_listing_urls_are_one_based_offsets() -> None:
    assert [SITE.listing_url(index) for index in range(3)] == [
        "https://www.npr.org/get/510289/render/partial/next?start=1",
        "https://www.npr.org/get/510289/render/partial/next?start=25",
        "https://www.npr.org/get/510289/render/partial/next?start=49",
    ]
    assert NprSite.page_size == 24


@pytest.mark.parametrize(
    "url",
    [
        "https://www.npr.org/podcasts/510289/planet-money",
        "https://www.npr.org/podcasts/510325/the-indicator-from-planet-money/",
        "http://npr.org/sections/money/127413729/podcast/archive",
    ],
)
def test_pattern_matches_npr_show_urls(url: str) -> None:
    assert find(url) is NprSite


@pytest.mark.parametrize(
    "url", ["https://example.org/podcasts/510289/x", "https://www.npr.org.evil.example/podcasts/1"]
)
def test_pattern_rejects_other_urls(url: str) -> None:
    assert find(url) is not NprSite


# --- listings and pages that are not what they should be -----------------------------------


@pytest.mark.parametrize("text", ["", "   ", "0", "https://www.npr.org/x", "index.html"])
def test_empty_or_tagless_listing_is_empty_and_quiet(text: str) -> None:
    assert SITE.parse_listing("https://www.npr.org/get/510289/x", text).item_count == 0


def test_xml_is_parsed_without_a_warning() -> None:
    listing = SITE.parse_listing("u", '<?xml version="1.0"?><rss><channel></channel></rss>')
    assert listing.item_count == 0


def test_items_without_titles_fail_loudly() -> None:
    text = '<article class="item"><h3>New layout</h3></article>' * 3
    with pytest.raises(ExtractError, match=r"h2\.title"):
        SITE.parse_listing("https://www.npr.org/get/510289/x", text)


def test_an_item_without_a_title_among_good_ones_is_skipped() -> None:
    good = '<article class="item"><h2 class="title"><a href="/2020/01/01/850000001/x">X</a></h2></article>'
    listing = SITE.parse_listing("https://www.npr.org/", good + '<article class="item"></article>')
    assert listing.item_count == 2
    assert [ref.url for ref in listing.refs] == ["https://www.npr.org/2020/01/01/850000001/x"]
    assert listing.skips[0].reason == "listing item without a title (h2.title)"


def test_items_the_markup_holds_but_were_not_read_are_counted_as_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pathlib import Path

    from planetrss.sites.npr import pages

    page = Path(__file__).parent / "pages" / "npr" / "listing-unclosed-articles.html"
    text = page.read_text(encoding="utf-8")
    assert SITE.parse_listing(SITE.listing_url(0), text).unread == 0  # all six recovered
    # Without the recovery, five items stay nested in the first: counted, never dropped.
    monkeypatch.setattr(pages, "_separate_items", lambda items: items)
    listing = SITE.parse_listing(SITE.listing_url(0), text)
    assert (listing.item_count, listing.unread) == (1, 5)
