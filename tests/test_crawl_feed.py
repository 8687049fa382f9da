"""Reading a source that is itself a feed: conditional GET, RFC 5005 pages, files."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from planetrss.crawl import Parser, crawl_feed
from planetrss.http import Fetcher, HttpSettings
from planetrss.sites.rss import RssSite

PAGES = Path(__file__).resolve().parent / "sites" / "pages" / "rss"
FIRST = PAGES / "quirks-page-1.xml"
URL = "https://quirky.example/feed/quirks-page-1.xml"


def fetcher_for(handler: httpx.MockTransport) -> Fetcher:
    client = httpx.AsyncClient(transport=handler)
    return Fetcher(client, HttpSettings(retries=0))


async def test_a_feed_file_and_the_pages_it_links_are_read_whole() -> None:
    site = RssSite.from_params(str(FIRST), {})
    crawl = await crawl_feed(
        site,
        fetcher_for(httpx.MockTransport(lambda r: httpx.Response(500))),
        Parser(0),
        known=set(),
        full=False,
    )
    assert crawl.failed == [] and crawl.walk_complete
    assert crawl.pages is not None
    assert [p.url for p in crawl.pages] == [str(FIRST), str(PAGES / "quirks-page-2.xml")]
    assert [e.key for p in crawl.pages for e in p.episodes][-1] == "oldest-1"


async def test_paging_stops_at_a_page_whose_oldest_item_is_known() -> None:
    site = RssSite.from_params(str(FIRST), {})
    known = {"https://quirky.example/episodes/spaces"}  # page 1's oldest episode
    crawl = await crawl_feed(
        site,
        fetcher_for(httpx.MockTransport(lambda r: httpx.Response(500))),
        Parser(0),
        known=known,
        full=False,
    )
    assert crawl.pages is not None and len(crawl.pages) == 1
    full = await crawl_feed(
        site,
        fetcher_for(httpx.MockTransport(lambda r: httpx.Response(500))),
        Parser(0),
        known=known,
        full=True,
    )
    assert full.pages is not None and len(full.pages) == 2


async def test_an_unchanged_feed_costs_one_304_and_validators_come_back() -> None:
    body = FIRST.read_bytes()
    seen: list[tuple[str | None, str | None]] = []

    def server(request: httpx.Request) -> httpx.Response:
        seen.append(
            (request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"))
        )
        if request.url.path.endswith("quirks-page-2.xml"):
            return httpx.Response(200, content=(PAGES / "quirks-page-2.xml").read_bytes())
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        headers = {"ETag": '"v1"', "Last-Modified": "Fri, 27 Nov 2020 22:00:26 GMT"}
        return httpx.Response(200, content=body, headers=headers)

    fetcher = fetcher_for(httpx.MockTransport(server))
    site = RssSite.from_params(URL, {})
    first = await crawl_feed(site, fetcher, Parser(0), known=set(), full=False)
    assert (first.etag, first.last_modified) == ('"v1"', "Fri, 27 Nov 2020 22:00:26 GMT")
    assert first.pages is not None and len(first.pages) == 2
    again = await crawl_feed(
        site,
        fetcher,
        Parser(0),
        known=set(),
        full=False,
        etag=first.etag,
        last_modified=first.last_modified,
    )
    assert again.pages is None and again.walk_complete  # nothing new
    assert seen[0] == (None, None)
    assert seen[-1] == ('"v1"', "Fri, 27 Nov 2020 22:00:26 GMT")
    assert fetcher.requests == 3


async def test_a_failed_next_page_is_recorded_and_forgets_the_validators() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("quirks-page-2.xml"):
            return httpx.Response(404)
        return httpx.Response(200, content=FIRST.read_bytes(), headers={"ETag": '"v1"'})

    site = RssSite.from_params(URL, {})
    crawl = await crawl_feed(
        site, fetcher_for(httpx.MockTransport(server)), Parser(0), known=set(), full=False
    )
    assert [f.reason for f in crawl.failed] == ["HTTP 404"]
    assert crawl.pages is not None and len(crawl.pages) == 1  # what was read is kept
    assert not crawl.walk_complete and crawl.etag is None  # so the next build reads it all


@pytest.mark.parametrize("body", [b"<html><body>Not a feed</body></html>", b"\x00\x01 garbage"])
async def test_a_document_that_is_no_feed_is_a_failure_not_a_crash(body: bytes) -> None:
    site = RssSite.from_params(URL, {})
    crawl = await crawl_feed(
        site,
        fetcher_for(httpx.MockTransport(lambda r: httpx.Response(200, content=body))),
        Parser(0),
        known=set(),
        full=False,
    )
    assert crawl.pages == [] and len(crawl.failed) == 1
    assert "not a podcast feed" in crawl.failed[0].reason
