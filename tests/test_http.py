"""The Fetcher: retries what may recover, honours Retry-After, refuses what is too big."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import ssl
import subprocess
import time
from pathlib import Path

import httpcore
import httpx
import pytest
import respx

from planetrss import http
from planetrss.demo.server import DemoServer, Fault
from planetrss.demo.site import DemoSite
from planetrss.http import (
    _POLL_EVERY,
    Fetcher,
    FetchError,
    HttpSettings,
    LeanTransport,
    _AsyncioBackend,
    _LeanPool,
    _readable,
    make_client,
    retry_after,
)

URL = "https://site.test/page"


class Sleeps:
    """Records the waits instead of sleeping, so the tests take no time."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def fetcher(**settings: object) -> tuple[Fetcher, Sleeps]:
    sleeps = Sleeps()
    config = HttpSettings(**settings)  # type: ignore[arg-type]
    return Fetcher(make_client(config), config, sleep=sleeps), sleeps


@respx.mock
async def test_retries_5xx_then_succeeds() -> None:
    route = respx.get(URL).mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok")]
    )
    fetch, sleeps = fetcher()
    assert await fetch.get_text(URL) == "ok"
    assert route.call_count == 3
    assert fetch.requests == 3
    assert len(sleeps.waits) == 2
    assert 0.25 <= sleeps.waits[0] <= 0.5 and 0.5 <= sleeps.waits[1] <= 1.0  # backoff doubles


@respx.mock
async def test_gives_up_after_retries_with_the_reason() -> None:
    respx.get(URL).mock(return_value=httpx.Response(500))
    fetch, sleeps = fetcher(retries=2)
    with pytest.raises(FetchError, match=r"HTTP 500 \(after 3 attempts\)"):
        await fetch.get_text(URL)
    assert fetch.requests == 3
    assert len(sleeps.waits) == 2


@respx.mock
async def test_429_honours_retry_after_and_slows_the_host() -> None:
    respx.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, text="ok"),
        ]
    )
    fetch, sleeps = fetcher(concurrency=16)
    assert await fetch.get_text(URL) == "ok"
    assert sleeps.waits == [7.0]
    assert fetch.host_limit(URL).limit == 8


@respx.mock
async def test_retry_after_is_capped() -> None:
    respx.get(URL).mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "86400"}),
            httpx.Response(200, text="ok"),
        ]
    )
    fetch, sleeps = fetcher(max_wait=30)
    await fetch.get_text(URL)
    assert sleeps.waits == [30]


@respx.mock
async def test_404_is_not_retried() -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(404))
    fetch, sleeps = fetcher()
    with pytest.raises(FetchError, match="HTTP 404"):
        await fetch.get_text(URL)
    assert route.call_count == 1 and sleeps.waits == []


@respx.mock
async def test_connection_errors_and_timeouts_are_retried() -> None:
    respx.get(URL).mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.ReadTimeout("slow"),
            httpx.Response(200, text="ok"),
        ]
    )
    fetch, _ = fetcher()
    assert await fetch.get_text(URL) == "ok"
    respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(FetchError, match="ConnectError: refused"):
        await fetcher(retries=1)[0].get_text(URL)


@respx.mock
async def test_oversized_responses_are_refused() -> None:
    respx.get(URL).mock(return_value=httpx.Response(200, content=b"x" * 2000))
    fetch, _ = fetcher(max_bytes=1000)
    with pytest.raises(FetchError, match="exceeds the 1000-byte cap"):
        await fetch.get_text(URL)


@respx.mock
async def test_redirect_loops_fail_cleanly() -> None:
    respx.get(URL).mock(return_value=httpx.Response(301, headers={"Location": URL}))
    fetch, _ = fetcher()
    with pytest.raises(FetchError, match="too many redirects"):
        await fetch.get_text(URL)


@respx.mock
async def test_bad_bytes_become_replacement_characters() -> None:
    respx.get(URL).mock(
        return_value=httpx.Response(
            200, content=b"caf\xe9 ok", headers={"Content-Type": "text/html; charset=utf-8"}
        )
    )
    fetch, _ = fetcher()
    assert await fetch.get_text(URL) == "caf\ufffd ok"


@respx.mock
async def test_user_agent_is_descriptive() -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(200, text="ok"))
    fetch, _ = fetcher()
    await fetch.get_text(URL)
    assert route.calls[0].request.headers["User-Agent"].startswith("planetrss/")


async def test_host_limit_bounds_concurrency() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, text="ok")

    config = HttpSettings(concurrency=3)
    fetch = Fetcher(httpx.AsyncClient(transport=httpx.MockTransport(handler)), config)
    await asyncio.gather(*(fetch.get_text(f"https://site.test/{i}") for i in range(20)))
    assert peak == 3


def test_retry_after_forms() -> None:
    assert retry_after("120") == 120
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490) == 0
    assert retry_after("soon") is None
    assert retry_after(None) is None


# --- the lean pool: httpx's transport with httpcore's per-request bookkeeping cheapened ---


def test_the_client_uses_the_lean_pool_unless_a_proxy_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    transport = make_client(HttpSettings())._transport
    assert isinstance(transport, LeanTransport)
    assert isinstance(transport._pool, _LeanPool)  # this httpcore is the one it was written for
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert not isinstance(make_client(HttpSettings())._transport, LeanTransport)


def test_readable_sees_a_closed_peer() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert not _readable(ours)  # an idle keep-alive connection
        theirs.close()
        assert _readable(ours)  # the server hung up: not to be reused
    assert _readable(None)


async def _connected_stream() -> tuple[httpcore.AsyncNetworkStream, socket.socket, socket.socket]:
    listener = socket.create_server(("127.0.0.1", 0))
    stream = await _AsyncioBackend().connect_tcp("127.0.0.1", listener.getsockname()[1])
    theirs, _ = listener.accept()
    return stream, theirs, listener


async def test_a_pooled_connection_the_server_closed_reads_as_readable() -> None:
    stream, theirs, listener = await _connected_stream()
    with listener:
        assert not stream.get_extra_info("is_readable")  # idle keep-alive: reusable
        theirs.close()
        # The loop has not run since: asyncio has not read the close, the socket tells.
        time.sleep(_POLL_EVERY)  # noqa: ASYNC251 (the loop must not run meanwhile)
        assert stream.get_extra_info("is_readable")
        await stream.aclose()
    stream, theirs, listener = await _connected_stream()
    with listener:
        theirs.close()
        await asyncio.sleep(0.05)  # the loop reads the close: no system call needed
        assert stream.get_extra_info("is_readable")
        await stream.aclose()


async def test_the_socket_is_asked_at_most_once_per_poll_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[object] = []
    monkeypatch.setattr(http, "_readable", lambda sock: asked.append(sock) or False)
    stream, theirs, listener = await _connected_stream()
    with listener, theirs:
        for _ in range(20):  # one sweep of the pool after another, as on a busy crawl
            assert not stream.get_extra_info("is_readable")
        assert len(asked) == 1
        time.sleep(_POLL_EVERY)  # noqa: ASYNC251 (the loop must not run meanwhile)
        assert not stream.get_extra_info("is_readable")
        assert len(asked) == 2
        await stream.aclose()


async def test_lean_pool_reuses_connections_and_replaces_closed_ones() -> None:
    with DemoServer(DemoSite(episodes=30)) as server:
        target = "/get/510289/remainingCount?start=1"
        # Every third answer closes its connection (no Content-Length: read to the end).
        answered = iter(range(1_000))
        server.fault = lambda path: (
            Fault(200, body=b"30", framed=False) if next(answered) % 3 == 2 else None
        )
        settings = HttpSettings(concurrency=4, retries=0)
        async with make_client(settings) as client:
            fetch = Fetcher(client, settings)
            bodies = await asyncio.gather(
                *(fetch.get_text(server.origin + target) for _ in range(30))
            )
        assert bodies == ["30"] * 30
        assert server.requests == 30  # nothing failed, nothing was retried
        assert 4 <= server.connections <= 4 + 10  # reused, and renewed after each close


# --- the asyncio network backend: what httpcore's anyio one did, on asyncio's streams ---


async def _silent_server(answer: bytes | None) -> asyncio.Server:
    """A loopback server that reads a request and sends `answer` (None: never answers)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            if answer is None:
                await reader.read()  # until the client gives up and hangs up
            else:
                writer.write(answer)
                await writer.drain()
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    server = await _silent_server(None)
    port = server.sockets[0].getsockname()[1]
    settings = HttpSettings(read_timeout=0.2, retries=0)
    try:
        async with make_client(settings) as client:
            with pytest.raises(FetchError, match="timed out"):
                await Fetcher(client, settings).get_text(f"http://127.0.0.1:{port}/")
    finally:
        server.close()
        await server.wait_closed()


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, never listening: refused
        async with make_client(HttpSettings()) as client:
            with pytest.raises(httpx.ConnectError):
                await client.get(f"http://127.0.0.1:{port}/")


async def test_a_body_cut_short_is_a_transport_error() -> None:
    server = await _silent_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
    port = server.sockets[0].getsockname()[1]
    try:
        async with make_client(HttpSettings()) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get(f"http://127.0.0.1:{port}/")
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a test certificate with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    names = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run([openssl, *request, *names, *files], check=True, capture_output=True)
    return cert, key


async def test_https_through_the_asyncio_backend(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    body = b"over TLS " * 2000

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while await reader.readuntil(b"\r\n\r\n"):  # keep-alive: one answer a request
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=served)
    port = server.sockets[0].getsockname()[1]
    try:
        client = make_client(HttpSettings())
        transport = client._transport
        assert isinstance(transport, LeanTransport)
        transport._pool._ssl_context = ssl.create_default_context(cafile=str(cert))
        async with client:
            fetch = Fetcher(client)
            pages = await asyncio.gather(
                *(fetch.get_bytes(f"https://localhost:{port}/{i}") for i in range(6))
            )
            answer = await client.get(f"https://localhost:{port}/again")
            stream = answer.extensions["network_stream"]
            assert stream.get_extra_info("ssl_object") is not None
        assert pages == [body] * 6
    finally:
        server.close()
        await server.wait_closed()
