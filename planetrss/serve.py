"""`planetrss serve`: the built feeds over HTTP, each rebuilt on its own schedule by a
task on the same event loop that answers the requests.

    planetrss serve planetmoney --port 8080 --refresh 6h

What is served (nothing else: no folder, no other file, no listing):

    /<feed>.xml    the feed (`?token=` for a private one): strong ETag per encoding,
                   Last-Modified, 304s, gzip only when asked, Cache-Control max-age
    /              an index for people: every public feed, its last build, next refresh
    /feeds.opml    the public feeds as OPML, for a podcast app's import
    /healthz       200, or 503 naming the feeds whose last build failed or is overdue

A feed is answered from memory (its bytes and their gzip, read once per change of the
file), so a request never waits for the disk or for a build. Builds run on the loop as
`build_async` (its blocking work in a thread, parsing in worker processes kept for the
life of the server); a failed build leaves the last good feed served. The feed files are
also watched, so a feed rebuilt by `planetrss build` (cron, a systemd timer) is served
as soon as it is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gzip
import hashlib
import hmac
import html
import logging
import os
import random
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from planetrss import __version__
from planetrss.build import BuildOptions, build_async, read_last_build
from planetrss.config import FeedConfig
from planetrss.crawl import Parser
from planetrss.errors import ConfigError, PlanetrssError, plural

log = logging.getLogger("planetrss")

FEED_TYPE = "application/rss+xml; charset=utf-8"
OPML_TYPE = "text/x-opml; charset=utf-8"
DEFAULT_REFRESH = 6 * 3600


@dataclass(frozen=True)
class ServeOptions:
    """How to serve; the defaults are what `planetrss serve` does."""

    host: str = "127.0.0.1"  # loopback: nothing outside this machine sees it unless asked
    port: int = 8080  # 0: any free port (the URL is printed)
    refresh: int | None = DEFAULT_REFRESH  # seconds between rebuilds; None: never rebuild
    public_url: str | None = None  # the server's URL as the world sees it (a reverse proxy)
    build: BuildOptions = field(default_factory=BuildOptions)
    jitter: float = 0.1  # each wait is the refresh period +- this share, drawn anew
    watch_interval: float = 2.0  # seconds between looks at the feed files for outside changes
    request_timeout: float = 30.0  # seconds one request (a slow reader included) may take
    max_connections: int = 512  # beyond this, new connections get a 503
    max_header_bytes: int = 16 * 1024  # request line and headers


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One version of a feed file, held in memory with everything an answer needs."""

    body: bytes
    gzipped: bytes
    etag: str  # strong, from the SHA-256 of the bytes; each encoding has its own
    gzip_etag: str
    modified: int  # the file's mtime, whole seconds (what Last-Modified can say)
    items: int
    file: tuple[int, int, int]  # inode, size, mtime_ns: a change of any is a new version

    @property
    def last_modified(self) -> str:
        return formatdate(self.modified, usegmt=True)


@dataclass(frozen=True, slots=True)
class BuildOutcome:
    """How the last build of a feed went, as the index and /healthz show it."""

    finished: datetime
    ok: bool
    new: int = 0
    episodes_in_feed: int = 0
    failed_pages: int = 0
    error: str | None = None  # one line, when not ok
    seconds: float | None = None  # None: a build before this server started


@dataclass
class FeedState:
    """One served feed: its definition, what is served and how its builds go."""

    config: FeedConfig  # public_url filled in with the URL it is served at
    refresh: int | None
    snapshot: Snapshot | None = None
    last: BuildOutcome | None = None
    last_good: datetime | None = None  # when a build last succeeded
    failures: int = 0  # builds failed in a row
    building: bool = False
    next_refresh: datetime | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def url(self) -> str:
        assert self.config.public_url is not None
        return self.config.public_url

    @property
    def private(self) -> bool:
        return self.config.token is not None

    def problem(self, now: datetime) -> str | None:
        """Why /healthz should fail for this feed, or None."""
        if self.last is not None and not self.last.ok:
            return f"last build failed: {self.last.error}"
        if self.snapshot is None:
            return "not built yet" if self.building else "no feed file"
        # Overdue: twice the period (one missed rebuild, with room for a slow build).
        if (
            self.refresh is not None
            and self.last_good is not None
            and now - self.last_good > timedelta(seconds=2 * self.refresh + 60)
        ):
            return f"overdue: last good build {_when(self.last_good, now)}"
        return None


def feed_url(config: FeedConfig, base_url: str) -> str:
    """The URL a feed is served at: its definition's public_url, else under `base_url`."""
    return config.public_url or f"{base_url.rstrip('/')}/{config.name}.xml"


def read_snapshot(path: Path) -> Snapshot | None:
    """The feed file at `path` as served, or None when there is none (blocking)."""
    try:
        with path.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            body = handle.read()
    except FileNotFoundError:
        return None
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Snapshot(
        body=body,
        # mtime=0: the same feed gives the same gzip bytes (and one ETag) every time.
        gzipped=gzip.compress(body, compresslevel=6, mtime=0),
        etag=f'"{digest}"',
        gzip_etag=f'"{digest}-gzip"',
        modified=int(stat.st_mtime),
        items=body.count(b"<item>"),
        file=(stat.st_ino, stat.st_size, stat.st_mtime_ns),
    )


def _file_key(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


# --- conditional GET --------------------------------------------------------------------


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (q=0 refuses it; `*` stands in)."""
    qualities: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if coding.strip():
            qualities[coding.strip().lower()] = quality
    if "gzip" in qualities:
        return qualities["gzip"] > 0
    if "x-gzip" in qualities:
        return qualities["x-gzip"] > 0
    return qualities.get("*", 0) > 0


def not_modified(headers: Any, snapshot: Snapshot) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match when present (weak comparison, either
    encoding's ETag: both name this version), else If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or snapshot.etag in tags or snapshot.gzip_etag in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False  # not a date: answer in full
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return snapshot.modified <= since.timestamp()


# --- the server -------------------------------------------------------------------------


class FeedServer:
    """Serves `configs` and rebuilds them; `await run()` until `stop()`.

    Example:
        server = FeedServer([load_feed(Path("feeds/demo.toml"))], ServeOptions(port=0))
        await server.run(ready=print)  # prints http://127.0.0.1:<port>/
    """

    def __init__(self, configs: Sequence[FeedConfig], options: ServeOptions) -> None:
        names = [c.name for c in configs]
        if len(set(names)) != len(names):
            raise ConfigError("serve", None, f"two feeds have the same name: {names}")
        self.configs = list(configs)
        self.options = options
        self.feeds: dict[str, FeedState] = {}
        self.base_url = ""
        self._socket: socket.socket | None = None
        self._server: _Uvicorn | None = None
        self._stop_requested = False
        self.app = _Limits(self._routes(), options.request_timeout)

    # -- lifecycle ---------------------------------------------------------------------

    def listen(self) -> str:
        """Bind the listening socket (before anything else, so a busy port fails first);
        the server's base URL."""
        if self._socket is None:
            self._socket = _listen(self.options.host, self.options.port)
            host, port = self._socket.getsockname()[:2]
            shown = self.options.host if self.options.host not in ("0.0.0.0", "::") else host
            if ":" in shown:
                shown = f"[{shown}]"
            self.base_url = self.options.public_url or f"http://{shown}:{port}/"
            if not self.base_url.endswith("/"):
                self.base_url += "/"
            for config in self.configs:
                config = dataclasses.replace(config, public_url=feed_url(config, self.base_url))
                self.feeds[config.name] = FeedState(config, config.refresh or self.options.refresh)
        return self.base_url

    def stop(self) -> None:
        """Stop serving (what SIGTERM and SIGINT do): finish the answers and any feed
        write in progress, then return from `run()`. A second call stops at once."""
        self._stop_requested = True
        if self._server is not None:
            if self._server.should_exit:
                self._server.force_exit = True
            self._server.should_exit = True

    async def run(self, *, ready: Callable[[str], None] | None = None) -> None:
        """Serve until `stop()`; `ready` is called with the base URL once requests are
        answered."""
        self.listen()
        assert self._socket is not None
        await self._load()
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            http="h11",  # enforces a size limit on the request line and headers
            ws="none",
            log_config=None,
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=10,
            limit_concurrency=self.options.max_connections,
            h11_max_incomplete_event_size=self.options.max_header_bytes,
        )
        self._server = server = _Uvicorn(config, lambda: ready(self.base_url) if ready else None)
        server.should_exit = self._stop_requested
        # The parse workers live as long as the server: builds share and reuse them.
        # Niced: when parsing and answering compete for a core, answering wins.
        parser = Parser(self.options.build.parse_workers, nice=10)
        try:
            async with asyncio.TaskGroup() as group:
                background = [
                    group.create_task(self._refresh_forever(feed, parser))
                    for feed in self.feeds.values()
                ]
                background.append(group.create_task(self._watch_files()))
                await server.serve(sockets=[self._socket])
                # Answers are done; cancel the schedules: a build in progress stops,
                # except that a feed being written is written whole first.
                for task in background:
                    task.cancel()
        finally:
            await parser.aclose()
            self._socket.close()

    async def _load(self) -> None:
        """What is there before any build: the feed files and the builds' records."""
        now = datetime.now(UTC)
        for feed in self.feeds.values():
            try:
                last = await asyncio.to_thread(
                    read_last_build, feed.config, self.options.build.cache_dir
                )
            except PlanetrssError as error:
                log.warning("%s: %s", feed.name, error)
                last = None
            # A file no build with this cache recorded may be anyone's (an old demo's, with
            # another port in every URL): served only when this server is not to build it.
            if last is not None or feed.refresh is None:
                feed.snapshot = await asyncio.to_thread(read_snapshot, feed.config.output)
            if last is not None and feed.snapshot is not None:
                feed.last = BuildOutcome(
                    last.when, True, last.new, last.episodes_in_feed, last.failed
                )
                feed.last_good = last.when
            if feed.refresh is None:
                continue
            if feed.snapshot is None or last is None:
                feed.next_refresh = now  # nothing to serve yet: build at once
            else:
                feed.next_refresh = max(now, last.when + self._period(feed.refresh))

    def _period(self, seconds: int) -> timedelta:
        jitter = self.options.jitter * (2 * random.random() - 1)
        return timedelta(seconds=seconds * (1 + jitter))

    # -- builds ------------------------------------------------------------------------

    async def _refresh_forever(self, feed: FeedState, parser: Parser) -> None:
        """Rebuild `feed` whenever its time comes; one build of it at a time."""
        if feed.refresh is None:
            return
        while True:
            assert feed.next_refresh is not None
            delay = (feed.next_refresh - datetime.now(UTC)).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._rebuild(feed, parser)
            wait = self._period(feed.refresh)
            if feed.failures:  # sooner after a failure: 1, 2, 4 ... minutes, up to the period
                wait = min(wait, timedelta(minutes=2 ** min(feed.failures - 1, 10)))
            feed.next_refresh = datetime.now(UTC) + wait

    async def _rebuild(self, feed: FeedState, parser: Parser) -> None:
        feed.building = True
        started = asyncio.get_running_loop().time()
        try:
            report = await build_async(feed.config, self.options.build, parser=parser)
        except PlanetrssError as error:
            self._failed(feed, str(error), started)
        except Exception as error:
            # A bug, but one feed's bug must not take the others' server down: it is
            # logged in full and shown, and the next build tries again.
            log.exception("%s: the build failed unexpectedly", feed.name)
            self._failed(feed, f"internal error: {error!r}", started)
        else:
            now = datetime.now(UTC)
            seconds = asyncio.get_running_loop().time() - started
            feed.last = BuildOutcome(
                now,
                True,
                report.new,
                report.episodes_in_feed,
                len(report.failed),
                seconds=seconds,
            )
            feed.last_good, feed.failures = now, 0
            await self._reload(feed)
            log.info(
                "%s: built in %.1f s: %d new, %d in feed%s",
                feed.name,
                seconds,
                report.new,
                report.episodes_in_feed,
                f", {plural(len(report.failed), 'page')} failed (retried next build)"
                if report.failed
                else "",
            )
        finally:
            feed.building = False

    def _failed(self, feed: FeedState, error: str, started: float) -> None:
        feed.failures += 1
        seconds = asyncio.get_running_loop().time() - started
        feed.last = BuildOutcome(datetime.now(UTC), False, error=error, seconds=seconds)
        kept = "the last good feed is still served" if feed.snapshot else "nothing to serve yet"
        log.warning("%s: build failed: %s (%s)", feed.name, error, kept)

    async def _reload(self, feed: FeedState) -> None:
        """Read the feed file again if it is not the version held."""
        path = feed.config.output
        key = await asyncio.to_thread(_file_key, path)
        current = feed.snapshot.file if feed.snapshot else None
        if key != current:
            feed.snapshot = await asyncio.to_thread(read_snapshot, path)

    async def _watch_files(self) -> None:
        """Pick up feed files written by someone else (`planetrss build` from cron)."""
        while True:
            await asyncio.sleep(self.options.watch_interval)
            for feed in self.feeds.values():
                if not feed.building:  # a build reloads when it is done
                    await self._reload(feed)

    # -- HTTP --------------------------------------------------------------------------

    def _routes(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self._index, methods=["GET"]),
                Route("/feeds.opml", self._opml, methods=["GET"]),
                Route("/healthz", self._health, methods=["GET"]),
                Route("/{name}.xml", self._feed, methods=["GET"]),
            ]
        )

    def _visible(self, request: Request, name: str) -> FeedState | None:
        """The feed `name` if this request may see it: a private one needs its token."""
        feed = self.feeds.get(name)
        if feed is None:
            return None
        if feed.config.token is not None:
            given = request.query_params.get("token", "")
            if not hmac.compare_digest(given.encode(), feed.config.token.encode()):
                return None
        return feed

    def _max_age(self, feed: FeedState) -> int:
        """Until the next scheduled rebuild (nothing changes before it), at least a minute;
        five minutes when this server does not rebuild (a cron job might)."""
        if feed.refresh is None or feed.next_refresh is None:
            return 300
        remaining = (feed.next_refresh - datetime.now(UTC)).total_seconds()
        return int(max(min(60, feed.refresh), min(feed.refresh, remaining)))

    async def _feed(self, request: Request) -> Response:
        feed = self._visible(request, request.path_params["name"])
        if feed is None:
            return _not_found()
        snapshot = feed.snapshot
        if snapshot is None:
            return PlainTextResponse(
                f"{feed.name}: not built yet; try again in a minute\n",
                503,
                headers={"Retry-After": "60", "Cache-Control": "no-store"},
            )
        gzipped = accepts_gzip(request.headers.get("accept-encoding", ""))
        headers = {
            "ETag": snapshot.gzip_etag if gzipped else snapshot.etag,
            "Last-Modified": snapshot.last_modified,
            "Cache-Control": f"{'private' if feed.private else 'public'}, "
            f"max-age={self._max_age(feed)}",
            "Vary": "Accept-Encoding",
        }
        if not_modified(request.headers, snapshot):
            return Response(status_code=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        body = snapshot.gzipped if gzipped else snapshot.body
        return Response(body, 200, headers, media_type=FEED_TYPE)

    def _public(self) -> Iterator[FeedState]:
        return (feed for feed in self.feeds.values() if not feed.private)

    async def _index(self, request: Request) -> Response:
        page = render_index(list(self._public()), datetime.now(UTC), self.base_url)
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    async def _opml(self, request: Request) -> Response:
        return Response(
            render_opml(list(self._public()), datetime.now(UTC)),
            media_type=OPML_TYPE,
            headers={"Cache-Control": "no-cache"},
        )

    async def _health(self, request: Request) -> Response:
        now = datetime.now(UTC)
        problems, hidden = [], 0
        for feed in self.feeds.values():
            if (problem := feed.problem(now)) is not None:
                if feed.private:
                    hidden += 1  # its name is not to be given away
                else:
                    problems.append(f"{feed.name}: {problem}")
        if hidden:
            problems.append(f"{plural(hidden, 'private feed')} failing (their names are not shown)")
        headers = {"Cache-Control": "no-store"}
        if problems:
            return PlainTextResponse("".join(f"{p}\n" for p in problems), 503, headers=headers)
        return PlainTextResponse(f"ok: {plural(len(self.feeds), 'feed')}\n", headers=headers)


def _not_found() -> Response:
    # The same answer for a feed that does not exist and for a private one without its
    # token: a guess learns nothing.
    return PlainTextResponse("Not Found\n", 404)


class _Limits:
    """ASGI middleware: no request carries a body here (413 without reading one), and
    a request may take `seconds` at most, however slowly its client reads."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if (name == b"content-length" and value.strip() != b"0") or (
                name == b"transfer-encoding"
            ):
                await PlainTextResponse("no request body is accepted here\n", 413)(
                    scope, receive, send
                )
                return
        try:
            async with asyncio.timeout(self.seconds):
                await self.app(scope, receive, send)
        except TimeoutError:
            log.warning("a request for %s took over %.0f s: cut off", scope["path"], self.seconds)


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, minus its signal handling (`serve()` installs handlers that stop
    it and let the process exit 0; uvicorn's re-raise the signal once stopped), plus a
    call once it answers requests."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv4 or IPv6), or a ConfigError saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise ConfigError("--host", None, f"{host}: {error.strerror or error}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as error:
        sock.close()
        raise ConfigError(
            "--port",
            None,
            f"cannot listen on {host}:{port}: {error.strerror or error}; "
            "choose another --port (0: any free one)",
        ) from None
    sock.setblocking(False)
    return sock


def serve(
    configs: Sequence[FeedConfig],
    options: ServeOptions,
    *,
    ready: Callable[[FeedServer], None] | None = None,
) -> None:
    """Run a FeedServer until SIGTERM or SIGINT (a second one stops at once); returns
    normally then, so the process exits 0. Raises ConfigError before serving when the
    address cannot be listened on."""
    server = FeedServer(configs, options)
    server.listen()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, server.stop)
        await server.run(ready=lambda _: ready(server) if ready is not None else None)

    # The loop shares the GIL with the build's thread (rendering, the store). Every
    # socket call releases it, and getting it back can take a whole switch interval:
    # 1 ms instead of 5 keeps a 304 during a build at a few ms (measured: make bench).
    sys.setswitchinterval(0.001)
    asyncio.run(main())


# --- pages ------------------------------------------------------------------------------


def _when(moment: datetime, now: datetime) -> str:
    """ "2026-12-04 18:21 UTC (12 min ago)" or "(in 5 h 3 min)"."""
    seconds = int((moment - now).total_seconds())
    span = abs(seconds)
    if span < 60:
        relative = "just now" if seconds <= 0 else "in under a minute"
    else:
        days, rest = divmod(span // 60, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours)
        parts += [f"{minutes} min"] * bool(minutes and not days)
        text = " ".join(parts)
        relative = f"in {text}" if seconds > 0 else f"{text} ago"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({relative})"


def _last_build_cell(feed: FeedState, now: datetime) -> str:
    last = feed.last
    if last is None:
        return "never" if not feed.building else "first build running"
    when = f'<span class="when">{html.escape(_when(last.finished, now))}</span>'
    if not last.ok:
        kept = (
            f"; serving the feed of {html.escape(_when(feed.last_good, now))}"
            if feed.last_good and feed.snapshot
            else ""
        )
        error = html.escape(last.error or "")
        return f'{when}<br><strong class="failed">failed</strong>{kept}<span class="error">{error}</span>'
    took = f" in {last.seconds:.1f} s" if last.seconds is not None else ""
    failed = (
        f", {plural(last.failed_pages, 'page')} failed (retried next build)"
        if last.failed_pages
        else ""
    )
    return f'{when}<br><span class="ok">ok</span>{took}: {last.new} new{failed}'


def _next_cell(feed: FeedState, now: datetime) -> str:
    if feed.building:
        return "building now"
    if feed.refresh is None or feed.next_refresh is None:
        return "off (served as built)"
    moment, relative = _when(feed.next_refresh, now).split(" (")
    return f'<span class="when">{html.escape(moment)}</span><br>({html.escape(relative)}'


def render_index(feeds: Sequence[FeedState], now: datetime, base_url: str) -> str:
    """The index page: plain HTML, readable without JavaScript or any other request."""
    rows = []
    for feed in feeds:
        title = feed.config.channel.title
        episodes = feed.snapshot.items if feed.snapshot else 0
        url = html.escape(feed.url, quote=True)
        subscribe = (
            f'<a class="url" href="{url}">{url}</a>'
            if feed.snapshot
            else f"{url}<br>(not built yet)"
        )
        rows.append(
            "<tr>"
            f'<td><a href="{url}">{html.escape(title)}</a><br><code>{html.escape(feed.name)}</code></td>'
            f'<td class="n">{episodes}</td>'
            f"<td>{_last_build_cell(feed, now)}</td>"
            f"<td>{_next_cell(feed, now)}</td>"
            f"<td>{subscribe}</td>"
            "</tr>"
        )
    body = "\n".join(rows) or '<tr><td colspan="5">No public feeds.</td></tr>'
    opml = html.escape(base_url + "feeds.opml", quote=True)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>planetrss feeds</title>
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }}
h1 {{ font-size: 1.4rem; margin-bottom: .2rem; }}
p.sub {{ color: #666; margin-top: 0; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; vertical-align: top; padding: .5rem .6rem; border-bottom: 1px solid #ddd; }}
th {{ background: #f4f4f4; font-weight: 600; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
code {{ color: #666; font-size: .85em; }}
.ok {{ color: #17702b; font-weight: 600; }}
.failed {{ color: #b00020; }}
a {{ color: #0b57d0; }}
a.url {{ word-break: break-all; }}
.when {{ white-space: nowrap; }}
.error {{ display: block; font-size: .85em; color: #555; max-width: 34rem; }}
</style>
</head>
<body>
<h1>planetrss feeds</h1>
<p class="sub">Subscribe a podcast app to a feed's address, or import <a href="{opml}">all of them (OPML)</a>.
Page made {html.escape(f"{now:%Y-%m-%d %H:%M:%S}")} UTC by planetrss {__version__}.</p>
<table>
<thead><tr><th>Feed</th><th>Episodes</th><th>Last build</th><th>Next refresh</th><th>Subscribe</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body>
</html>
"""


def render_opml(feeds: Sequence[FeedState], now: datetime) -> bytes:
    """OPML 2.0 listing `feeds` (podcast apps import subscriptions from it)."""
    root = ElementTree.Element("opml", version="2.0")
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = "planetrss feeds"
    ElementTree.SubElement(head, "dateCreated").text = formatdate(now.timestamp(), usegmt=True)
    body = ElementTree.SubElement(root, "body")
    for feed in feeds:
        title = feed.config.channel.title
        ElementTree.SubElement(
            body,
            "outline",
            type="rss",
            text=title,
            title=title,
            xmlUrl=feed.url,
            htmlUrl=feed.config.channel.link,
        )
    ElementTree.indent(root)
    opml: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return opml + b"\n"
