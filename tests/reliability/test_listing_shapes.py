"""Listings whose end is only apparent: items with unclosed ``<article>`` elements (an
HTML parser nests the rest of the page in the first), a short page mid-listing. A cold
build still gets every episode, and the walk ends only at the empty page.
"""

from __future__ import annotations

from pathlib import Path

from planetrss.build import build
from planetrss.config import FeedConfig
from planetrss.demo import DemoServer
from tests.reliability.conftest import in_feed, quick_options


def test_unclosed_item_articles_lose_no_episode(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    # Each listing page used to give its first item only, and that short page ended the
    # walk: on npr.org's 1,618 episodes a cold build wrote 62 and exited 0.
    server.site.unclosed_articles = True
    report = build(config, quick_options(tmp_path / "cache"))
    assert report.failed == ()
    assert report.episodes_in_feed == len(in_feed(server.site))
    # Three pages of items, then the empty page that confirms the end (a cold build
    # asks for a whole wave of pages at once).
    assert report.listing_pages >= server.site.listing_pages() + 1


def test_a_short_page_mid_listing_does_not_end_the_walk(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    server.site.short_pages = {25: 5}  # page 2 holds 5 of its 24 items
    report = build(config, quick_options(tmp_path / "cache"))
    served = {ep.index for ep in in_feed(server.site)} - set(range(13, 32))
    assert report.failed == ()
    assert report.episodes_in_feed == len(served)  # page 3's episodes too
