"""Orchestration: config -> crawl -> store -> render -> report.

The only module that knows all five stages. `build()` is the library's main entry:

    from pathlib import Path
    from planetrss import build, load_feed

    report = build(load_feed(Path("feeds/planetmoney.toml")))
    print(report.episodes_in_feed, report.new, report.output)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from planetrss import feed, sites
from planetrss.config import FeedConfig
from planetrss.crawl import Crawl, CrawlResult, Parser, Progress
from planetrss.errors import ConfigError, NothingUsableError
from planetrss.http import Fetcher, HttpSettings, make_client
from planetrss.models import BuildReport, EpisodeRef, Skip
from planetrss.store import Store, default_cache_dir

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class BuildOptions:
    """How to build; the defaults are what `planetrss build FEED` does."""

    full: bool = False  # walk the whole listing, not just down to known episodes
    reparse: bool = False  # re-extract every cached page offline before crawling
    cache_dir: Path | None = None  # None: PLANETRSS_CACHE_DIR or ~/.cache/planetrss
    http: HttpSettings = field(default_factory=HttpSettings)
    parse_workers: int | None = None  # processes for parsing; None: one per core


def make_site(config: FeedConfig) -> sites.Site:
    """The site for a feed definition; bad kinds or params become ConfigErrors."""
    try:
        kind = sites.get(config.site)
    except KeyError as exc:
        raise ConfigError(str(config.path), "site", str(exc.args[0])) from None
    try:
        return kind.from_params(config.origin, config.params)
    except sites.SiteParamError as exc:
        raise ConfigError(str(config.path), f"params.{exc.key}", str(exc)) from None


def build(
    config: FeedConfig,
    options: BuildOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> BuildReport:
    """Crawl what is new, store it, render and write the feed; return the report."""
    return asyncio.run(build_async(config, options, client=client, on_progress=on_progress))


async def build_async(
    config: FeedConfig,
    options: BuildOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> BuildReport:
    options = options or BuildOptions()
    started = time.perf_counter()
    site = make_site(config)  # before any network use: a bad definition fails first
    timings: dict[str, float] = {}
    with Store(options.cache_dir or default_cache_dir(), config.name) as store:
        parser = Parser(options.parse_workers)
        try:
            if options.reparse:
                mark = time.perf_counter()
                await _reparse(site, store, parser)
                timings["reparse"] = time.perf_counter() - mark
            mark = time.perf_counter()
            result, requests = await _crawl(site, store, parser, options, client, on_progress)
            timings["crawl"] = time.perf_counter() - mark
        finally:
            parser.close()
        timings["parse_median_ms"] = result.parse_median_ms
        timings["loop_lag_p99_ms"] = result.loop_lag_p99_ms

        mark = time.perf_counter()
        episodes = store.episodes()
        _check_usable(config, result, episodes_cached=len(episodes))
        data = feed.render_feed(config, episodes)
        written = feed.write_feed(config.output, data)
        timings["render"] = time.perf_counter() - mark
        in_feed = len(feed.select_episodes(episodes, config.max_items))
        store.save_state(
            {
                "last_build": datetime.now(UTC).isoformat(timespec="seconds"),
                "episodes": len(episodes),
                "output": str(config.output),
                "failed": len(result.failed),
            }
        )
    return BuildReport(
        feed=config.name,
        output=str(config.output),
        episodes_in_feed=in_feed,
        new=len(result.new),
        cached=len(episodes) - len(result.new),
        skipped=tuple(result.skipped),
        failed=tuple(result.failed),
        requests=requests,
        listing_pages=len(result.listings),
        bytes_written=len(data),
        written=written,
        seconds=time.perf_counter() - started,
        timings=timings,
    )


async def _crawl(
    site: sites.Site,
    store: Store,
    parser: Parser,
    options: BuildOptions,
    client: httpx.AsyncClient | None,
    on_progress: Callable[[Progress], None] | None,
) -> tuple[CrawlResult, int]:
    stored = store.episode_keys()
    pending = store.pending_refs()
    known = stored | store.skip_keys() | {ref.key for ref in pending}
    owned = client is None
    client = client or make_client(options.http)
    try:
        fetcher = Fetcher(client, options.http)
        crawl = Crawl(
            site=site,
            fetcher=fetcher,
            store=store,
            parser=parser,
            stored=stored,
            known=known,
            pending=pending,
            full=options.full,
            on_progress=on_progress,
        )
        return await crawl.run(), fetcher.requests
    finally:
        if owned:
            await client.aclose()


async def _reparse(site: sites.Site, store: Store, parser: Parser) -> None:
    """Re-extract every stored episode from its cached raw page, without network."""

    async def one(ref: EpisodeRef) -> None:
        text = store.load_page(ref.url)
        if text is None:
            return  # no raw page: the stored record stays as it is
        found, _ = await parser.episode(site, ref, ref.url, text)
        if isinstance(found, Skip):
            store.save_skip(found)
        else:
            store.save_episode(found, ref)

    async with asyncio.TaskGroup() as group:
        for ref in store.refs():
            group.create_task(one(ref))


def _check_usable(config: FeedConfig, result: CrawlResult, *, episodes_cached: int) -> None:
    """Refuse to write a feed from a crawl that found nothing: the site is down or changed."""
    if episodes_cached:
        return
    if result.failed:
        first = result.failed[0]
        raise NothingUsableError(
            f"{config.name}: nothing usable: {first.url}: {first.reason} "
            f"({len(result.failed)} page(s) failed); no feed written"
        )
    raise NothingUsableError(
        f"{config.name}: no episodes found at {config.origin} "
        "(the site may have changed its pages); no feed written"
    )
