"""The demo site generator: deterministic, NPR-shaped, and truthful about its episodes."""

from __future__ import annotations

import base64
import doctest
import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup, Tag

from planetrss.demo import site as site_module
from planetrss.demo.site import (
    PAGE_SIZE,
    DemoEpisode,
    DemoSite,
    _eastern,
    iso_duration,
    npr_json,
    slugify,
)

ORIGIN = "http://127.0.0.1:8123"


@pytest.fixture(scope="module")
def site() -> DemoSite:
    return DemoSite(episodes=300, origin=ORIGIN)


@pytest.fixture(scope="module")
def truth(site: DemoSite) -> list[DemoEpisode]:
    return list(site.episodes())


def _items(fragment: bytes, parser: str = "lxml") -> list[Tag]:
    return BeautifulSoup(fragment, parser).select("article.item")


def _titles(fragment: bytes) -> list[str]:
    """The item titles of a listing fragment (a regex: quick enough to page a whole site)."""
    found = re.findall(r'<h2 class="title">(?:<a [^>]*>)?(.*?)(?:</a>)?</h2>', fragment.decode())
    return [html.unescape(title) for title in found]


def _data_audio(node: Tag) -> dict[str, object] | None:
    wrap = node.select_one("div.audio-module-controls-wrap[data-audio]")
    if wrap is None:
        return None
    data = json.loads(str(wrap["data-audio"]))
    assert isinstance(data, dict)
    return data


def _decoded_audio_url(data: dict[str, object]) -> str:
    url = str(data["audioUrl"])
    return url if url.startswith("http") else base64.b64decode(url).decode()


# -- determinism and size ---------------------------------------------------------------------


def test_same_arguments_give_the_same_bytes() -> None:
    one, two = DemoSite(120, seed=3, origin=ORIGIN), DemoSite(120, seed=3, origin=ORIGIN)
    for target in (
        "/get/510289/render/partial/next?start=1",
        "/get/510289/render/partial/next?start=97",
        "/get/510289/remainingCount?start=25",
        "/podcasts/510289/planet-money",
    ):
        assert one.respond(target) == two.respond(target)
    for index in (1, 60, 119, 120):
        assert one.episode_page(index) == two.episode_page(index)
        assert one.episode(index) == two.episode(index)


def test_another_seed_gives_another_site() -> None:
    one, two = DemoSite(50, seed=0), DemoSite(50, seed=1)
    assert one.episode(50).key != two.episode(50).key
    assert one.listing(1) != two.listing(1)


def test_episode_pages_are_page_bytes_within_20_percent(
    site: DemoSite, truth: list[DemoEpisode]
) -> None:
    sizes = [len(site.episode_page(ep.index)) for ep in truth]
    assert all(72_000 <= size <= 108_000 for size in sizes)
    assert len(set(sizes)) > 250  # sizes vary from page to page, like NPR's
    small = DemoSite(10, page_bytes=30_000)
    assert all(24_000 <= len(small.episode_page(i)) <= 36_000 for i in range(1, 11))


def test_a_tiny_page_budget_still_gives_whole_pages() -> None:
    page = DemoSite(3, page_bytes=1_000).episode_page(2)
    assert page.startswith(b"<!doctype html>") and page.endswith(b"</body></html>")


def test_listing_pages_are_npr_sized(site: DemoSite) -> None:
    assert 60_000 < len(site.listing(1)) < 160_000


# -- listing paging ----------------------------------------------------------------------------


def test_listing_pages_hold_24_items_newest_first(site: DemoSite) -> None:
    seen: list[str] = []
    for page in range(site.listing_pages()):
        start = 1 + page * PAGE_SIZE
        response = site.respond(f"/get/510289/render/partial/next?start={start}")
        assert (response.status, response.kind) == (200, "listing")
        titles = _titles(response.body)
        expected = [site.episode(i) for i in range(300 - start + 1, 0, -1)][:PAGE_SIZE]
        assert len(titles) == len(expected) == (PAGE_SIZE if page < 12 else 12)
        assert titles == [ep.title for ep in expected]
        seen += [ep.key for ep in expected]
    assert len(seen) == len(set(seen)) == 300


def test_past_the_end_is_an_empty_200(site: DemoSite) -> None:
    for start in (301, 313, 10_000):
        response = site.respond(f"/get/510289/render/partial/next?start={start}")
        assert (response.status, response.body) == (200, b"")


def test_offsets_are_one_based_and_count_is_accepted(site: DemoSite) -> None:
    assert _titles(site.listing(2))[0] == site.episode(299).title
    assert len(_titles(site.respond("/get/510289/render/partial/next?start=1&count=5").body)) == 5
    assert site.listing(0) == site.listing(1)


@pytest.mark.parametrize(
    ("start", "expected"), [(1, 300), (25, 276), (289, 12), (300, 1), (301, 0), (999, 0)]
)
def test_remaining_count(site: DemoSite, start: int, expected: int) -> None:
    response = site.respond(f"/get/510289/remainingCount?start={start}")
    assert (response.status, response.kind, response.body) == (200, "count", str(expected).encode())


def test_add_episodes_shifts_page_one_and_keeps_the_old_ones() -> None:
    grown = DemoSite(60, origin=ORIGIN)
    before = [grown.episode(i) for i in range(1, 61)]
    page_one = [ep.key for ep in before[::-1][:PAGE_SIZE]]
    grown.add_episodes(5)
    assert len(grown) == 65
    assert [grown.episode(i) for i in range(1, 61)] == before  # nothing old moves
    new = [grown.episode(i) for i in range(65, 60, -1)]
    assert all(ep.published > before[-1].published for ep in new)
    assert _titles(grown.listing(1)) == [ep.title for ep in new] + [
        grown.episode(grown.find(key) or 0).title for key in page_one[:19]
    ]
    assert grown.respond("/get/510289/remainingCount?start=1").body == b"65"
    assert grown.respond(new[0].path).status == 200


# -- markup ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("parser", "pages"), [("lxml", 13), ("html.parser", 2)])
def test_listing_items_match_the_truth(site: DemoSite, parser: str, pages: int) -> None:
    items = [item for page in range(pages) for item in _items(site.listing(1 + 24 * page), parser)]
    newest_first = [site.episode(i) for i in range(300, 300 - len(items), -1)]
    for item, ep in zip(items, newest_first, strict=True):
        link = item.select_one("h2.title > a[href]")
        date = item.select_one("p.teaser time[datetime]")
        assert date is not None and date["datetime"] == ep.published.date().isoformat()
        assert item.select_one("div.item-image img[src][data-original]") is not None
        data = _data_audio(item)
        if ep.exclusive:
            assert link is None and data is None
            assert not item.select(f'a[href="{ep.url}"]')  # no public page to link to
            continue
        assert link is not None and link["href"] == ep.url and link.get_text() == ep.title
        assert ep.teaser in item.select_one("p.teaser").get_text()  # type: ignore[union-attr]
        if not ep.listing_audio:
            assert data is None
            continue
        assert data is not None
        assert data["uid"] == f"{ep.key}:{ep.media_id}"
        assert (data["available"], data["duration"], data["title"]) == (
            ep.available,
            ep.duration,
            ep.title,
        )
        assert data["storyUrl"] == ep.url
        assert str(data["audioUrl"]).startswith("http") != ep.base64_audio
        assert _decoded_audio_url(data) == ep.audio_url
        duration = item.select_one("time.audio-module-duration")
        assert duration is not None and duration["datetime"] == iso_duration(ep.duration)
        assert (ep.transcript_url is not None) == (
            item.select_one("li.audio-tool-transcript a[href]") is not None
        )


def test_data_audio_is_npr_shaped_raw_html(site: DemoSite, truth: list[DemoEpisode]) -> None:
    raw = site.listing(1).decode()
    attributes = re.findall(r"data-audio='([^']*)'", raw)
    assert attributes and all("\\/" in a and "'" not in a and "<" not in a for a in attributes)
    apostrophes = next(ep for ep in truth if "'" in ep.title and ep.listing_audio)
    page = site.listing(301 - apostrophes.index).decode()
    assert "\\u0027" in re.findall(r"data-audio='([^']*)'", page)[0]


def _episode_with(truth: list[DemoEpisode], **flags: object) -> DemoEpisode:
    return next(ep for ep in truth if all(getattr(ep, k) == v for k, v in flags.items()))


@pytest.mark.parametrize(
    "flags",
    [
        {"exclusive": False, "base64_audio": True},
        {"exclusive": False, "available": False},
        {"exclusive": False, "listing_audio": False},
        {"exclusive": False, "ld_json": True},
        {"exclusive": False, "double_audio": True},
        {"exclusive": False, "size_in_url": False},
        {"exclusive": False, "transcript_url": None},
        {"index": 1},
    ],
    ids=lambda flags: ",".join(flags),
)
def test_episode_pages_match_the_truth(
    site: DemoSite, truth: list[DemoEpisode], flags: dict[str, object]
) -> None:
    ep = _episode_with(truth, **flags)
    response = site.respond(ep.path)
    assert (response.status, response.kind) == (200, "episode")
    text = response.body.decode()
    soup = BeautifulSoup(text, "lxml")

    def meta(selector: str, attr: str = "content") -> str:
        node = soup.select_one(selector)
        assert node is not None, selector
        return str(node[attr])

    assert meta('meta[property="og:title"]') == ep.title
    assert meta('meta[property="og:description"]') == ep.teaser
    assert meta('meta[property="og:image"]') == ep.image_url
    assert meta('meta[property="og:url"]') == ep.url
    assert meta('link[rel="canonical"]', "href") == ep.url
    assert meta('meta[name="date"]') == ep.published.date().isoformat()
    assert meta("div.dateblock time", "datetime") == ep.published.isoformat()
    assert soup.select_one("div.storytitle h1").get_text() == ep.title  # type: ignore[union-attr]
    server_vars = re.search(r"NPR\.serverVars = (\{.*?\});\n", text)
    assert server_vars is not None
    assert json.loads(server_vars[1])["storyId"] == ep.key
    assert json.loads(server_vars[1])["pubDate"] == ep.published.strftime("%Y%m%d%H")
    storytext = soup.select_one("div#storytext")
    assert storytext is not None and len(storytext.select("p")) >= 4
    assert storytext.select("p a[href]") and storytext.select("p em")
    modules = soup.select("div.audio-module-controls-wrap[data-audio]")
    assert len(modules) == (2 if ep.double_audio else 1)
    data = _data_audio(soup)
    assert data is not None and data["available"] == ep.available
    assert _decoded_audio_url(data) == ep.audio_url
    assert ("size=" in ep.audio_url) == ep.size_in_url
    transcript = soup.select_one("li.audio-tool-transcript a[href]")
    assert (transcript["href"] if transcript else None) == ep.transcript_url
    ld = soup.select_one('script[type="application/ld+json"]')
    assert (ld is not None) == ep.ld_json
    if ld is not None:
        data = json.loads(ld.get_text())
        assert data["headline"] == ep.title and data["image"]["url"] == ep.image_url
        assert datetime.fromisoformat(data["datePublished"]) == ep.published


def test_transcript_and_media(site: DemoSite, truth: list[DemoEpisode]) -> None:
    transcribed = next(ep for ep in truth if ep.transcript_url)
    assert transcribed.transcript_url == f"{ORIGIN}/transcripts/{transcribed.key}"
    response = site.respond(f"/transcripts/{transcribed.key}")
    assert (response.status, response.kind) == (200, "transcript")
    assert html.escape(transcribed.title).encode() in response.body
    ep = _episode_with(truth, exclusive=False, available=True, size_in_url=False)
    media = site.respond(f"/media/{ep.key}.mp3?d={ep.duration}&t=podcast")
    assert (media.status, media.kind, media.content_type) == (200, "media", "audio/mpeg")
    assert media.content_length == ep.size and media.body == b""
    assert 900 * 16_000 <= ep.size <= 2400 * 16_000 + 48_000


def test_unknown_and_hidden_pages(site: DemoSite, truth: list[DemoEpisode]) -> None:
    exclusive = _episode_with(truth, exclusive=True)
    unavailable = _episode_with(truth, available=False)
    untranscribed = _episode_with(truth, transcript_url=None, exclusive=False)
    assert site.respond(exclusive.path).status == 404  # NPR+ only: no public page
    assert site.respond(f"/media/{exclusive.key}.mp3").status == 404
    assert site.respond(f"/media/{unavailable.key}.mp3").status == 404
    assert site.respond(f"/transcripts/{untranscribed.key}").status == 404
    assert site.respond("/sections/money/2017/08/16/543994381/no-such-story").status == 404
    assert site.respond("/get/510325/render/partial/next?start=1").status == 404
    assert site.respond("/get/510289/render/partial/next?start=x").status == 400
    assert site.respond("/nope").status == 404
    assert site.respond("/nope").kind == "other"
    assert site.respond("/robots.txt").status == 200
    assert site.respond("/podcasts/510289/planet-money").status == 200


def test_wrong_slug_redirects_to_the_canonical_page(site: DemoSite) -> None:
    ep = site.episode(100)
    response = site.respond(ep.path.rsplit("/", 1)[0] + "/old-slug")
    assert response.status == 301
    assert dict(response.headers)["Location"] == ep.url


# -- the mix of episodes -----------------------------------------------------------------------


def test_the_special_episode_mix(truth: list[DemoEpisode]) -> None:
    n = len(truth)
    assert sum(ep.exclusive for ep in truth) == n * 2 // 100
    assert sum(not ep.available for ep in truth) == n // 100
    assert sum(ep.base64_audio for ep in truth) == pytest.approx(0.1 * n, abs=4)
    assert sum(not ep.listing_audio for ep in truth) == pytest.approx(0.3 * n, abs=10)
    assert sum(ep.transcript_url is not None for ep in truth) == pytest.approx(0.5 * n, rel=0.2)
    assert sum(not ep.size_in_url for ep in truth) == pytest.approx(0.2 * n, rel=0.35)
    assert sum(ep.in_feed for ep in truth) == n - n * 3 // 100
    assert any(ep.number is None for ep in truth) and any(ep.double_audio for ep in truth)
    nx = [ep for ep in truth if ep.key.startswith("nx-s1-")]
    assert [ep.index for ep in nx] == list(range(286, 301))  # the newest 5%
    assert all(re.fullmatch(r"nx-s1-\d{7}", ep.key) and ep.ld_json for ep in nx)
    assert all(re.fullmatch(r"[1-9]\d{8}", ep.key) for ep in truth if ep not in nx)
    assert len({ep.key for ep in truth}) == n
    assert all(re.fullmatch(r"Episode \d+: .+", ep.title) for ep in truth if ep.number)


def test_dates_run_from_2008_to_november_2026(truth: list[DemoEpisode]) -> None:
    dates = [ep.published for ep in truth]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert datetime(2008, 9, 1, tzinfo=UTC) < dates[0] < datetime(2008, 10, 1, tzinfo=UTC)
    assert datetime(2026, 10, 1, tzinfo=UTC) < dates[-1] <= datetime(2026, 11, 1, 17, tzinfo=UTC)
    offsets = {ep.published.utcoffset() for ep in truth}
    assert offsets == {timedelta(hours=-4), timedelta(hours=-5)}


def test_every_story_id_finds_its_episode(site: DemoSite, truth: list[DemoEpisode]) -> None:
    assert [site.find(ep.key) for ep in truth] == list(range(1, 301))
    assert site.find("nx-s1-0000001") is None
    assert site.find("123") is None
    assert site.find("garbage") is None


def test_many_episodes_stay_consistent() -> None:
    big = DemoSite(17_000)
    keys = [big.episode(i).key for i in (1, 8_000, 16_150, 16_151, 17_000)]
    assert [big.find(key) for key in keys] == [1, 8_000, 16_150, 16_151, 17_000]
    assert big.episode(1).published.year == 2008
    assert big.respond("/get/510289/remainingCount?start=16977").body == b"24"


# -- helpers -----------------------------------------------------------------------------------


def test_eastern_time_follows_daylight_saving() -> None:
    assert (
        _eastern(datetime(2017, 8, 16, 21, 59, tzinfo=UTC)).isoformat()
        == "2017-08-16T17:59:00-04:00"
    )
    assert _eastern(datetime(2017, 1, 4, 12, tzinfo=UTC)).utcoffset() == timedelta(hours=-5)
    assert _eastern(datetime(2026, 3, 8, 6, 59, tzinfo=UTC)).utcoffset() == timedelta(hours=-5)
    assert _eastern(datetime(2026, 3, 8, 7, 0, tzinfo=UTC)).utcoffset() == timedelta(hours=-4)
    assert _eastern(datetime(2026, 11, 1, 5, 59, tzinfo=UTC)).utcoffset() == timedelta(hours=-4)
    assert _eastern(datetime(2026, 11, 1, 6, 0, tzinfo=UTC)).utcoffset() == timedelta(hours=-5)


def test_helpers() -> None:
    assert iso_duration(1337) == "P22M,17S"
    assert iso_duration(3723) == "P1H,2M,3S"
    assert slugify("Episode 443: Don't Believe The Café") == "episode-443-dont-believe-the-cafe"
    assert npr_json({"u": "a/b's <c>"}) == '{"u":"a\\/b\\u0027s \\u003Cc\\u003E"}'
    assert json.loads(npr_json({"u": "a/b's <c> & é"})) == {"u": "a/b's <c> & é"}


def test_docstring_examples() -> None:
    assert doctest.testmod(site_module).failed == 0
