"""Orchestration: config -> crawl -> store -> render -> report.

The only module that knows all five stages. `build()` is the library's main entry:

    from pathlib import Path
    from planetrss import build, load_feed

    report = build(load_feed(Path("feeds/planetmoney.toml")))
    print(report.episodes_in_feed, report.new, report.output)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import hashlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

from planetrss import __version__, feed, merge, sites
from planetrss.check import check_feed
from planetrss.config import FeedConfig, Source
from planetrss.crawl import Crawl, CrawlResult, FeedSite, Parser, Progress, crawl_feed, probe_sizes
from planetrss.errors import (
    CacheError,
    ConfigError,
    FeedRefusedError,
    LockedError,
    NothingUsableError,
    PlanetrssError,
    plural,
)
from planetrss.http import Fetcher, HttpSettings, make_client
from planetrss.models import (
    BuildReport,
    Episode,
    EpisodeRef,
    Failure,
    LastBuild,
    Published,
    Skip,
)
from planetrss.store import SCHEMA, FeedLock, Store, default_cache_dir

if TYPE_CHECKING:
    import httpx


log = logging.getLogger("planetrss")
T = TypeVar("T")


@dataclass(frozen=True)
class BuildOptions:
    """How to build; the defaults are what `planetrss build FEED` does."""

    full: bool = False  # walk the whole listing, not just down to known episodes
    reparse: bool = False  # re-extract every cached page offline before crawling
    cache_dir: Path | None = None  # None: PLANETRSS_CACHE_DIR or ~/.cache/planetrss
    http: HttpSettings = field(default_factory=HttpSettings)
    parse_workers: int | None = None  # processes for parsing; None: one per core
    probe_sizes: bool = False  # HEAD audio files of unknown size (or the feed's probe_sizes)
    wait: bool = True  # another build of the same feed running: wait (or raise LockedError)
    force: bool = False  # write the feed even if it drops episodes the previous one had
    # More than this share of episode pages failing means the site is down or changed.
    max_failed_share: float = 0.5


def make_site(config: FeedConfig) -> sites.Site:
    """The site for a feed definition; bad kinds or params become ConfigErrors."""
    try:
        kind = sites.get(config.site)
    except KeyError as exc:
        raise ConfigError(str(config.path), "site", str(exc.args[0])) from None
    try:
        return kind.from_params(config.origin, config.params)
    except sites.SiteParamError as exc:
        key = exc.key if exc.key in ("url", "origin") else f"params.{exc.key}"
        raise ConfigError(str(config.path), key, str(exc)) from None


def build(
    config: FeedConfig,
    options: BuildOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> BuildReport:
    """Crawl what is new, store it, render and write the feed; return the report."""
    return asyncio.run(build_async(config, options, client=client, on_progress=on_progress))


def read_last_build(config: FeedConfig, cache_dir: Path | None = None) -> LastBuild | None:
    """What the last completed build of `config` recorded, or None (never built, or
    built by a version that did not record it). Blocking: reads the cache."""
    with Store(cache_dir or default_cache_dir(), config.name) as store:
        state = store.state()
    try:
        return LastBuild(
            when=datetime.fromisoformat(state["last_build"]),
            episodes_in_feed=int(state["episodes_in_feed"]),
            new=int(state.get("new", 0)),
            failed=int(state.get("failed", 0)),
            feed_sha256=state.get("feed_sha256"),
        )
    except (KeyError, TypeError, ValueError):
        return None


async def build_async(
    config: FeedConfig,
    options: BuildOptions | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    parser: Parser | None = None,
    on_progress: Callable[[Progress], None] | None = None,
) -> BuildReport:
    """`build()` on a running event loop, which it never blocks: store reads and writes,
    rendering, checking and the atomic write run in a thread of the build's own, parsing
    in worker processes. A long-running caller (`planetrss serve`) passes the `client`
    and the `parser` it keeps across builds; None makes (and closes) one for this build.

    Cancelled while the feed is being written, it lets the write finish (the file is
    replaced whole or not at all) and then raises CancelledError.
    """
    options = options or BuildOptions()
    started = time.perf_counter()
    # Before any network use: a bad definition fails first.
    sources = make_sources(config) if config.merged else []
    site = None if config.merged else make_site(config)
    check_output(config)
    cache_dir = options.cache_dir or default_cache_dir()
    lock = FeedLock(cache_dir, config.name)
    if not lock.acquire(wait=False):
        if not options.wait:
            raise LockedError(
                f"{config.name}: another build of this feed is running (lock {lock.path}); "
                "try again later, or leave out --no-wait to wait for it"
            )
        log.warning("%s: another build of this feed is running; waiting for it", config.name)
        await asyncio.to_thread(lock.acquire, wait=True)
    owned_parser = parser is None
    parser = parser or Parser(options.parse_workers)
    owned_client = client is None
    client = client or make_client(options.http)
    io = _StoreThread(config.name)
    try:
        store = await io.run(Store, cache_dir, config.name)
        try:
            if site is None:
                return await _build_merged(
                    config, options, sources, store, io, started, client, parser, on_progress
                )
            return await _build_locked(
                config, options, site, store, io, started, client, parser, on_progress
            )
        finally:
            await io.run(store.close)  # after any write still in progress
    finally:
        io.shutdown()
        if owned_parser:
            await parser.aclose()
        if owned_client:
            await client.aclose()
        lock.release()


class _StoreThread:
    """The one thread a build does its blocking work in: every store read and write
    (SQLite connections belong to the thread that opened them), rendering, checking
    and writing the feed. Jobs run one at a time, in the order they were given."""

    def __init__(self, feed: str) -> None:
        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"build-{feed}")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False)  # the last job (closing the store) was awaited


async def _build_locked(
    config: FeedConfig,
    options: BuildOptions,
    site: sites.Site,
    store: Store,
    io: _StoreThread,
    started: float,
    client: httpx.AsyncClient,
    parser: Parser,
    on_progress: Callable[[Progress], None] | None,
) -> BuildReport:
    timings: dict[str, float] = {}
    fetcher = Fetcher(client, options.http)
    probing = options.probe_sizes or config.probe_sizes
    state = await io.run(store.state)
    episodes: Sequence[Episode] | None = None
    if options.reparse:
        mark = time.perf_counter()
        unparsed = await _reparse(site, store, parser, io)
        timings["reparse"] = time.perf_counter() - mark
    else:
        unparsed = []
    mark = time.perf_counter()
    # A walk that was cut short (killed, or a listing page failed) left new
    # episodes behind known ones: the next walk must not stop at the known ones.
    full = options.full or state.get("walk_incomplete", False)
    await io.run(store.save_state, {**state, "walk_incomplete": True})
    result = await _crawl(site, store, io, parser, fetcher, full, probing, on_progress)
    result.failed.extend(unparsed)
    await io.run(store.save_state, {**state, "walk_incomplete": not result.walk_complete})
    timings["crawl"] = time.perf_counter() - mark
    keys = await io.run(store.episode_keys)
    _check_usable(config, result, options, episodes_cached=len(keys))
    if probing and (result.new or state.get("unsized") != 0):
        mark = time.perf_counter()  # what the crawl did not probe: older episodes
        episodes = await _with_probed_sizes(config, store, io, fetcher, result)
        timings["probe_sizes"] = time.perf_counter() - mark
    timings["parse_median_ms"] = result.parse_median_ms
    timings["loop_lag_p99_ms"] = result.loop_lag_p99_ms

    mark = time.perf_counter()
    in_feed, size, written, state = await io.run(
        _publish, config, options, store, state, keys, probing, episodes
    )
    timings["render"] = time.perf_counter() - mark
    await io.run(
        store.save_state,
        {
            **state,
            "last_build": datetime.now(UTC).isoformat(timespec="seconds"),
            "episodes": len(keys),
            "output": str(config.output),
            "new": len(result.new),
            "failed": len(result.failed),
            "walk_incomplete": not result.walk_complete,
        },
    )
    # Every item the site lists that is left out on purpose, whether this build or an
    # earlier one met it: the same count on a cold build and a warm one.
    skipped = tuple(await io.run(store.skips))
    return BuildReport(
        feed=config.name,
        output=str(config.output),
        episodes_in_feed=in_feed,
        new=len(result.new),
        cached=len(keys) - len(result.new),
        skipped=skipped,
        failed=tuple(result.failed),
        requests=fetcher.requests,
        listing_pages=result.listing_pages,
        bytes_written=size,
        written=written,
        seconds=time.perf_counter() - started,
        timings=timings,
    )


def _publish(
    config: FeedConfig,
    options: BuildOptions,
    store: Store,
    state: dict[str, Any],
    keys: set[str],
    probing: bool,
    episodes: Sequence[Episode] | None,
) -> tuple[int, int, bool, dict[str, Any]]:
    """Render, check and write the feed unless it is current; (items, bytes, written, state).

    `episodes` are the ones already read back (when sizes were probed), else None.
    """
    inputs = _feed_inputs(config, keys, probing)
    if episodes is None and not options.reparse and _feed_is_current(config, state, inputs):
        # Nothing that goes into the feed changed: no need to read every episode back
        # and render them (seconds, at tens of thousands of episodes).
        return state["episodes_in_feed"], state["feed_bytes"], False, state
    chosen = episodes if episodes is not None else store.episodes(probed_sizes=probing)
    if not options.force:
        _check_nothing_dropped(config, keys)
    in_feed, output = _write_checked(config, chosen)
    unsized = sum(e.audio_size is None for e in chosen) if probing else None
    return _written(state, inputs, in_feed, output, unsized)


def _written(
    state: dict[str, Any],
    inputs: str,
    in_feed: int,
    output: feed.FeedWrite,
    unsized: int | None,
    **extra: Any,
) -> tuple[int, int, bool, dict[str, Any]]:
    """(items, bytes, written, state) after a feed was written or found current.

    `unsized`: audio lengths still unknown after probing; None when not probed."""
    return (
        in_feed,
        output.size,
        output.written,
        {
            **state,
            "feed_inputs": inputs,
            "feed_sha256": output.sha256,
            "feed_bytes": output.size,
            "episodes_in_feed": in_feed,
            "unsized": unsized,
            **extra,
        },
    )


def _write_checked(config: FeedConfig, episodes: Sequence[Episode]) -> tuple[int, feed.FeedWrite]:
    """Render the feed into a temp file one item at a time, check it there, and put it in
    place only if it passes and differs: (items in the feed, what was written)."""
    in_feed = 0

    def render(out: feed.ByteSink) -> None:
        nonlocal in_feed
        in_feed = feed.render_feed_to(config, episodes, out)

    try:
        output = feed.write_feed_stream(
            config.output, render, check=lambda path: _check_feed(config, path)
        )
    except OSError as exc:
        raise _output_error(config, exc) from None
    return in_feed, output


def _feed_inputs(config: FeedConfig, keys: set[str], probing: bool) -> str:
    """A digest of everything the feed file is made from, short of the episodes' content
    (which only --reparse changes, and a reparse always renders)."""
    parts = [__version__, str(SCHEMA), repr(config), str(probing), *sorted(keys)]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _feed_is_current(config: FeedConfig, state: dict[str, Any], inputs: str) -> bool:
    """True when the output file is the one the last build wrote from these same inputs."""
    return state.get("feed_inputs") == inputs and _wrote_output(config, state)


def _wrote_output(config: FeedConfig, state: dict[str, Any]) -> bool:
    """True when the output file is exactly the one the last build wrote."""
    if "feed_sha256" not in state:
        return False
    try:
        with config.output.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return False
    return bool(digest == state["feed_sha256"])


async def _crawl(
    site: sites.Site,
    store: Store,
    io: _StoreThread,
    parser: Parser,
    fetcher: Fetcher,
    full: bool,
    probing: bool,
    on_progress: Callable[[Progress], None] | None,
) -> CrawlResult:
    def known() -> tuple[set[str], set[str], list[EpisodeRef], dict[str, int]]:
        return (
            store.episode_keys(),
            store.skip_keys(),
            store.pending_refs(),
            store.sizes() if probing else {},
        )

    stored, skipped, pending, sizes = await io.run(known)
    crawl = Crawl(
        site=site,
        fetcher=fetcher,
        store=store,
        parser=parser,
        stored=stored,
        known=stored | skipped | {ref.key for ref in pending},
        pending=pending,
        full=full,
        probe_sizes=probing,
        sizes=sizes,
        on_progress=on_progress,
        writer=io.executor,
    )
    return await crawl.run()


async def _with_probed_sizes(
    config: FeedConfig, store: Store, io: _StoreThread, fetcher: Fetcher, result: CrawlResult
) -> Sequence[Episode]:
    """All episodes, unknown enclosure lengths filled in from HEAD requests (each URL is
    probed once ever: found sizes are cached)."""

    def unknown() -> list[str]:
        chosen = feed.select_episodes(config, store.episodes(probed_sizes=True))
        # A URL the crawl probed already failed (or it would have a size): its failure
        # is reported once, and it is tried again next build, not now.
        return [
            e.audio_url for e in chosen if e.audio_size is None and e.audio_url not in result.probed
        ]

    found, failures = await probe_sizes(fetcher, await io.run(unknown))
    for url, size in found.items():
        await io.run(store.save_size, url, size)
    result.failed.extend(failures)  # retried next run: failures are not remembered
    return await io.run(lambda: store.episodes(probed_sizes=True))


async def _reparse(
    site: sites.Site, store: Store, parser: Parser, io: _StoreThread
) -> list[Failure]:
    """Re-extract every stored episode from its cached raw page, without network.

    A page the site kind no longer understands (ExtractError) keeps its stored record
    and is reported; any other exception is a bug and stops the build.
    """
    failures: list[Failure] = []

    async def one(ref: EpisodeRef) -> None:
        text = await io.run(store.load_page, ref.url)
        if text is None:
            return  # no raw page: the stored record stays as it is
        try:
            found, _ = await parser.episode(site, ref, ref.url, text)
        except sites.ExtractError as exc:
            failures.append(Failure(ref.url, f"could not re-extract (stored record kept): {exc}"))
            return
        if isinstance(found, Skip):
            await io.run(store.save_skip, found)
        else:
            await io.run(store.save_episode, found, ref)

    async with asyncio.TaskGroup() as group:
        for ref in await io.run(store.refs):
            group.create_task(one(ref))
    return failures


def _check_usable(
    config: FeedConfig, result: CrawlResult, options: BuildOptions, *, episodes_cached: int
) -> None:
    """Refuse to write a feed from a crawl that went wrong: the site is down or changed.

    The episodes that did arrive are in the cache already; only the feed file waits.
    """
    kept = f"{config.output} left as it was"
    if result.unrecognised:
        first = result.unrecognised[0]
        raise NothingUsableError(
            f"{config.name}: the site's pages have changed: {first.url}: {first.reason}; {kept}"
        )
    attempts, failures = result.episode_attempts, result.episode_failures
    if attempts >= 4 and failures > options.max_failed_share * attempts:
        first = result.failed[-1]
        raise NothingUsableError(
            f"{config.name}: {failures} of {attempts} episode pages failed "
            f"(e.g. {first.url}: {first.reason}); {kept}"
        )
    if episodes_cached:
        return
    if result.failed:
        first = result.failed[0]
        raise NothingUsableError(
            f"{config.name}: nothing usable: {first.url}: {first.reason} "
            f"({plural(len(result.failed), 'page')} failed); {kept}"
        )
    raise NothingUsableError(
        f"{config.name}: no episodes found ({config.describe_sources()}) "
        f"(the site may have changed its pages); {kept}"
    )


def _check_feed(config: FeedConfig, data: bytes | Path) -> None:
    """Run `planetrss check`'s rules on the feed about to be written; refuse on errors."""
    errors = [f for f in check_feed(data) if f.level == "error"]
    if errors:
        first = errors[0]
        raise FeedRefusedError(
            f"{config.name}: the new feed fails {plural(len(errors), 'check')}, first: {first.where}: "
            f"{first.message} [{first.rule}]; {config.output} left as it was"
        )


# A feed that cannot be written because of where it is to go: the place is wrong (exit 2),
# not the site or the disk.
_PLACE_ERRORS = {
    errno.EACCES,
    errno.EPERM,
    errno.EROFS,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.ENOENT,
    errno.ENAMETOOLONG,
}


def check_output(config: FeedConfig) -> None:
    """Refuse, before any network use, a feed that could not be written where it is to go."""
    output = config.output
    if output.is_dir():
        raise ConfigError(
            str(output),
            None,
            f"cannot write the feed there: it is a folder; name a file in it, "
            f"e.g. {output / f'{config.name}.xml'}",
        )
    folder = output.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the folders that are missing will be made in this one
    if not folder.is_dir():
        raise ConfigError(str(output), None, f"cannot write the feed there: {folder} is a file")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            str(output), None, f"cannot write the feed there: {folder} is not writable"
        )


def _output_error(config: FeedConfig, exc: OSError) -> PlanetrssError:
    where = f"{exc.filename}: " if exc.filename and exc.filename != str(config.output) else ""
    message = (
        f"cannot write the feed there: {where}{exc.strerror or exc}; "
        "the previous feed is left as it was"
    )
    if exc.errno in _PLACE_ERRORS:
        return ConfigError(str(config.output), None, message)
    return PlanetrssError(f"{config.output}: {message}")


def _check_nothing_dropped(config: FeedConfig, keys: set[str]) -> None:
    """Refuse a feed that loses episodes the previous one had (a lost cache, a bad parse)."""
    dropped = sorted(feed.read_guids(config.output) - keys)
    if dropped:
        shown = ", ".join(dropped[:3]) + (", ..." if len(dropped) > 3 else "")
        raise FeedRefusedError(
            f"{config.name}: the new feed would drop {plural(len(dropped), 'episode')} that "
            f"{config.output} has (guids {shown}); {config.output} left as it was "
            "(--force writes it anyway)"
        )


# --- several sources, one feed (planetrss.merge) ----------------------------------------------


def make_sources(config: FeedConfig) -> list[tuple[Source, sites.Site]]:
    """The sites of a [[sources]] feed; errors name the source (``sources[1].params.x``)."""
    found = []
    for source in config.sources:
        try:
            kind = sites.get(source.site)
        except KeyError as exc:
            raise ConfigError(str(config.path), f"{source.where}.site", str(exc.args[0])) from None
        try:  # a missing origin or url: the kind says whether it has a default
            site = kind.from_params(source.url or source.origin, source.params)
        except sites.SiteParamError as exc:
            key = exc.key if exc.key in ("url", "origin") else f"params.{exc.key}"
            raise ConfigError(str(config.path), f"{source.where}.{key}", str(exc)) from None
        found.append((source, site))
    return found


@dataclass
class _SourceRun:
    """One source's part in a merged build."""

    source: Source
    site: sites.Site
    store: Store
    result: CrawlResult = field(default_factory=CrawlResult)
    error: str | None = None  # why this source gave nothing this time (its cache still counts)


async def _build_merged(
    config: FeedConfig,
    options: BuildOptions,
    sources: list[tuple[Source, sites.Site]],
    feed_store: Store,
    io: _StoreThread,
    started: float,
    client: httpx.AsyncClient,
    parser: Parser,
    on_progress: Callable[[Progress], None] | None,
) -> BuildReport:
    """Crawl every source concurrently (each in its own store), merge, write one feed.

    A source that fails is reported and the feed is built from the others (and from what
    the failed one gave in earlier builds): exit status 1, like a failed page.
    """
    timings: dict[str, float] = {}
    fetcher = Fetcher(client, options.http)
    probing = options.probe_sizes or config.probe_sizes
    cache_dir = feed_store.directory.parent
    runs = [
        _SourceRun(s, site, await io.run(lambda s=s: Store(cache_dir, config.name, source=s.name)))
        for s, site in sources
    ]
    try:
        mark = time.perf_counter()
        async with asyncio.TaskGroup() as group:
            for run in runs:
                group.create_task(
                    _crawl_source(config, options, run, io, parser, fetcher, probing, on_progress)
                )
        timings["crawl"] = time.perf_counter() - mark
        failed_sources = [run for run in runs if run.error is not None]
        counts = [await io.run(lambda r=run: len(r.store.episode_keys())) for run in runs]
        if not any(counts):
            first = failed_sources[0] if failed_sources else runs[0]
            raise NothingUsableError(
                f"{config.name}: no source gave any episode "
                f"({first.source.name}: {first.error or 'no episodes found'}); "
                f"{config.output} left as it was"
            )
        mark = time.perf_counter()
        state = await io.run(feed_store.state)
        # Probe when episodes arrived, or the last build left lengths unknown: reading
        # every episode back to find out costs a second at thousands of episodes.
        if probing and (any(run.result.new for run in runs) or state.get("unsized") != 0):
            await _probe_merged_sizes(config, feed_store, runs, io, fetcher)
            timings["probe_sizes"] = time.perf_counter() - mark
            mark = time.perf_counter()
        in_feed, size, written, state = await io.run(
            _publish_merged, config, options, feed_store, runs, state, probing
        )
        timings["render"] = time.perf_counter() - mark
    finally:
        for run in runs:
            await io.run(run.store.close)
    failed: list[Failure] = [f for run in runs for f in run.result.failed]
    failed += [
        Failure(
            run.source.url or run.source.origin or run.source.name,
            f"source {run.source.name!r}: {run.error}",
        )
        for run in failed_sources
    ]
    new, total = state.pop("merged_new"), state.pop("merged_total")
    await io.run(
        feed_store.save_state,
        {
            **state,
            "last_build": datetime.now(UTC).isoformat(timespec="seconds"),
            "episodes": sum(counts),
            "output": str(config.output),
            "new": new,
            "failed": len(failed),
        },
    )
    return BuildReport(
        feed=config.name,
        output=str(config.output),
        episodes_in_feed=in_feed,
        new=new,
        cached=total - new,
        skipped=tuple(s for run in runs for s in run.result.skipped),
        failed=tuple(failed),
        requests=fetcher.requests,
        listing_pages=sum(run.result.listing_pages for run in runs),
        bytes_written=size,
        written=written,
        seconds=time.perf_counter() - started,
        timings=timings,
    )


async def _crawl_source(
    config: FeedConfig,
    options: BuildOptions,
    run: _SourceRun,
    io: _StoreThread,
    parser: Parser,
    fetcher: Fetcher,
    probing: bool,
    on_progress: Callable[[Progress], None] | None,
) -> None:
    """Crawl one source into its store; a failure is recorded in `run`, never raised."""
    store = run.store
    state = await io.run(store.state)
    full = options.full or options.reparse or state.get("walk_incomplete", False)
    try:
        if isinstance(run.site, FeedSite):
            run.result = await _crawl_feed_source(run, io, parser, fetcher, state, full)
        else:
            unparsed = await _reparse(run.site, store, parser, io) if options.reparse else []
            await io.run(store.save_state, {**state, "walk_incomplete": True})
            run.result = await _crawl(
                run.site, store, io, parser, fetcher, full, probing, on_progress
            )
            run.result.failed.extend(unparsed)
            await io.run(
                store.save_state, {**state, "walk_incomplete": not run.result.walk_complete}
            )
        keys = await io.run(store.episode_keys)
        _check_usable(config, run.result, options, episodes_cached=len(keys))
    except NothingUsableError as exc:
        run.error = str(exc).removeprefix(f"{config.name}: ")


async def _crawl_feed_source(
    run: _SourceRun,
    io: _StoreThread,
    parser: Parser,
    fetcher: Fetcher,
    state: dict[str, Any],
    full: bool,
) -> CrawlResult:
    """Read a feed source (conditional GET, next pages) and store its complete items."""
    site = run.site
    assert isinstance(site, FeedSite)
    store = run.store
    result = CrawlResult()
    known = await io.run(store.episode_keys)
    crawl = await crawl_feed(
        site,
        fetcher,
        parser,
        known=known,
        full=full,
        etag=None if full else state.get("etag"),
        last_modified=None if full else state.get("last_modified"),
    )
    result.failed.extend(crawl.failed)
    result.walk_complete = crawl.walk_complete
    if crawl.pages is None:
        return result  # unchanged since the last build

    def save() -> None:
        for page in crawl.pages or ():
            result.listing_pages += 1
            for episode in page.episodes:
                if store.episode(episode.key) != episode:  # new, or changed at the source
                    ref = EpisodeRef(episode.key, page.url, episode.title, episode.published)
                    store.save_episode(episode, ref)
                    if episode.key not in known:
                        result.new.append(episode.key)
            for skip in page.skips:
                if skip.key not in known:  # a feed's glitch never deletes an episode
                    store.save_skip(skip)
                    result.skipped.append(skip)
        if crawl.walk_complete:
            validators = {"etag": crawl.etag, "last_modified": crawl.last_modified}
            store.save_state({**state, **validators})

    await io.run(save)
    if crawl.pages == [] and crawl.failed:
        first = crawl.failed[0]
        where = "" if first.url == site.origin else f"{first.url}: "
        raise NothingUsableError(f"{where}{first.reason}")
    return result


def _merge_inputs(
    config: FeedConfig, runs: list[_SourceRun], published: list[Published]
) -> merge.MergeResult:
    """Match every source's stored episodes with what was published before."""
    kinds = {run.source.name: run.source.site for run in runs}
    candidates = [
        merge.Candidate.of(run.source.name, episode)
        for run in runs
        for episode in run.store.all_episodes()
    ]
    return merge.match(candidates, published, kinds=kinds, precedence=config.precedence)


def _published_before(config: FeedConfig, feed_store: Store) -> list[Published]:
    """The registry, plus the items of the feed file it does not know (a lost cache, or
    a feed first written before the registry existed): their guids must not change."""
    registry = feed_store.published()
    state = feed_store.state()
    if state.get("registry_complete") and _wrote_output(config, state):
        return registry  # the file is the last merged build's: the registry holds it all
    known = {p.guid for p in registry}
    return registry + [p for p in feed.read_published(config.output) if p.guid not in known]


def _publish_merged(
    config: FeedConfig,
    options: BuildOptions,
    feed_store: Store,
    runs: list[_SourceRun],
    state: dict[str, Any],
    probing: bool,
) -> tuple[int, int, bool, dict[str, Any]]:
    """Merge, then render, check and write the feed unless it is current (blocking)."""
    result = _merge_inputs(config, runs, _published_before(config, feed_store))
    parts = [
        f"{m.guid}={','.join(f'{s}:{k}' for s, k in (c.member for c in m.members))}"
        for m in result.episodes
    ]
    inputs = _feed_inputs(config, set(parts), probing)
    # The report counts the feed's episodes: new ones are those never published before.
    counts = {
        "merged_new": sum(m.anchor is None for m in result.episodes),
        "merged_total": len(result.episodes),
    }
    if not options.reparse and _feed_is_current(config, state, inputs):
        return state["episodes_in_feed"], state["feed_bytes"], False, {**state, **counts}
    if not options.force:
        _check_nothing_dropped(config, {m.guid for m in result.episodes})
    kinds = {run.source.name: run.source.site for run in runs}
    episodes = MergedEpisodes(
        result.episodes,
        {run.source.name: run.store for run in runs},
        merge.Precedence(kinds, config.precedence),
        feed_store.sizes() if probing else {},
    )
    in_feed, output = _write_checked(config, episodes)
    # Written (or already there): from now on these guids are the episodes' for good.
    feed_store.save_published(episodes.records.values())
    return _written(
        state,
        inputs,
        in_feed,
        output,
        len(episodes.unsized) if probing else None,
        matches=result.rule_counts(),
        # Every item of the file just written is in the registry (a one-source build
        # of the same feed, before, wrote a file without recording its items).
        registry_complete=True,
        **counts,
    )


class MergedEpisodes(Sequence[Episode]):
    """The merged feed's episodes, each combined from its members' stores when reached.

    Remembers the published record of every episode it produced (`records`), which the
    registry keeps once the feed is written.
    """

    def __init__(
        self,
        merged: Sequence[merge.Merged],
        stores: dict[str, Store],
        precedence: merge.Precedence,
        sizes: dict[str, int],
    ) -> None:
        self.merged = merged
        self.stores = stores
        self.precedence = precedence
        self.sizes = sizes
        self.records: dict[str, Published] = {}
        self.unsized: set[str] = set()  # guids of episodes whose audio length is unknown

    def __len__(self) -> int:
        return len(self.merged)

    @overload
    def __getitem__(self, index: int) -> Episode: ...
    @overload
    def __getitem__(self, index: slice) -> MergedEpisodes: ...
    def __getitem__(self, index: int | slice) -> Episode | MergedEpisodes:
        if isinstance(index, slice):
            return MergedEpisodes(self.merged[index], self.stores, self.precedence, self.sizes)
        merged = self.merged[index]
        members = {}
        for candidate in merged.members:
            episode = self.stores[candidate.source].episode(candidate.key)
            if episode is None:
                raise CacheError(f"episode {candidate.key!r} left the cache while being read")
            members[candidate.member] = episode
        episode = merge.combine(merged, members, self.precedence)
        if episode.audio_size is None and episode.audio_url in self.sizes:
            episode = replace(episode, audio_size=self.sizes[episode.audio_url])
        self.records[merged.guid] = merge.published_record(merged, episode)
        if episode.audio_size is None:
            self.unsized.add(merged.guid)
        return episode


async def _probe_merged_sizes(
    config: FeedConfig,
    feed_store: Store,
    runs: list[_SourceRun],
    io: _StoreThread,
    fetcher: Fetcher,
) -> None:
    """HEAD the audio of merged episodes whose length no source gives (once per URL)."""

    def unknown() -> list[str]:
        result = _merge_inputs(config, runs, _published_before(config, feed_store))
        kinds = {run.source.name: run.source.site for run in runs}
        sizes = feed_store.sizes()
        episodes = MergedEpisodes(
            result.episodes,
            {run.source.name: run.store for run in runs},
            merge.Precedence(kinds, config.precedence),
            sizes,
        )
        return [e.audio_url for e in feed.select_episodes(config, episodes) if e.audio_size is None]

    found, failures = await probe_sizes(fetcher, await io.run(unknown))
    for url, size in found.items():
        await io.run(feed_store.save_size, url, size)
    if failures and runs:
        runs[0].result.failed.extend(failures)


def merged_episodes(
    config: FeedConfig, cache_dir: Path | None = None
) -> list[tuple[Episode, tuple[str, ...]]]:
    """The feed's episodes as the next build would publish them, newest first, each with
    the names of the sources it comes from (`planetrss episodes`). Blocking: reads the cache."""
    directory = cache_dir or default_cache_dir()
    with Store(directory, config.name) as feed_store:
        if not config.merged:
            return [(e, (config.site,)) for e in feed_store.episodes()]
        stores = {s.name: Store(directory, config.name, source=s.name) for s in config.sources}
        try:
            runs = [_SourceRun(s, site, stores[s.name]) for s, site in make_sources(config)]
            result = _merge_inputs(config, runs, _published_before(config, feed_store))
            kinds = {s.name: s.site for s in config.sources}
            episodes = MergedEpisodes(
                result.episodes, stores, merge.Precedence(kinds, config.precedence), {}
            )
            found = [(episodes[i], m.sources) for i, m in enumerate(result.episodes)]
        finally:
            for store in stores.values():
                store.close()
    found.sort(key=lambda pair: (pair[0].published, pair[0].key), reverse=True)
    return found
