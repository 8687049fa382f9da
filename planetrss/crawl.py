"""The async crawl: listing pages in, parsed episodes out, streamed into the store.

Listing pages are fetched in waves (offsets are known in advance, so a wave is
fetched concurrently); each listing page, as soon as it is parsed, starts the fetches
of the episode pages the store does not hold, so episode pages are on the wire while
later listing pages still are. Every task has a parent that waits for it (one
TaskGroup); the per-host limit lives in the Fetcher. Expected per-page failures are
recorded and the crawl goes on; anything else is a bug and cancels the crawl.

HTML parsing is CPU work: it runs in a pool of worker processes sized by measurement,
never on the event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import os
import pickle
import statistics
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import urlsplit

from planetrss import parse_worker
from planetrss.errors import PlanetrssError, plural
from planetrss.http import Fetcher, FetchError
from planetrss.models import Episode, EpisodeRef, Failure, FeedPage, Listing, Skip
from planetrss.sites.base import ExtractError, NextLinks, NumberedPages, Site, Sitemap
from planetrss.sites.sitemap import SitemapEntries, parse_sitemap

T = TypeVar("T")


class PageReader(Protocol):
    """Where the crawl reads pages: a logical URL in, the page's body out.

    `http.Fetcher` is the live reader. The crawl reads every listing, sitemap and episode
    page through one, so another can serve any kind's pages without the kinds or the
    paging strategies knowing: a Wayback reader would map each logical URL to an
    archived capture (CDX lookup, then the raw ``id_`` snapshot) and return its bytes,
    raising `FetchError` (status 404 when there is no capture, which ends a numbered
    walk past its first page) for what it cannot serve. `requests` counts what it sent.
    """

    requests: int

    async def get_text(self, url: str) -> str: ...
    async def get_bytes(self, url: str) -> bytes: ...


class PageStore(Protocol):
    """Where the crawl puts what it finds (planetrss.store.Store fits)."""

    def save_packed_page(self, url: str, packed: bytes) -> None: ...
    def save_episode(self, episode: Episode, ref: EpisodeRef) -> None: ...
    def save_skip(self, skip: Skip) -> None: ...
    def save_pending(self, ref: EpisodeRef) -> None: ...
    def save_size(self, url: str, size: int) -> None: ...
    def batch(self) -> contextlib.AbstractContextManager[None]: ...


@dataclass
class Progress:
    """Live counters, handed to the progress callback after every page."""

    listing_pages: int = 0
    episodes_queued: int = 0
    episodes_done: int = 0


@dataclass
class CrawlResult:
    new: list[str] = field(default_factory=list)  # keys only: the episodes are in the store
    skipped: list[Skip] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    listing_pages: int = 0  # a count (from Progress), not the pages: they hold every ref
    parse_seconds: list[float] = field(default_factory=list)
    loop_lag: list[float] = field(default_factory=list)
    # Listing pages that look like a changed site: content, but no episode found in it.
    unrecognised: list[Failure] = field(default_factory=list)
    # First tries only: pages that failed in earlier runs and fail again do not count,
    # so a few dead pages cannot make every later build look like a site outage.
    episode_attempts: int = 0
    episode_failures: int = 0
    # The listing was walked to its end, or to known episodes; False after a failure.
    walk_complete: bool = False
    # Audio URLs whose size was probed in this crawl, found or failed: not asked again.
    probed: set[str] = field(default_factory=set)

    @property
    def parse_median_ms(self) -> float:
        return statistics.median(self.parse_seconds) * 1000 if self.parse_seconds else 0.0

    @property
    def loop_lag_p99_ms(self) -> float:
        if len(self.loop_lag) < 2:
            return 0.0
        return statistics.quantiles(self.loop_lag, n=100)[98] * 1000


_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# Linux: a pipe holds 64 KB unless asked for more; an episode page is ~90 KB, so with
# the default a page goes over in several writes, each a wake-up of the event loop.
_F_SETPIPE_SZ = 1031
_PIPE_BYTES = 1024 * 1024


def _widen_pipe(stream: asyncio.StreamWriter | None) -> None:
    pipe = stream.get_extra_info("pipe") if stream is not None else None
    try:
        if pipe is not None and sys.platform == "linux":
            fcntl.fcntl(pipe.fileno(), _F_SETPIPE_SZ, _PIPE_BYTES)
    except OSError:
        pass  # a system limit below 1 MB: the default works, a little slower


class _Worker:
    """One parse worker process (see planetrss.parse_worker), one request at a time."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, nice: int = 0) -> _Worker:
        env = dict(os.environ)  # the worker must import this very planetrss
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "planetrss.parse_worker",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            # A session of its own: a terminal's Ctrl-C (SIGINT to the foreground process
            # group) reaches the build alone, which stops its workers by closing their
            # stdin; a worker interrupted mid-import would print a traceback instead.
            start_new_session=True,
        )
        if nice:  # relative to ours, like nice(1)
            niceness = min(19, os.getpriority(os.PRIO_PROCESS, 0) + nice)
            os.setpriority(os.PRIO_PROCESS, process.pid, niceness)
        _widen_pipe(process.stdin)
        worker = cls(process)
        try:
            if await worker._receive() != parse_worker.READY:
                raise RuntimeError("the parse worker did not start")
        except BaseException:  # cancelled while it started, too: none is left behind
            worker.kill()
            await process.wait()
            raise
        return worker

    async def call(
        self, fn: Callable[..., T], args: tuple[object, ...], pack: bool
    ) -> tuple[T, float, bytes | None]:
        assert self.process.stdin is not None
        self.process.stdin.write(parse_worker.frame((fn, args, pack)))
        await self.process.stdin.drain()
        reply = await self._receive()
        assert isinstance(reply, tuple)
        ok, value = reply
        if not ok:
            raise value
        return cast(tuple[T, float, bytes | None], value)

    async def _receive(self) -> object:
        assert self.process.stdout is not None
        try:
            header = await self.process.stdout.readexactly(4)
            body = await self.process.stdout.readexactly(int.from_bytes(header, "big"))
        except asyncio.IncompleteReadError:
            raise RuntimeError(f"the parse worker died (exit {self.process.returncode})") from None
        return pickle.loads(body)

    async def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # end of requests: the worker exits
        await self.process.wait()

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


def _machine_idle() -> float | None:
    """Idle CPU seconds of the whole machine since boot (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = stat.readline().split()  # cpu user nice system idle iowait ...
        return (int(fields[4]) + int(fields[5])) / _TICKS
    except (OSError, IndexError, ValueError):
        return None


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class _IdleWorkers:
    """The pool's idle workers, handed to the requests waiting for one in the order
    they came, except that a burst's requests (a listing's pages) go before the rest:
    each names episodes to fetch, and while it waits behind episode pages the crawl
    learns of its work later and the pool cannot tell the burst from a steady load."""

    def __init__(self) -> None:
        self._free: deque[_Worker] = deque()
        self._bursts: deque[asyncio.Future[_Worker]] = deque()  # served first
        self._others: deque[asyncio.Future[_Worker]] = deque()

    def empty(self) -> bool:
        return not self._free

    def put(self, worker: _Worker) -> None:
        for waiting in (self._bursts, self._others):
            while waiting:
                taker = waiting.popleft()
                if not taker.done():  # not cancelled
                    taker.set_result(worker)
                    return
        self._free.append(worker)

    async def get(self, burst: bool = False) -> _Worker:
        if self._free:
            return self._free.popleft()
        taker: asyncio.Future[_Worker] = asyncio.get_running_loop().create_future()
        (self._bursts if burst else self._others).append(taker)
        try:
            return await taker
        except asyncio.CancelledError:
            if taker.done() and not taker.cancelled():  # handed one, then cancelled
                self.put(taker.result())
            raise


@dataclass
class _Sizing:
    """What the pool measures to decide whether one more worker would help."""

    since: float = field(default_factory=time.perf_counter)
    cpu_since: float = field(default_factory=time.process_time)
    idle_since: float | None = field(default_factory=_machine_idle)
    busy: float = 0.0  # seconds the workers spent on requests since `since`
    waited: int = 0  # requests waiting for a free worker at `since`
    burst_seen: bool = False  # whether a burst's request (a listing page) was in hand
    saturated: int = 0  # windows in a row, before this one, that asked for one more


class Parser:
    """Runs a site's pure parse functions off the event loop, in worker processes.

    The workers are started on demand (`start()`: a crawl asks as its walk begins, since
    its first listing page is parsed in a worker too), so a build that reads no pages
    (a feed source's, say) never pays for starting a process. `workers=0` parses in a
    thread (tests, tiny builds); a number fixes the pool's size.

    By default the pool starts with one worker and grows, one at a time, while the
    measurements say another would help, for a second in a row: requests are waiting
    for a worker, the workers are busy 90% of the time, and the CPU the event loop's own
    process uses (measured, not assumed) leaves at least half a core free (and the
    machine, measured where Linux tells, has that much idle). The burst of listing
    pages at a crawl's start is parsed first and the pool is not sized on it. On two
    cores that is one worker (the loop and the site's server use the rest); on more,
    more when the network is close and pages arrive faster than one worker parses them.

    One Parser may serve many builds, one after another or at once (`planetrss serve`
    keeps one for the life of the process): a worker that dies or is interrupted
    mid-reply is retired and a new one takes its place when next needed. Whoever
    created the Parser closes it with `aclose()`. `nice` lowers the workers' CPU priority
    (a server's parsing yields the CPU to its answering requests).
    """

    GROW_EVERY = 0.5  # seconds between sizing decisions
    SUSTAINED = 2  # windows in a row that must ask for one more worker before it starts
    FREE = 0.5  # of a core, free, for one more worker to be worth starting

    def __init__(
        self, workers: int | None = None, *, cores: int | None = None, nice: int = 0
    ) -> None:
        self.cores = cores or os.cpu_count() or 1
        self.nice = nice
        self.fixed = workers is not None
        self.workers = workers if workers is not None else 1  # the pool's size, for now
        self._starting: asyncio.Task[list[_Worker]] | None = None
        self._idle = _IdleWorkers()
        self._live: set[_Worker] = set()  # started and not retired, idle or busy
        self._retired: set[_Worker] = set()  # killed; waited for in aclose()
        self._launching = 0  # workers being started by _take
        self._waiting = 0  # requests waiting for a free worker, bursts' aside
        self._bursts = 0  # a burst's requests (listing pages) from asking to reply
        self._sizing = _Sizing()

    @property
    def size(self) -> int:
        """The pool's size: workers alive or on their way (0 before `start()`)."""
        return self.workers if self._starting is not None else 0

    async def _start_workers(self) -> list[_Worker]:
        workers = await asyncio.gather(*(_Worker.start(self.nice) for _ in range(self.workers)))
        for worker in workers:
            self._live.add(worker)
            self._idle.put(worker)
        return workers

    def start(self) -> None:
        """Begin starting the workers in the background (idempotent)."""
        if self._starting is None and self.workers > 0:
            self._sizing = _Sizing()
            self._starting = asyncio.ensure_future(self._start_workers())

    def _size_up(self) -> None:
        """One more worker (started by the next `_take` that finds none idle) if the
        last GROW_EVERY seconds say it would help."""
        sizing = self._sizing
        span = time.perf_counter() - sizing.since
        if self.fixed or span < self.GROW_EVERY or self.workers >= self.cores:
            return
        loop_share = (time.process_time() - sizing.cpu_since) / span  # this process, all threads
        busy_share = sizing.busy / span
        free = self.cores - loop_share - busy_share
        idle = _machine_idle()
        if idle is not None and sizing.idle_since is not None:
            # Other processes (a server on the same machine, say) use cores too.
            free = min(free, (idle - sizing.idle_since) / span)
        # Busy 90% of the time with a backlog that is not shrinking, in SUSTAINED
        # windows in a row, none with a burst in it: the listing pages at a crawl's
        # start (72 at once, ~15 ms each) and the episode pages that queued behind
        # them drain by themselves. At 100 ms of latency growing on them gave the same
        # wall time (12.7 s against 12.5-12.8 s with one worker) for ~40 MB more, more
        # CPU and slower parses. On two cores at 20 ms the loop (0.5 core) and the
        # site's server (0.2) leave less than FREE idle: a second worker there cost
        # CPU and gained nothing (8.9-9.6 s with one, 9.6-10.4 s with two).
        wants_more = (
            bool(self._waiting)
            and self._waiting >= sizing.waited
            and busy_share >= 0.9 * self.workers
            and free >= self.FREE
        )
        if sizing.burst_seen:  # a window with a burst in it says nothing either way
            saturated = sizing.saturated
        else:
            saturated = sizing.saturated + 1 if wants_more else 0
        if saturated >= self.SUSTAINED:
            self.workers += 1
            saturated = 0
        self._sizing = _Sizing(
            waited=self._waiting, burst_seen=bool(self._bursts), saturated=saturated
        )

    async def _take(self, burst: bool) -> _Worker:
        """An idle worker; a fresh one when the pool has a place free (it grew, or a
        retired or dead worker left one)."""
        while True:
            if self._idle.empty() and len(self._live) + self._launching < self.workers:
                self._launching += 1
                try:
                    worker = await _Worker.start(self.nice)
                finally:
                    self._launching -= 1
                self._live.add(worker)
                return worker
            worker = await self._idle.get(burst)
            if worker.process.returncode is None:
                return worker
            self._retire(worker)  # it died while idle (killed, out of memory)

    def _retire(self, worker: _Worker) -> None:
        self._live.discard(worker)
        worker.kill()
        self._retired = {w for w in self._retired if w.process.returncode is None}
        self._retired.add(worker)

    async def _run(
        self,
        fn: Callable[..., T],
        args: tuple[object, ...],
        pack: bool = False,
        burst: bool = False,
    ) -> tuple[T, float, bytes | None]:
        if self.workers <= 0:
            return await asyncio.to_thread(parse_worker.handle, fn, args, pack)
        self.start()
        assert self._starting is not None
        await asyncio.shield(self._starting)
        self._size_up()
        # A burst's request counts from now to its reply; any other, while it waits.
        bursts, waiting = (1, 0) if burst else (0, 1)
        self._bursts += bursts
        self._sizing.burst_seen |= burst
        try:
            self._waiting += waiting
            try:
                worker = await self._take(burst)
            finally:
                self._waiting -= waiting
            began = time.perf_counter()
            try:
                result = await worker.call(fn, args, pack)
            except (Exception, asyncio.CancelledError) as exc:
                if isinstance(exc, ExtractError):  # "this page does not match": a clean reply
                    self._idle.put(worker)
                else:  # a worker interrupted mid-reply is out of step: retire it
                    self._retire(worker)
                raise
            finally:
                self._sizing.busy += time.perf_counter() - began
        finally:
            self._bursts -= bursts
        self._idle.put(worker)
        return result

    async def episode(
        self, site: Site, ref: EpisodeRef, url: str, text: str
    ) -> tuple[Episode | Skip, float]:
        found, seconds, _ = await self._run(site.parse_episode, (ref, url, text))
        return found, seconds

    async def run(self, fn: Callable[..., T], *args: object) -> tuple[T, float]:
        """Any pure, picklable parse function, off the loop: (its result, seconds)."""
        result, seconds, _ = await self._run(fn, args)
        return result, seconds

    async def run_and_pack(
        self, fn: Callable[..., T], *args: object, burst: bool = False
    ) -> tuple[T, float, bytes]:
        """`run`, and the page's text (the last argument) packed for the store by the
        worker too (`packing.pack_page`): compressing a page costs as much CPU as half
        its parse, and in this process it would compete with the event loop.

        Listing pages go through here as well, never a thread of this process: a
        listing page is the heaviest parse of all (24 items in full), and here it would
        hold the GIL against the event loop and bring beautifulsoup4 into this process.

        `burst=True` for a listing's pages: read once, all at the crawl's start (72
        pages, ~15 ms each), they are parsed before any episode page waiting (each
        names episodes to fetch) and the pool is not sized on them.
        """
        result, seconds, packed = await self._run(fn, args, pack=True, burst=burst)
        assert packed is not None
        return result, seconds, packed

    async def aclose(self) -> None:
        """Stop the workers (waiting for any still starting, so none is left behind)."""
        if self._starting is None:
            return
        starting, self._starting = self._starting, None
        with contextlib.suppress(Exception):  # they never started: whoever needed them saw why
            await starting
        live, self._live = self._live, set()
        retired, self._retired = self._retired, set()
        self._idle = _IdleWorkers()
        # Every process is waited for, the killed ones too, so none exits after the loop.
        await asyncio.gather(
            *(worker.close() for worker in live), *(w.process.wait() for w in retired)
        )


async def _watch_loop_lag(samples: list[float], interval: float = 0.01) -> None:
    """Sample how late the event loop wakes a sleeping task (it should be ~0)."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(interval)
        samples.append(max(0.0, loop.time() - start - interval))


#: What a 404 past the first listing page stands for: the end of the listing.
_END = Listing(url="")


def _is_empty(listing: Listing) -> bool:
    """A page past the end of a numbered listing: no items at all, read or not."""
    return not listing.item_count and not listing.unread


# A listing past the end is empty or nearly; a real page of items is tens of kilobytes.
_CONTENT_WITHOUT_ITEMS = 2000


def _unrecognised(listing: Listing, text: str) -> str | None:
    """Why this listing page looks like a changed layout, or None when it looks fine."""
    if listing.item_count and not listing.refs and not listing.skips:
        found = plural(listing.item_count, "item")
        return f"{found} found, but no episode could be read from them"
    if not listing.item_count and len("".join(text.split())) > _CONTENT_WITHOUT_ITEMS:
        return "the page has content but no episode items were found"
    return None


_Write = tuple[Callable[..., None], tuple[object, ...], "asyncio.Future[None]"]


class _BatchedWrites:
    """Store writes in the store's one thread, all those waiting in one batch.

    A cold crawl writes two or three small things per page, dozens a second; each in
    its own transaction, committing was most of the store's time. Writes that arrive
    while a batch is being written go in the next one, and each `write` returns once
    its batch is committed.
    """

    def __init__(self, store: PageStore, thread: concurrent.futures.Executor) -> None:
        self._store = store
        self._thread = thread
        self._waiting: list[_Write] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, fn: Callable[..., None], *args: object) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((fn, args, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await done

    async def drain(self) -> None:
        """Until every write handed in so far is committed (or failed), cancelled or not:
        what a crawl fetched is kept when it is interrupted (Ctrl-C, a failing source)."""
        cancelled = False
        while self._flushing is not None and not self._flushing.done():
            try:
                await asyncio.shield(self._flushing)
            except asyncio.CancelledError:
                cancelled = True  # the batches take milliseconds: finish them first
        if cancelled:
            raise asyncio.CancelledError

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await loop.run_in_executor(self._thread, self._commit, batch)
            except Exception as exc:  # the whole batch was rolled back: each caller hears why
                for _, _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, _, done in batch:
                    if not done.done():  # (a caller cancelled meanwhile: written all the same)
                        done.set_result(None)

    def _commit(self, batch: list[_Write]) -> None:
        with self._store.batch():
            for fn, args, _ in batch:
                fn(*args)


@dataclass
class Crawl:
    """One crawl of one site. Build it, then `await crawl.run()`.

    stored: keys whose episode is in the store (never fetched again);
    known: stored keys plus deliberately skipped ones (used to decide where to stop paging);
    pending: refs of episodes that failed last time, retried first;
    full: walk the whole listing instead of stopping where known episodes begin.
    """

    site: Site
    fetcher: Fetcher
    store: PageStore
    parser: Parser
    stored: set[str]
    known: set[str]
    pending: list[EpisodeRef] = field(default_factory=list)
    full: bool = False
    # Probe audio sizes the site does not give with HEAD requests, as episodes arrive
    # (`sizes` holds those probed in earlier runs, so each URL is asked once ever).
    probe_sizes: bool = False
    sizes: dict[str, int] = field(default_factory=dict)
    on_progress: Callable[[Progress], None] | None = None
    # The one thread that writes the store (a build hands in the thread it uses for all
    # its store work); None: the crawl starts its own and stops it when done.
    writer: concurrent.futures.Executor | None = None
    # Where listing, sitemap and episode pages are read (None: the fetcher, live). Size
    # probes and politeness settings stay with the fetcher.
    reader: PageReader | None = None

    def __post_init__(self) -> None:
        self.result = CrawlResult()
        self.progress = Progress()
        self._pages: PageReader = self.reader or self.fetcher
        self._queued: set[str] = set()
        self._unread_pages = 0
        # One thread writes the store: compressing and SQLite release the GIL, so the
        # loop keeps running; one thread means one SQLite connection and no contention.
        self._owns_writer = self.writer is None
        self._writer = self.writer or concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="store"
        )
        self._writes = _BatchedWrites(self.store, self._writer)
        # Pages fetched but not yet parsed and stored wait in memory; bound them, so a
        # slow parser (or one still starting) holds back the fetching, not the RAM.
        self._pages_in_hand = asyncio.Semaphore(4 * self.fetcher.settings.concurrency)

    async def _write(self, fn: Callable[..., None], *args: object) -> None:
        await self._writes.write(fn, *args)

    async def run(self) -> CrawlResult:
        watcher = asyncio.create_task(_watch_loop_lag(self.result.loop_lag))
        try:
            async with asyncio.TaskGroup() as group:
                for ref in self.pending:
                    self._queue_episode(group, ref, retry=True)
                self.result.walk_complete = await self._walk_listings(group)
            self.result.listing_pages = self.progress.listing_pages
        except* PlanetrssError as errors:
            # An expected failure (a damaged cache) is one clear error, not a group.
            raise errors.exceptions[0] from None
        finally:
            await self._writes.drain()  # writes whose callers were cancelled, too
            if self._owns_writer:
                self._writer.shutdown(wait=True)
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
        return self.result

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)

    async def _walk_listings(self, group: asyncio.TaskGroup) -> bool:
        """Walk the listing as the site's paging says; True when it ended where it
        should (its confirmed end, known episodes, max_pages), not on a failure, and
        every item on the pages it read was read."""
        # Every paging kind parses its first page in a worker: starting it now, not when
        # that page has arrived, overlaps its start-up (~0.2 s) with the first request.
        self.parser.start()
        paging = self.site.paging
        if isinstance(paging, NumberedPages):
            ended = await self._walk_numbered(group, paging)
        elif isinstance(paging, NextLinks):
            ended = await self._walk_next_links(group, paging)
        else:
            ended = await self._walk_sitemap(group, paging)
        # Items that could not be read: the next build walks everything again.
        return ended and not self._unread_pages

    async def _walk_numbered(self, group: asyncio.TaskGroup, paging: NumberedPages) -> bool:
        limit = self.fetcher.settings.concurrency
        # Cold or --full: a whole wave at once. Incremental: page 1 alone first, since
        # it usually holds everything new; then doubling waves.
        wave = limit if self.full or not self.known else 1
        index = 0
        while True:
            end = index + wave
            if paging.max_pages is not None:
                end = min(end, paging.max_pages)
            if end <= index:
                return True  # as far as the definition asks
            tasks = [
                group.create_task(self._listing(group, paging.url(i), first=i == 0))
                for i in range(index, end)
            ]
            for task in tasks:
                listing = await task
                if listing is None:
                    return False
                # The end is confirmed by an empty page (or a 404 past the first), never
                # assumed from a short one: pages shift, and a page may lose items.
                if listing is _END or _is_empty(listing) or self._reaches_known(listing):
                    return True
            index = end
            wave = min(wave * 2, limit)

    async def _walk_next_links(self, group: asyncio.TaskGroup, paging: NextLinks) -> bool:
        seen: set[str] = set()
        url: str | None = paging.start
        while url is not None and url not in seen:
            if paging.max_pages is not None and len(seen) >= paging.max_pages:
                return True
            seen.add(url)
            listing = await self._listing(group, url, first=len(seen) == 1)
            if listing is None:
                return False
            if listing is _END or self._reaches_known(listing):
                return True
            url = listing.next_url
        return True  # no next link, or one back to a page already read

    async def _walk_sitemap(self, group: asyncio.TaskGroup, paging: Sitemap) -> bool:
        """Every sitemap document once (an index's children newest first), every URL
        the site takes for an episode's queued; the order of each document (newest
        lastmod first) is kept. No early stop: a sitemap is not ordered by age."""
        queue = [paging.url]
        seen: set[str] = set()
        complete = True
        while queue:
            if paging.max_pages is not None and len(seen) >= paging.max_pages:
                break
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            entries = await self._sitemap(url)
            if entries is None:
                complete = False
                continue  # one bad child: the others still give their episodes
            queue.extend(entries.sitemaps)
            refs = [ref for loc in entries.pages if (ref := self.site.ref_from_url(loc))]
            for ref in refs:
                self._queue_episode(group, ref)
            self._report()
        return complete

    async def _sitemap(self, url: str) -> SitemapEntries | None:
        try:
            body = await self._pages.get_bytes(url)
        except FetchError as exc:
            self.result.failed.append(Failure(url, exc.reason))
            return None
        entries, _ = await self.parser.run(parse_sitemap, body)
        self.progress.listing_pages += 1
        if entries is None:
            self.result.unrecognised.append(Failure(url, "not a sitemap (urlset or index)"))
        return entries

    def _reaches_known(self, listing: Listing) -> bool:
        """Whether an incremental walk may stop here: newest first, so once a page
        reaches episodes we know, the rest are known too. (Its oldest item decides, so
        an old episode featured at the top does not; a page with items that could not
        be read never decides.)"""
        if self.full or listing.unread:
            return False
        return bool(listing.refs) and listing.refs[-1].key in self.known

    async def _listing(self, group: asyncio.TaskGroup, url: str, first: bool) -> Listing | None:
        """One listing page read and its episodes queued; `_END` for a 404 past the first
        page (the end of a numbered listing); None after a failure (recorded)."""
        try:
            text = await self._pages.get_text(url)
        except FetchError as exc:
            if exc.status == 404 and not first:
                return _END
            self.result.failed.append(Failure(url, exc.reason))
            return None
        try:
            listing, _, packed = await self.parser.run_and_pack(
                self.site.parse_listing, url, text, burst=True
            )
        except ExtractError as exc:  # "this page does not match" (anything else: a bug)
            self.result.unrecognised.append(Failure(url, str(exc)))
            return None
        await self._write(self.store.save_packed_page, url, packed)
        self.progress.listing_pages += 1
        if problem := _unrecognised(listing, text):
            self.result.unrecognised.append(Failure(url, problem))
            return None
        if listing.unread:
            self._unread_pages += 1
            self.result.failed.append(
                Failure(url, f"{listing.unread} of the page's items could not be read")
            )
        for skip in listing.skips:
            self._record_skip(group, skip)
        for ref in listing.refs:
            self._queue_episode(group, ref)
        self._report()
        return listing

    def _queue_episode(
        self, group: asyncio.TaskGroup, ref: EpisodeRef, retry: bool = False
    ) -> None:
        # Listings shift while being paged: the same episode may appear twice.
        if ref.key in self.stored or ref.key in self._queued:
            return
        self._queued.add(ref.key)
        if ref.audio is not None and not ref.audio.available:
            # Not playable yet: no need for its page; it is looked at again next run.
            self._record_skip(group, Skip(ref.key, ref.url, "audio not available yet"))
            return
        self.progress.episodes_queued += 1
        found = self.site.episode_from_listing(ref)
        if found is not None:  # the listing told everything: no page to fetch
            group.create_task(self._found(ref, None, found))
            return
        group.create_task(self._episode(ref, retry))

    def _record_skip(self, group: asyncio.TaskGroup, skip: Skip) -> None:
        if skip.key in self.stored:
            return
        self.result.skipped.append(skip)
        group.create_task(self._write(self.store.save_skip, skip))

    async def _episode(self, ref: EpisodeRef, retry: bool) -> None:
        if not retry:
            self.result.episode_attempts += 1
        async with self._pages_in_hand:
            await self._fetch_episode(ref, retry)

    async def _fetch_episode(self, ref: EpisodeRef, retry: bool) -> None:
        try:
            text = await self._pages.get_text(ref.url)
        except FetchError as exc:
            await self._fail(ref, exc.reason, retry)
            return
        try:
            found, seconds, packed = await self.parser.run_and_pack(
                self.site.parse_episode, ref, ref.url, text
            )
        except ExtractError as exc:  # "this page does not match" (anything else: a bug)
            await self._fail(ref, f"could not extract: {exc}", retry)
            return
        self.result.parse_seconds.append(seconds)
        await self._found(ref, packed, found)

    async def _found(self, ref: EpisodeRef, packed: bytes | None, found: Episode | Skip) -> None:
        """Store what an episode page (`packed` for the store), or the listing alone, gave."""
        await self._write(self._save, ref, packed, found)
        if isinstance(found, Skip):
            self.result.skipped.append(found)
        else:
            self.result.new.append(found.key)
            if self.probe_sizes and found.audio_size is None:
                await self._probe_size(found.audio_url)
        self.progress.episodes_done += 1
        self._report()

    async def _probe_size(self, url: str) -> None:
        if url in self.sizes or url in self.result.probed:
            return  # (two episodes may share an audio file: one probe, one failure at most)
        self.result.probed.add(url)
        found, failures = await probe_sizes(self.fetcher, [url])
        self.result.failed.extend(failures)
        for size in found.values():
            self.sizes[url] = size
            await self._write(self.store.save_size, url, size)

    def _save(self, ref: EpisodeRef, packed: bytes | None, found: Episode | Skip) -> None:
        if packed is not None:
            self.store.save_packed_page(ref.url, packed)
        if isinstance(found, Skip):
            self.store.save_skip(found)
        else:
            self.store.save_episode(found, ref)

    async def _fail(self, ref: EpisodeRef, reason: str, retry: bool) -> None:
        self.result.failed.append(Failure(ref.url, reason))
        if not retry:
            self.result.episode_failures += 1
        await self._write(self.store.save_pending, ref)
        self.progress.episodes_done += 1
        self._report()


async def probe_sizes(fetcher: Fetcher, urls: list[str]) -> tuple[dict[str, int], list[Failure]]:
    """Byte lengths of audio files from concurrent HEAD requests (the per-host limit holds).

    A server that answers without Content-Length gives no size: never a guess.
    """
    sizes: dict[str, int] = {}
    failures: list[Failure] = []

    async def probe(url: str) -> None:
        try:
            size = await fetcher.head_size(url)
        except FetchError as exc:
            failures.append(Failure(url, f"size probe: {exc.reason}"))
            return
        if size is not None:
            sizes[url] = size

    async with asyncio.TaskGroup() as group:
        for url in dict.fromkeys(urls):  # each URL once, in order
            group.create_task(probe(url))
    return sizes, failures


# --- a source that is itself a feed --------------------------------------------------------


@dataclass
class FeedCrawl:
    """What reading a feed source gave: its pages (newest first), or None when it is
    unchanged since last time (HTTP 304), and the validators to send next time."""

    pages: list[FeedPage] | None = None
    failed: list[Failure] = field(default_factory=list)
    etag: str | None = None
    last_modified: str | None = None
    walk_complete: bool = False


#: A paged feed longer than this is refused past it (a loop of next links, a trap).
MAX_FEED_PAGES = 1000


@runtime_checkable
class FeedSite(Protocol):
    """A site whose pages are feed documents (the rss kind): `origin` is the first one's
    URL or file path."""

    @property
    def origin(self) -> str: ...
    def parse_feed(self, url: str, data: bytes) -> FeedPage: ...


async def crawl_feed(
    site: FeedSite,
    fetcher: Fetcher,
    parser: Parser,
    *,
    known: set[str],
    full: bool,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FeedCrawl:
    """Read a feed source: its first page by a conditional GET (or from its file), then
    the RFC 5005 ``rel="next"`` pages, until a page whose oldest item is `known` (all
    pages when `full`). Every item is complete: no episode page is fetched.

    Failures are recorded, not raised: a page that cannot be read ends the walk (and the
    next build walks again, since the validators are only for a complete walk).
    """
    crawl = FeedCrawl(etag=etag, last_modified=last_modified)
    seen: set[str] = set()
    url: str | None = site.origin
    pages: list[FeedPage] = []
    while url is not None and url not in seen and len(pages) < MAX_FEED_PAGES:
        seen.add(url)
        try:
            if urlsplit(url).scheme not in ("http", "https"):  # a file path
                data: bytes | None = await asyncio.to_thread(_read_file, url)
            elif not pages:  # only the first page: a paged feed's later pages rarely change
                answer = await fetcher.get_if_changed(url, etag, last_modified)
                if answer.body is None:
                    crawl.walk_complete = True
                    return crawl  # 304: nothing new
                data, crawl.etag, crawl.last_modified = (
                    answer.body,
                    answer.etag,
                    answer.last_modified,
                )
            else:
                data = await fetcher.get_bytes(url)
        except FetchError as exc:
            crawl.failed.append(Failure(url, exc.reason))
            break
        except OSError as exc:
            crawl.failed.append(Failure(url, f"cannot read the feed file: {exc.strerror or exc}"))
            break
        try:
            page, _ = await parser.run(site.parse_feed, url, data)
        except ExtractError as exc:
            crawl.failed.append(Failure(url, str(exc)))
            break
        pages.append(page)
        oldest = page.episodes[-1].key if page.episodes else None
        if not full and oldest is not None and oldest in known:
            url = None  # newest first: the older pages are known too
            break
        url = page.next_url
    crawl.walk_complete = not crawl.failed
    if not crawl.walk_complete:  # validators describe a document read whole
        crawl.etag = crawl.last_modified = None
    crawl.pages = pages
    return crawl


def _read_file(path: str) -> bytes:
    return Path(path).read_bytes()
