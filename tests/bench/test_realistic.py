"""The benchmark's real-markup archive reads back as the truth it was made from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planetrss import sites
from planetrss.models import Episode, EpisodeRef, Skip
from tests.bench.realistic import FIXTURES, RealMarkupSite, TemplateError

pytestmark = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"the shared NPR pages are not at {FIXTURES}"
)

ORIGIN = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def site() -> RealMarkupSite:
    return RealMarkupSite.from_fixtures(FIXTURES, 120, origin=ORIGIN)


def test_pages_have_npr_size_and_element_count(site: RealMarkupSite) -> None:
    for index in (1, 2, 3, 4, 5, 6):
        page = site.episode_page(index)
        assert len(page) > 75_000
        assert len(re.findall(rb"<[a-zA-Z]", page)) > 900


def test_every_page_parses_to_the_truth(site: RealMarkupSite) -> None:
    npr = sites.get("npr").from_params(ORIGIN, {"podcast_id": "510289"})
    refs: dict[str, EpisodeRef] = {}
    for start in range(1, len(site) + 1, 24):
        url = site.listing_url(start)
        listing = npr.parse_listing(url, site.listing(start).decode())
        assert listing.item_count == min(24, len(site) - start + 1)
        refs.update((ref.key, ref) for ref in listing.refs)
    checked = 0
    for truth in site.episodes():
        if truth.exclusive:
            assert truth.key not in refs  # no link, no page
            continue
        ref = refs[truth.key]
        assert (ref.title, ref.url, ref.teaser) == (truth.title, truth.url, truth.teaser)
        if ref.audio is not None and not ref.audio.available:
            continue
        found = npr.parse_episode(ref, truth.url, site.episode_page(truth.index).decode())
        if not truth.available:
            assert isinstance(found, Skip)
            continue
        assert isinstance(found, Episode)
        assert (
            found.title,
            found.published,
            found.audio_url,
            found.duration,
            found.summary,
            found.image_url,
            found.transcript_url,
        ) == (
            truth.title,
            truth.published,
            truth.audio_url,
            truth.duration,
            truth.teaser,
            truth.image_url,
            truth.transcript_url,
        )
        assert "Costco" not in found.notes_html  # the real page's own notes were replaced
        checked += 1
    assert checked > 100


def test_a_page_without_the_expected_parts_is_refused(tmp_path: Path) -> None:
    for page in FIXTURES.glob("*.html"):
        (tmp_path / page.name).write_text("<html><body>moved</body></html>", "utf-8")
    with pytest.raises(TemplateError, match=r"not found|no match|no show notes"):
        RealMarkupSite.from_fixtures(tmp_path, 10)
