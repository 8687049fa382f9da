"""The demo server: serves a `DemoSite` over real HTTP/1.1 (keep-alive) on 127.0.0.1.

Example:

    with DemoServer(DemoSite(episodes=300), latency=0.05) as server:
        httpx.get(server.origin + "/get/510289/remainingCount?start=1").text  # "300"
        server.counts["count"]  # 1

From a shell (the benchmark runs it in its own process; the first line is the origin):

    python -m planetrss.demo.server --episodes 1700 --latency 0.1 --port 0
    serving http://127.0.0.1:40123
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Protocol

from planetrss.demo.audio import mp3_chunks
from planetrss.demo.site import HTML, KINDS, DemoSite, Kind, Response


class ServedSite(Protocol):
    """What the server needs of a site: `DemoSite` and the shapes in `demo.shapes`."""

    origin: str

    def classify(self, target: str) -> Kind: ...

    def respond(self, target: str) -> Response: ...


@dataclass(frozen=True, slots=True)
class Fault:
    """An injected answer that replaces the site's (see `DemoServer.fault`).

    Beyond a status, headers and a body, a fault can misbehave on the wire:

    - `delay`: seconds to wait before answering (more than the client's read timeout
      makes a hung server); cut short when the server stops;
    - `content_length`: the Content-Length to declare instead of `len(body)`; a larger
      one makes a truncated body (the connection is closed after `body`);
    - `framed`: False sends no Content-Length and ends the body by closing the
      connection (a body whose size the client only learns by reading it);
    - `reset`: end the connection with a TCP reset (RST) right after `body`, instead of
      closing it cleanly (with a larger `content_length`: a reset mid-body).
    """

    status: int = 500
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    content_length: int | None = None
    framed: bool = True
    reset: bool = False


FaultHook = Callable[[str], Fault | None]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default (5) drops connections when 64 clients connect at once

    def __init__(self, address: tuple[str, int], demo: DemoServer) -> None:
        self.demo = demo
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal for a crawler under test; anything
        # else is a bug in the demo site and is worth its traceback on stderr.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "planetrss-demo/1"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    timeout = 60  # an idle keep-alive connection is closed after this many seconds

    def setup(self) -> None:
        super().setup()
        self.server.demo._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.demo._closed(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the counters say what happened

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        demo = self.server.demo
        arrived = time.monotonic()
        target = self.path
        kind = demo.site.classify(target)
        demo._count(kind)
        fault = demo.fault(target) if demo.fault is not None else None
        if fault is not None:
            self._wait_out_latency(arrived)
            if fault.delay > 0 and demo._stopping.wait(fault.delay):
                self.close_connection = True
                return
            self._send_fault(fault, head)
            return
        try:
            response = demo.site.respond(target)
        except Exception:
            self._wait_out_latency(arrived)
            self.close_connection = True
            self.send_error(500)
            raise
        self._wait_out_latency(arrived)
        etag = dict(response.headers).get("ETag")
        if (
            etag is not None
            and response.status == 200
            and self.headers.get("If-None-Match") == etag
        ):
            # A conditional GET of an unchanged document (the official-style feed).
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(response.content_length))
        self.end_headers()
        if head:
            return
        if response.length is None:
            self.wfile.write(response.body)
            return
        for chunk in mp3_chunks(response.length):  # audio: a playable file of that length
            self.wfile.write(chunk)

    def _wait_out_latency(self, arrived: float) -> None:
        """Until `latency` seconds after the request arrived, the page's rendering
        included: the latency is the time to the first byte, as a client sees it. (Slept
        after rendering, pages answered at once would queue for the GIL in turn, adding
        up to ~10 ms to the last of 16 real-markup pages, and no real site does that.)"""
        remaining = self.server.demo.latency - (time.monotonic() - arrived)
        if remaining > 0:
            time.sleep(remaining)

    def _send_fault(self, fault: Fault, head: bool) -> None:
        headers = tuple(fault.headers.items())
        content_type = next((v for k, v in headers if k.lower() == "content-type"), HTML)
        self.send_response(fault.status)
        for name, value in headers:
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        length = len(fault.body) if fault.content_length is None else fault.content_length
        if fault.framed:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(fault.body)
        if fault.reset:
            # Linger 0: closing sends RST (and drops unsent data) instead of FIN. The
            # socket's files still hold it open; `finish` closes them, which closes it.
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        if fault.reset or not fault.framed or length != len(fault.body):
            self.close_connection = True


class DemoServer:
    """Serves `site` on `host:port` (0 = any free port) from a background thread.

    Starting sets `site.origin` to the server's origin, so the site's URLs (and
    `site.episode(i)`'s) point at this server.

    A context manager: the server starts on enter and, on exit, stops accepting,
    closes the open keep-alive connections and waits for their threads.
    Every answer starts `latency` seconds after its request arrived (its rendering
    included); it may be changed while serving.
    `fault`, when set, is called with each request target; a `Fault` it returns is
    sent instead of the page (the request is still counted).
    """

    def __init__(
        self, site: ServedSite, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0
    ) -> None:
        self.site = site
        self.host = host
        self.port = port
        self.latency = latency
        self.fault: FaultHook | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # cuts short the delays of hung-server faults
        self._idle = threading.Condition(self._lock)
        self._requests = 0
        self._counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._connections = 0
        self._open: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:<port>` (the real port once started)."""
        return f"http://{self.host}:{self.port}"

    # -- counters --------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        """Requests answered (or being answered) since start or `reset_counts()`."""
        with self._lock:
            return self._requests

    @property
    def counts(self) -> dict[str, int]:
        """Requests by kind: listing, count, episode, transcript, media, other (a copy)."""
        with self._lock:
            return dict(self._counts)

    @property
    def connections(self) -> int:
        """TCP connections accepted (keep-alive means far fewer than requests)."""
        with self._lock:
            return self._connections

    def reset_counts(self) -> None:
        with self._lock:
            self._requests = 0
            self._connections = 0
            self._counts = dict.fromkeys(KINDS, 0)

    def _count(self, kind: Kind) -> None:
        with self._lock:
            self._requests += 1
            self._counts[kind] += 1

    def _opened(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections += 1
            self._open.add(connection)

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)
            self._idle.notify_all()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> DemoServer:
        if self._httpd is not None:
            raise RuntimeError("the demo server is already running")
        httpd = _HTTPServer((self.host, self.port), self)
        self._stopping.clear()
        self.port = httpd.server_address[1]
        self.site.origin = self.origin
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-server"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None or thread is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        with self._lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            # Handler threads see end-of-file and close their sockets; a thread still
            # sleeping out its latency gets a broken pipe when it answers.
            self._idle.wait_for(lambda: not self._open, timeout=timeout + self.latency)
        self._httpd = self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Run a demo server in the foreground until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(
        prog="python -m planetrss.demo.server", description="Serve the planetrss demo site."
    )
    parser.add_argument("--episodes", type=int, default=300)
    parser.add_argument("--podcast-id", default="510289")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-bytes", type=int, default=90_000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    site = DemoSite(args.episodes, args.podcast_id, args.seed, args.page_bytes)
    with DemoServer(site, args.host, args.port, args.latency) as server:
        print(f"serving {server.origin}", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


__all__ = ["DemoServer", "Fault", "FaultHook", "main"]

if __name__ == "__main__":
    sys.exit(main())
