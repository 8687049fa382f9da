"""The crawl's decisions, on a toy site behind respx: what is fetched, when paging stops."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gzip
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import cast

import httpx
import pytest
import respx

from planetrss.crawl import Crawl, Parser, _BatchedWrites
from planetrss.errors import CacheError
from planetrss.http import Fetcher, HttpSettings
from planetrss.models import Audio, Episode, EpisodeRef, Listing, Skip
from planetrss.packing import unpack_page
from planetrss.sites.base import ExtractError, NextLinks, NumberedPages, Site, Sitemap

ORIGIN = "https://toy.test"


@dataclass(frozen=True)
class ToySite(Site):
    """Listing pages are lines of `key [unavailable]`; episode pages say `ok`, `noaudio` or `broken`."""

    @property
    def paging(self) -> NumberedPages:
        return NumberedPages(f"{self.origin}/list/{{page}}", start=0)

    def parse_listing(self, url: str, text: str) -> Listing:
        refs = []
        unread = 0
        for line in text.split():
            if line == "?":  # an item the markup holds but the parser could not read
                unread += 1
                continue
            key, _, flag = line.partition(":")
            audio = Audio(f"{self.origin}/a/{key}.mp3", available=flag != "unavailable")
            refs.append(
                EpisodeRef(
                    key=key, url=f"{self.origin}/ep/{key}", title=f"Title {key}", audio=audio
                )
            )
        return Listing(url=url, refs=tuple(refs), item_count=len(refs), unread=unread)

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        if text == "broken":
            raise ExtractError("no title anywhere")
        if text == "noaudio":
            return Skip(ref.key, url, "no audio")
        return Episode(
            key=ref.key,
            title=ref.title,
            url=url,
            published=datetime(2020, 1, 1, tzinfo=UTC),
            audio_url=f"{self.origin}/a/{ref.key}.mp3",
        )


@dataclass
class FakeStore:
    pages: dict[str, str] = field(default_factory=dict)
    episodes: dict[str, Episode] = field(default_factory=dict)
    skips: dict[str, Skip] = field(default_factory=dict)
    pending: dict[str, EpisodeRef] = field(default_factory=dict)

    batches: int = 0

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        self.batches += 1
        yield

    def save_packed_page(self, url: str, packed: bytes) -> None:
        text = unpack_page(packed)
        assert text is not None, f"{url}: a page the store could not read back"
        self.pages[url] = text

    def save_episode(self, episode: Episode, ref: EpisodeRef) -> None:
        self.episodes[episode.key] = episode
        self.pending.pop(episode.key, None)

    def save_skip(self, skip: Skip) -> None:
        self.skips[skip.key] = skip

    def save_pending(self, ref: EpisodeRef) -> None:
        self.pending[ref.key] = ref

    def save_size(self, url: str, size: int) -> None:
        raise AssertionError("the toy crawl does not probe sizes")


class ToyServer:
    """A site of `keys` (newest first), 3 per listing page; records every path asked for."""

    def __init__(
        self,
        keys: list[str],
        episode_bodies: dict[str, str] | None = None,
        *,
        pages: list[list[str]] | None = None,  # listing pages as given, not 3 by 3
        documents: dict[str, bytes] | None = None,  # other paths served as they are
        missing_past_the_end: bool = False,  # a 404, not an empty page, past the end
    ) -> None:
        self.keys = keys
        self.bodies = episode_bodies or {}
        self.pages = pages or [keys[i : i + 3] for i in range(0, len(keys), 3)]
        self.documents = documents or {}
        self.missing_past_the_end = missing_past_the_end
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.paths.append(path)
        if path in self.documents:
            return httpx.Response(200, content=self.documents[path])
        if m := re.fullmatch(r"/list/(\d+)", path):
            index = int(m.group(1))
            if index >= len(self.pages) and self.missing_past_the_end:
                return httpx.Response(404)
            page = self.pages[index] if index < len(self.pages) else []
            return httpx.Response(200, text="\n".join(page))
        if m := re.fullmatch(r"/ep/(.+)", path):
            body = self.bodies.get(m.group(1), "ok")
            return httpx.Response(503 if body == "503" else 200, text=body)
        return httpx.Response(404)

    def listings(self) -> list[str]:
        return sorted(p for p in self.paths if p.startswith("/list/"))

    def episodes(self) -> list[str]:
        return sorted(p.removeprefix("/ep/") for p in self.paths if p.startswith("/ep/"))


async def run_crawl(
    server: ToyServer,
    store: FakeStore,
    *,
    full: bool = False,
    pending: list[EpisodeRef] | None = None,
    concurrency: int = 4,
    site: Site | None = None,
):  # type: ignore[no-untyped-def]
    settings = HttpSettings(concurrency=concurrency, retries=1, backoff=0.001)
    with respx.mock:
        respx.route(host="toy.test").mock(side_effect=server)
        async with httpx.AsyncClient() as client:
            parser = Parser(workers=0)
            try:
                crawl = Crawl(
                    site=site or ToySite(ORIGIN),
                    fetcher=Fetcher(client, settings),
                    store=store,
                    parser=parser,
                    stored=set(store.episodes),
                    known=set(store.episodes) | set(store.skips),
                    pending=pending or [],
                    full=full,
                )
                return await crawl.run()
            finally:
                await parser.aclose()


def keys(n: int) -> list[str]:
    return [f"k{i:03d}" for i in range(n, 0, -1)]  # newest first


async def test_cold_crawl_fetches_everything_once_and_ends_at_the_empty_page() -> None:
    server = ToyServer(keys(10))  # pages of 3: 3, 3, 3, 1, then empty
    store = FakeStore()
    result = await run_crawl(server, store, concurrency=2)
    assert server.episodes() == sorted(keys(10))
    assert set(store.episodes) == set(keys(10))
    # Waves of 2 pages: 0-1, 2-3, 4-5; the short page 3 does not end the walk, the
    # empty page 4 does, so no wave after it.
    assert server.listings() == [f"/list/{i}" for i in range(6)]
    assert result.walk_complete
    assert len(result.new) == 10 and not result.failed
    assert set(store.pages) >= {f"{ORIGIN}/ep/{k}" for k in keys(10)}


async def test_warm_crawl_asks_for_one_listing_page_only() -> None:
    store = FakeStore()
    await run_crawl(ToyServer(keys(10)), store)
    server = ToyServer(keys(10))
    result = await run_crawl(server, store)
    assert server.paths == ["/list/0"]
    assert result.new == []


async def test_incremental_crawl_fetches_only_what_is_new() -> None:
    store = FakeStore()
    await run_crawl(ToyServer(keys(10)), store)
    server = ToyServer(keys(12))  # two new episodes on top
    result = await run_crawl(server, store)
    assert server.listings() == ["/list/0"]  # its oldest item is known: stop
    assert server.episodes() == ["k011", "k012"]
    assert set(result.new) == {"k011", "k012"}


async def test_more_new_than_a_page_walks_on_in_doubling_waves() -> None:
    store = FakeStore()
    await run_crawl(ToyServer(keys(3)), store)
    server = ToyServer(keys(13))
    await run_crawl(server, store, concurrency=8)
    assert server.episodes() == sorted(keys(13)[:10])
    # Page 0 alone, then pages 1-2, then the wave 3-6: page 3 (k004, k003, k002) reaches
    # known episodes, so no wave follows; 4-6 were already on the wire with it.
    assert server.listings() == [f"/list/{i}" for i in range(7)]


async def test_full_walks_every_page_but_fetches_only_unknown_episodes() -> None:
    store = FakeStore()
    await run_crawl(ToyServer(keys(10)), store)
    server = ToyServer(keys(10))
    await run_crawl(server, store, full=True)
    # Waves of 4: 0-3, then 4-7 (page 4 is empty: the end).
    assert server.listings() == [f"/list/{i}" for i in range(8)]
    assert server.episodes() == []


async def test_duplicates_across_shifting_pages_are_fetched_once() -> None:
    server = ToyServer(["k9", "k8", "k7", "k7", "k6", "k5", "k5"])
    store = FakeStore()
    result = await run_crawl(server, store)
    assert server.episodes() == ["k5", "k6", "k7", "k8", "k9"]
    assert len(result.new) == 5


async def test_failures_are_recorded_remembered_and_retried_next_run() -> None:
    server = ToyServer(keys(4), {"k002": "503", "k003": "broken", "k004": "noaudio"})
    store = FakeStore()
    result = await run_crawl(server, store)
    reasons = {f.url.rsplit("/", 1)[1]: f.reason for f in result.failed}
    assert reasons["k002"].startswith("HTTP 503")
    assert reasons["k003"] == "could not extract: no title anywhere"
    assert [s.reason for s in result.skipped] == ["no audio"]
    assert set(store.pending) == {"k002", "k003"}
    assert set(store.episodes) == {"k001"}

    # Next run: the site is fixed; pending pages are fetched directly, and the skipped
    # episode, still on the re-walked first page, is looked at again.
    server = ToyServer(keys(4))
    result = await run_crawl(server, store, pending=list(store.pending.values()))
    assert set(store.episodes) == {"k001", "k002", "k003", "k004"}
    assert store.pending == {}
    assert not result.failed


async def test_unavailable_audio_is_skipped_without_fetching_its_page() -> None:
    server = ToyServer(["k3", "k2:unavailable", "k1"])
    store = FakeStore()
    result = await run_crawl(server, store)
    assert server.episodes() == ["k1", "k3"]
    assert [(s.key, s.reason) for s in result.skipped] == [("k2", "audio not available yet")]


async def test_a_failed_listing_page_ends_paging_and_is_reported() -> None:
    server = ToyServer(keys(9))
    store = FakeStore()

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/list/1":
            return httpx.Response(500)
        return server(request)

    with respx.mock:
        respx.route(host="toy.test").mock(side_effect=flaky)
        async with httpx.AsyncClient() as client:
            parser = Parser(workers=0)
            crawl = Crawl(
                ToySite(ORIGIN),
                Fetcher(client, HttpSettings(concurrency=1, retries=0)),
                store,
                parser,
                set(),
                set(),
            )
            result = await crawl.run()
            await parser.aclose()
    assert [f.url for f in result.failed] == [f"{ORIGIN}/list/1"]
    assert set(store.episodes) == set(keys(9)[:3])


async def test_a_short_page_mid_listing_does_not_end_the_walk() -> None:
    # Page 1 lost two items (a listing shifting, items that failed upstream): the walk
    # goes on to the empty page that confirms the end.
    pages = [["k9", "k8", "k7"], ["k6"], ["k5", "k4", "k3"], ["k2", "k1"]]
    server = ToyServer([], pages=pages)
    store = FakeStore()
    result = await run_crawl(server, store, concurrency=2)
    assert set(store.episodes) == {f"k{i}" for i in range(1, 10)}
    assert server.listings() == [f"/list/{i}" for i in range(6)]
    assert result.walk_complete and not result.failed


async def test_a_404_past_the_first_page_ends_the_walk_but_not_on_the_first() -> None:
    server = ToyServer(keys(5), missing_past_the_end=True)
    result = await run_crawl(server, FakeStore(), concurrency=1)
    assert server.listings() == ["/list/0", "/list/1", "/list/2"]
    assert result.walk_complete and not result.failed
    result = await run_crawl(ToyServer([], missing_past_the_end=True), FakeStore())
    assert [f.reason for f in result.failed] == ["HTTP 404"]
    assert not result.walk_complete


async def test_unread_items_are_reported_and_never_where_an_incremental_walk_stops() -> None:
    store = FakeStore()
    await run_crawl(ToyServer(keys(6)), store)
    # Two new episodes, and an item the parser could not read, on a page whose oldest
    # item is known: the walk must not stop there (the unread item may be new).
    server = ToyServer([], pages=[["k008", "?", "k007", "k006"], ["k005", "k004", "k003"]])
    result = await run_crawl(server, store)
    assert server.listings()[:2] == ["/list/0", "/list/1"]
    assert [(f.url, f.reason) for f in result.failed] == [
        (f"{ORIGIN}/list/0", "1 of the page's items could not be read")
    ]
    assert set(result.new) == {"k007", "k008"}
    assert not result.walk_complete  # so the next build walks the whole listing again


@dataclass(frozen=True)
class ToyLinkedSite(ToySite):
    """Listing pages chained by a last line ``next=<path>``."""

    @property
    def paging(self) -> NextLinks:
        return NextLinks(f"{self.origin}/list/0", max_pages=5)

    def parse_listing(self, url: str, text: str) -> Listing:
        lines = text.split()
        nexts = [line.removeprefix("next=") for line in lines if line.startswith("next=")]
        listing = super().parse_listing(url, "\n".join(set(lines) - {f"next={n}" for n in nexts}))
        return replace(listing, next_url=f"{self.origin}{nexts[0]}" if nexts else None)


async def test_next_links_are_followed_until_none_a_repeat_or_max_pages() -> None:
    site = ToyLinkedSite(ORIGIN)
    pages = [["k5", "next=/list/1"], [], ["k4", "next=/list/3"], ["k3", "next=/list/2"]]
    pages[1] = ["next=/list/2"]  # a page without episodes does not end a linked walk
    server = ToyServer([], pages=pages)
    result = await run_crawl(server, FakeStore(), site=site)
    # 3 links back to 2: a repeat ends the walk.
    assert server.listings() == ["/list/0", "/list/1", "/list/2", "/list/3"]
    assert sorted(result.new) == ["k3", "k4", "k5"] and result.walk_complete
    # A chain longer than max_pages (5) stops there.
    chain = [[f"k{i}", f"next=/list/{i + 1}"] for i in range(10)]
    server = ToyServer([], pages=chain)
    await run_crawl(server, FakeStore(), site=site)
    assert server.listings() == [f"/list/{i}" for i in range(5)]


@dataclass(frozen=True)
class ToySitemapSite(ToySite):
    """Episodes found in a sitemap: every ``/ep/<key>`` URL is one."""

    @property
    def paging(self) -> Sitemap:
        return Sitemap(f"{self.origin}/sitemap.xml")

    def ref_from_url(self, url: str) -> EpisodeRef | None:
        if "/ep/" not in url:
            return None
        key = url.rsplit("/", 1)[1]
        return EpisodeRef(key=key, url=url, title=f"Title {key}")


def urlset(*entries: tuple[str, str]) -> bytes:
    urls = "".join(f"<url><loc>{ORIGIN}{p}</loc><lastmod>{d}</lastmod></url>" for p, d in entries)
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()


async def test_a_sitemap_index_reads_each_child_once_and_queues_only_episodes() -> None:
    index = (
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{ORIGIN}/old.xml</loc><lastmod>2020-01-01</lastmod></sitemap>"
        f"<sitemap><loc>{ORIGIN}/new.xml.gz</loc><lastmod>2024-01-01</lastmod></sitemap>"
        f"<sitemap><loc>{ORIGIN}/old.xml</loc></sitemap>"
        "</sitemapindex>"
    ).encode()
    documents = {
        "/sitemap.xml": index,
        "/old.xml": urlset(("/ep/k1", "2020-01-01"), ("/about", "2020-01-01")),
        "/new.xml.gz": gzip.compress(urlset(("/ep/k2", "2023-01-01"), ("/ep/k3", "2024-01-01"))),
    }
    server = ToyServer([], documents=documents)
    store = FakeStore()
    result = await run_crawl(server, store, site=ToySitemapSite(ORIGIN), concurrency=1)
    assert [p for p in server.paths if "/ep/" not in p] == [
        "/sitemap.xml",
        "/new.xml.gz",
        "/old.xml",
    ]
    # Newest first: the newest sitemap, and in it the newest entry, is fetched first.
    assert [p for p in server.paths if "/ep/" in p] == ["/ep/k3", "/ep/k2", "/ep/k1"]
    assert set(store.episodes) == {"k1", "k2", "k3"} and result.walk_complete


@dataclass(frozen=True)
class ToyCompleteSite(ToySite):
    """A listing that tells everything: no episode page is needed."""

    def episode_from_listing(self, ref: EpisodeRef) -> Episode | Skip | None:
        return self.parse_episode(ref, ref.url, "ok")


async def test_episodes_the_listing_tells_in_full_need_no_page() -> None:
    server = ToyServer(keys(4))
    store = FakeStore()
    result = await run_crawl(server, store, site=ToyCompleteSite(ORIGIN))
    assert server.episodes() == []
    assert set(store.episodes) == set(keys(4)) and sorted(result.new) == sorted(keys(4))


@pytest.mark.parametrize("workers", [0, 1])
async def test_parser_runs_off_the_loop(workers: int) -> None:
    parser = Parser(workers=workers)
    try:
        ref = EpisodeRef(key="k1", url=f"{ORIGIN}/ep/k1", title="T")
        if workers:
            # A process pool needs an importable site: use the real NPR kind on a tiny page.
            from planetrss.sites.npr import NprSite

            site: Site = NprSite(ORIGIN, "1")
            page = "<html><head><meta property='og:title' content='T'></head><body></body></html>"
            found, seconds = await parser.episode(site, ref, ref.url, page)
            assert isinstance(found, Skip)
        else:
            found, seconds = await parser.episode(ToySite(ORIGIN), ref, ref.url, "ok")
            assert isinstance(found, Episode)
        assert seconds >= 0
    finally:
        await parser.aclose()


@pytest.mark.parametrize("workers", [0, 1])
async def test_the_parser_packs_the_page_for_the_store_beside_the_parse(workers: int) -> None:
    from planetrss.sites.npr import NprSite

    parser = Parser(workers=workers)
    ref = EpisodeRef(key="k1", url=f"{ORIGIN}/ep/k1", title="T")
    # Not ASCII: the page goes to the store as UTF-8, whatever it was served as.
    page = "<html><head><meta property='og:title' content='Caf\u00e9 \u2014 T'></head></html>"
    try:
        found, seconds, packed = await parser.run_and_pack(
            NprSite(ORIGIN, "1").parse_episode, ref, ref.url, page
        )
    finally:
        await parser.aclose()
    assert isinstance(found, Skip) and seconds >= 0
    assert unpack_page(packed) == page


async def test_the_pool_grows_only_when_measured_free_cpu_and_waiting_pages_say_so() -> None:

    from planetrss.crawl import _machine_idle, _Sizing

    def window(parser: Parser, *, idle: float, busy: float) -> None:
        """One sizing window of a second: the workers busy `busy` seconds, pages waiting,
        this process nearly idle, the machine `idle` core-seconds idle (as /proc/stat
        would say had it been idle that much more)."""
        now = _machine_idle()
        parser._sizing = _Sizing(
            since=time.perf_counter() - 1.0,
            idle_since=None if now is None else now - idle,
            busy=busy,
            saturated=parser._sizing.saturated,
        )
        parser._waiting = 3
        parser._size_up()

    parser = Parser(cores=2)  # sized by measurement, starting with one worker
    try:
        parser.start()
        assert parser.size == 1
        assert parser._starting is not None
        await parser._starting
        # The one worker busy throughout, but other processes keep the machine busy
        # (0.1 core idle): no more workers, however long it lasts.
        window(parser, idle=0.1, busy=1.0)
        window(parser, idle=0.1, busy=1.0)
        assert parser.size == 1 or _machine_idle() is None
        # A core idle, but the worker busy 80% of the time: it keeps up (a burst of
        # listing pages drains by itself), no second one.
        window(parser, idle=1.0, busy=0.8)
        window(parser, idle=1.0, busy=0.8)
        assert parser.size == 1
        # Busy throughout with a core idle, in one window: a burst, not yet...
        window(parser, idle=1.0, busy=1.0)
        assert parser.size == 1
        # ... and in the next one too: one more worker.
        window(parser, idle=1.0, busy=1.0)
        assert parser.size == 2
        # The next page that finds no worker idle starts the second one.
        ref = EpisodeRef(key="k1", url=f"{ORIGIN}/ep/k1", title="T")
        from planetrss.sites.npr import NprSite

        page = "<html><head><meta property='og:title' content='T'></head><body></body></html>"
        site = NprSite(ORIGIN, "1")
        await asyncio.gather(*(parser.episode(site, ref, ref.url, page) for _ in range(4)))
        assert len(parser._live) == 2
        # A pool of the machine's size never grows, however busy.
        window(parser, idle=1.0, busy=2.0)
        window(parser, idle=1.0, busy=2.0)
        assert parser.size == 2
        single = Parser(cores=1)
        single.start()
        window(single, idle=1.0, busy=1.0)
        window(single, idle=1.0, busy=1.0)
        assert single.size == 1
        await single.aclose()
    finally:
        await parser.aclose()
    assert parser._live == set()


async def test_the_pool_is_not_grown_by_a_burst_or_by_a_backlog_that_drains() -> None:

    from planetrss.crawl import _machine_idle, _Sizing

    def window(parser: Parser, *, waited: int, waiting: int, burst: bool = False) -> None:
        """One sizing window of a second with the worker busy throughout and a core
        idle; `waited` pages waiting as it began, `waiting` as it ends."""
        now = _machine_idle()
        parser._sizing = _Sizing(
            since=time.perf_counter() - 1.0,
            idle_since=None if now is None else now - 1.0,
            busy=1.0,
            waited=waited,
            burst_seen=burst,
            saturated=parser._sizing.saturated,
        )
        parser._waiting = waiting
        parser._size_up()

    parser = Parser(cores=2)
    try:
        parser.start()
        # Listing pages in every window: however busy, the pool waits for them to drain.
        for _ in range(4):
            window(parser, waited=40, waiting=60, burst=True)
        assert parser.size == 1
        # After them the episode pages that queued behind them drain: no more workers.
        window(parser, waited=60, waiting=40)
        window(parser, waited=40, waiting=10)
        assert parser.size == 1
        # A backlog that holds, two windows in a row: the parsing is what limits.
        window(parser, waited=10, waiting=30)
        window(parser, waited=30, waiting=30)
        assert parser.size == 2
    finally:
        await parser.aclose()


async def test_idle_workers_go_to_a_burst_first_then_in_order() -> None:
    from planetrss.crawl import _IdleWorkers, _Worker

    idle = _IdleWorkers()
    one, two, three = (cast(_Worker, object()) for _ in range(3))
    episode = asyncio.ensure_future(idle.get())
    gone = asyncio.ensure_future(idle.get(burst=True))
    listing = asyncio.ensure_future(idle.get(burst=True))
    await asyncio.sleep(0)
    gone.cancel()  # a listing page no longer waiting is skipped
    await asyncio.sleep(0)
    idle.put(one)
    await asyncio.sleep(0)
    assert listing.done() and listing.result() is one and not episode.done()
    # Handed a worker and cancelled before it ran: the worker is not lost.
    late = asyncio.ensure_future(idle.get())
    await asyncio.sleep(0)
    idle.put(two)  # to `episode`, waiting first
    idle.put(three)  # to `late`...
    late.cancel()  # ... cancelled before it runs
    with contextlib.suppress(asyncio.CancelledError):
        await late
    assert episode.result() is two
    assert not idle.empty() and await idle.get() is three


async def test_a_fixed_pool_and_an_idle_one_stay_as_they_are() -> None:

    from planetrss.crawl import _Sizing

    fixed = Parser(workers=1, cores=4)
    idle = Parser(cores=4)
    for parser in (fixed, idle):
        parser.start()
    try:
        fixed._sizing = _Sizing(since=time.perf_counter() - 1.0, busy=1.0)
        fixed._waiting = 3
        fixed._size_up()
        idle._sizing = _Sizing(since=time.perf_counter() - 1.0, busy=0.2)
        idle._size_up()
        assert (fixed.size, idle.size) == (1, 1)
    finally:
        await fixed.aclose()
        await idle.aclose()


async def test_writes_waiting_together_are_committed_in_one_batch_in_order() -> None:
    store = FakeStore()
    written: list[int] = []
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        writes = _BatchedWrites(store, thread)
        await asyncio.gather(*(writes.write(written.append, n) for n in range(20)))
        assert written == list(range(20)) and store.batches == 1
        await writes.write(written.append, 20)  # nothing waiting with it: a batch of one
        assert written[-1] == 20 and store.batches == 2


async def test_a_failed_write_fails_every_write_of_its_batch() -> None:
    def broken(n: int) -> None:
        raise CacheError("the cache at /x cannot be used (disk full)")

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        writes = _BatchedWrites(FakeStore(), thread)
        outcomes = await asyncio.gather(
            writes.write(list().append, 0), writes.write(broken, 1), return_exceptions=True
        )
    # (The store rolls the whole batch back, so neither caller may think it is kept.)
    assert [type(outcome) for outcome in outcomes] == [CacheError, CacheError]


async def test_a_write_whose_caller_was_cancelled_is_still_committed() -> None:
    written: list[int] = []

    def slow_write(n: int) -> None:
        time.sleep(0.05)
        written.append(n)

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        writes = _BatchedWrites(FakeStore(), thread)
        caller = asyncio.create_task(writes.write(slow_write, 1))
        await asyncio.sleep(0)
        caller.cancel()
        drained = asyncio.create_task(writes.drain())
        await asyncio.sleep(0.01)
        drained.cancel()  # a crawl interrupted while it drains still finishes the batch
        with pytest.raises(asyncio.CancelledError):
            await drained
        assert written == [1]  # committed before the drain gave way to the cancellation
