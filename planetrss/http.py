"""HTTP: the one place httpx is configured (limits, timeouts, retries, politeness).

The crawler is handed a `Fetcher`, which wraps an `httpx.AsyncClient` it is handed in
turn: production passes a real client from `make_client`, tests pass one whose
transport is a respx router or a `MockTransport`.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import email.utils
import random
import select
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from planetrss import __version__

USER_AGENT = (
    f"planetrss/{__version__} (podcast archive to feed; +https://pypi.org/project/planetrss/)"
)

# Worth another try: the server or the path to it may recover.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpSettings:
    """Politeness and robustness knobs; the defaults suit a large public site."""

    concurrency: int = 16  # per host
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    deadline: float = 120.0  # total seconds for one request, retries excluded
    retries: int = 4
    backoff: float = 0.5  # first retry waits about this long, then doubles
    max_wait: float = 60.0  # cap on any single wait, Retry-After included
    max_bytes: int = 20 * 1024 * 1024  # a page larger than this is refused, not buffered
    max_redirects: int = 10
    user_agent: str = USER_AGENT


class FetchError(Exception):
    """A page that could not be fetched, after retries; `reason` is one line; `status`
    is the HTTP status of a final error answer (404), None for other failures."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status


def make_client(settings: HttpSettings) -> httpx.AsyncClient:
    """The shared client: keep-alive pool sized to the per-host limit, redirects followed."""
    # Two hosts at most (the site, the audio host when probing sizes), each at the
    # per-host limit.
    limits = httpx.Limits(
        max_connections=settings.concurrency * 2,
        max_keepalive_connections=settings.concurrency * 2,
    )
    return httpx.AsyncClient(
        headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
        limits=limits,
        # Through a proxy (from the environment) httpx's own transport goes; direct
        # connections use the lean one below.
        transport=None if _environment_proxies() else LeanTransport(limits),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
    )


def _environment_proxies() -> bool:
    """Whether HTTP(S)_PROXY or ALL_PROXY is set (httpx reads them: trust_env)."""
    import urllib.request

    return any(name in ("http", "https", "all") for name in urllib.request.getproxies())


_POLL_EVERY = 0.005  # seconds; see _AsyncioStream.get_extra_info


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """A connection as asyncio's own streams, for httpcore.

    httpcore's stock backend goes through anyio: a cancel scope per read and write, a
    dict of socket attributes each time httpcore asks whether a pooled connection is
    readable (which it asks of every pooled connection on every request). On asyncio
    the streams asyncio already has do the same job at a fraction of the CPU.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._polled = -_POLL_EVERY  # when the socket was last asked whether it is readable

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError:
            raise httpcore.ReadTimeout("timed out reading") from None
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError:
            raise httpcore.WriteTimeout("timed out writing") from None
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError):
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from None
        except (OSError, ssl.SSLError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self  # the same streams, over TLS now

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # A keep-alive connection the server closed must not be reused. asyncio reads
            # an idle connection whenever its loop polls, so a close is usually seen
            # already; one that arrived since, the socket tells. It is asked at most once
            # per _POLL_EVERY: the pool asks about every idle connection twice a request,
            # ~30 system calls per request at concurrency 16 (2% of a cold build's CPU).
            # A close in that gap is the race any client has between asking and sending:
            # the request fails before a response and is retried.
            transport = self._writer.transport
            if self._reader.at_eof() or transport.is_closing():
                return True
            now = time.monotonic()
            if now - self._polled < _POLL_EVERY:
                return False
            self._polled = now
            return _readable(transport.get_extra_info("socket"))
        name = {"client_addr": "sockname", "server_addr": "peername"}.get(info, info)
        if name in ("ssl_object", "sockname", "peername", "socket"):
            return self._writer.get_extra_info(name)
        return None


def _readable(sock: socket.socket | None) -> bool:
    """Whether reading `sock` would not block (a closed socket counts as readable)."""
    fd = sock.fileno() if sock is not None else -1
    if fd < 0:
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


class _AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Connections as `_AsyncioStream`s (this backend only runs on asyncio's loop)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        streams = await self._connect(
            asyncio.open_connection(host, port, local_addr=local), timeout
        )
        sock = streams.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return streams

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._connect(asyncio.open_unix_connection(path), timeout)

    @staticmethod
    async def _connect(
        opening: Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]],
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> _AsyncioStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await opening
        except TimeoutError:
            raise httpcore.ConnectTimeout("timed out connecting") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return _AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _LeanPool(httpcore.AsyncConnectionPool):
    """httpcore 1.0's pool with its per-request bookkeeping made linear.

    On every request added or finished, httpcore 1.0 walks its connections and, for
    each idle one, builds a list as long as the pool to compare with the keep-alive
    limit: quadratic in the pool size, a third of the client's CPU at 16 connections
    (encode/httpcore#924). This is the same walk with the length taken once per step.
    """

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        for connection in list(self._connections):
            if connection.is_closed():
                self._connections.remove(connection)
            elif connection.has_expired() or (
                connection.is_idle() and len(self._connections) > self._max_keepalive_connections
            ):
                self._connections.remove(connection)
                closing.append(connection)
        closing.extend(self._assign_queued())
        return closing

    def _assign_queued(self) -> list[httpcore.AsyncConnectionInterface]:
        """Hand queued requests to connections: reuse, open one, or replace an idle one."""
        closing: list[httpcore.AsyncConnectionInterface] = []
        for pool_request in [request for request in self._requests if request.is_queued()]:
            origin = pool_request.request.url.origin
            available = next(
                (c for c in self._connections if c.can_handle_request(origin) and c.is_available()),
                None,
            )
            if available is not None:
                pool_request.assign_to_connection(available)
                continue
            if len(self._connections) >= self._max_connections:
                idle = next((c for c in self._connections if c.is_idle()), None)
                if idle is None:
                    continue
                self._connections.remove(idle)
                closing.append(idle)
            connection = self.create_connection(origin)
            self._connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing


class LeanTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over `_LeanPool` and `_AsyncioBackend` (same behaviour, less CPU)."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        stock = self._pool
        if not isinstance(stock, httpcore.AsyncConnectionPool) or not hasattr(
            stock, "_assign_requests_to_connections"
        ):
            return  # an httpcore this was not written for: keep its own pool
        self._pool = _LeanPool(
            ssl_context=stock._ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_AsyncioBackend(),
        )


class HostLimit:
    """At most `limit` requests in flight to one host; a 429 halves the limit for good."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.active < self.limit)
            self.active += 1

    async def __aexit__(self, *exc: object) -> None:
        async with self._changed:
            self.active -= 1
            self._changed.notify()

    def slow_down(self) -> None:
        self.limit = max(1, self.limit // 2)


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date form)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    return max(0.0, (when - current).total_seconds())


def text_encoding(label: str) -> str:
    """The codec to decode a page with, from its declared charset label.

    Unknown or non-text labels (`charset=base64`) fall back to UTF-8; Latin-1 and ASCII
    labels mean windows-1252, as in browsers, so curly quotes and dashes survive.
    """
    try:
        codec = codecs.lookup(label)
    except LookupError:
        return "utf-8"
    if not getattr(codec, "_is_text_encoding", True):
        return "utf-8"
    if codec.name in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return codec.name


class Fetcher:
    """Fetches page bodies politely and robustly; counts every request it sends."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: HttpSettings | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.settings = settings or HttpSettings()
        self.requests = 0
        self._hosts: dict[str, HostLimit] = {}
        self._sleep = sleep

    def host_limit(self, url: str) -> HostLimit:
        host = urlsplit(url).netloc
        if host not in self._hosts:
            self._hosts[host] = HostLimit(self.settings.concurrency)
        return self._hosts[host]

    def _backoff(self, attempt: int) -> float:
        # Exponential with full jitter, so retries from many tasks do not arrive together.
        ceiling = min(self.settings.max_wait, self.settings.backoff * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    async def get_text(self, url: str) -> str:
        """The decoded body of `url`; raises FetchError after retries."""
        body = await self._request("GET", url)
        # Bad bytes become U+FFFD rather than failing the page: the parser copes.
        return body.data.decode(text_encoding(body.encoding), errors="replace")

    async def get_bytes(self, url: str) -> bytes:
        """The raw body of `url` (for documents that declare their own encoding, like XML)."""
        return (await self._request("GET", url)).data

    async def get_if_changed(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> Conditional:
        """A conditional GET: `body` is None when the server answers 304 Not Modified.

        The validators of the last answer go back as If-None-Match / If-Modified-Since;
        the new answer's come back in the result, to be remembered once it is used.
        """
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        body = await self._request("GET", url, headers)
        if body.status == 304:
            return Conditional(None, etag, last_modified)
        return Conditional(body.data, body.etag, body.last_modified)

    async def head_size(self, url: str) -> int | None:
        """Content-Length from a HEAD request, or None when the server does not say."""
        length = (await self._request("HEAD", url)).length
        return int(length) if length.isdigit() else None

    async def _request(self, method: str, url: str, headers: dict[str, str] | None = None) -> _Body:
        limit = self.host_limit(url)
        attempt = 0
        while True:
            wait: float | None
            try:
                async with limit:
                    self.requests += 1
                    async with asyncio.timeout(self.settings.deadline):
                        return await self._once(method, url, headers)
            except _Retryable as exc:
                if exc.status == 429:
                    limit.slow_down()
                if attempt >= self.settings.retries:
                    raise FetchError(url, f"{exc.reason} (after {attempt + 1} attempts)") from None
                wait = exc.wait
            except (httpx.TimeoutException, TimeoutError):
                if attempt >= self.settings.retries:
                    raise FetchError(url, f"timed out (after {attempt + 1} attempts)") from None
                wait = None
            except httpx.TooManyRedirects:
                raise FetchError(url, "too many redirects") from None
            except httpx.TransportError as exc:
                if attempt >= self.settings.retries:
                    reason = f"{type(exc).__name__}: {exc}".rstrip(": ")
                    raise FetchError(url, f"{reason} (after {attempt + 1} attempts)") from None
                wait = None
            delay = self._backoff(attempt) if wait is None else min(wait, self.settings.max_wait)
            attempt += 1
            await self._sleep(delay)  # outside the host limit: a waiting task holds no slot

    async def _once(self, method: str, url: str, headers: dict[str, str] | None) -> _Body:
        async with self.client.stream(method, url, headers=headers) as response:
            status = response.status_code
            if status == 304 and headers:
                return _Body(b"", "utf-8", "", status=304)
            if status in RETRY_STATUSES:
                raise _Retryable(
                    f"HTTP {status}", status, retry_after(response.headers.get("Retry-After"))
                )
            if status >= 400:
                raise FetchError(url, f"HTTP {status}", status)
            declared = str(response.headers.get("Content-Length", ""))
            encoding = response.encoding or "utf-8"
            if method == "HEAD":
                return _Body(b"", encoding, declared)
            cap = self.settings.max_bytes
            if declared.isdigit() and int(declared) > cap:
                raise FetchError(url, f"response of {declared} bytes exceeds the {cap}-byte cap")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > cap:
                    raise FetchError(url, f"response exceeds the {cap}-byte cap")
            validators = (response.headers.get("ETag"), response.headers.get("Last-Modified"))
            return _Body(bytes(body), encoding, declared, 200, *validators)


@dataclass(frozen=True)
class _Body:
    data: bytes
    encoding: str
    length: str  # the Content-Length header, "" when absent
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Conditional:
    """A conditional GET's answer: `body` None means unchanged (304)."""

    body: bytes | None
    etag: str | None
    last_modified: str | None


class _Retryable(Exception):
    def __init__(self, reason: str, status: int, wait: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.wait = wait
