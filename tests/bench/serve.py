"""The `planetrss serve` scenario of `make bench`: answering feed readers during a cold build.

    .venv/bin/python -m tests.bench.serve            # this scenario alone (about a minute)
    .venv/bin/python -m tests.bench.serve --quick    # a smoke run

1. The demo site runs in a process of its own (Planet Money's size: 1,700 episodes,
   ~90 KB pages, 100 ms per request). A feed `served` is built from it first.
2. `planetrss serve` starts (a process of its own, the real command) with `served` and a
   second feed of the same archive, `cold`, whose cache is empty: `cold`'s cold build
   starts at once, inside the server, on its event loop.
3. While it runs, 4 clients (threads in this process, one keep-alive connection each,
   10 ms between requests) fetch `served.xml` the way podcast apps do: 4 in 5 are
   conditional GETs that get a 304, 1 in 5 a full gzipped GET. Their latencies, from
   sending the request to the last byte of the answer, are the result; the same clients
   against the idle server afterwards are the baseline.
4. Conditional GETs per second with the server idle, from 4 client processes with one
   keep-alive connection each, against `planetrss serve`, `python -m http.server`
   (If-Modified-Since: it has no ETags; HTTP/1.0, a connection per request) and nginx
   (if installed: `apt-get install nginx`; one worker process, ETag), in the same run.

Targets: p99 during the cold build <= 50 ms for every request, <= 10 ms for the 304s.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tests.bench.harness import ROOT, ServerProcess, planetrss_command, write_feed

CLIENTS = 4
PAUSE = 0.01  # seconds each client waits between requests
FULL_EVERY = 5  # one request in five is a full GET
IDLE_SECONDS = 3.0
HAMMER_SECONDS = 3.0
RESULTS = ROOT / "tests" / "bench" / "results" / "serve.json"


@dataclass
class Latencies:
    """Request latencies in seconds, by answer."""

    not_modified: list[float] = field(default_factory=list)
    full: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        every = self.not_modified + self.full
        return {
            "requests": len(every),
            "errors": len(self.errors),
            "p50_ms": _quantile(every, 50),
            "p99_ms": _quantile(every, 99),
            "max_ms": max(every, default=math.nan) * 1000,
            "p99_304_ms": _quantile(self.not_modified, 99),
            "p99_full_ms": _quantile(self.full, 99),
        }


def _quantile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return math.nan
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


# --- a minimal HTTP/1.1 client on a raw socket (the same for every server) --------------


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sock: socket.socket | None = None
        self.buffer = b""

    def request(self, raw: bytes) -> tuple[int, int]:
        """Send `raw`, read the whole answer; (status, body bytes). Reconnects as needed."""
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=30)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.buffer = b""
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split()[:2]
        headers = {k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines[1:])}
        length = 0 if status in ("304", "204") else int(headers.get("content-length", "-1"))
        close = version == "HTTP/1.0" or headers.get("connection", "").lower() == "close"
        if length < 0:  # no length: the body ends with the connection
            while self._read():
                pass
            length, self.buffer = len(self.buffer), b""
        else:
            while len(self.buffer) < length:
                self._read()
            self.buffer = self.buffer[length:]
        if close:
            self.close()
        return int(status), length

    def _read(self) -> bool:
        assert self.sock is not None
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            if self.buffer:
                return False
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk
        return True

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def _request(host: str, port: int, path: str, **headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _head(url: str, **headers: str) -> dict[str, str]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request(
            "HEAD", parts.path, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = connection.getresponse()
        response.read()
        return {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


# --- clients like podcast apps, timing every request -------------------------------------


def _client(url: str, etag: str, stop: threading.Event, into: Latencies) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    conditional = _request(host, port, parts.path, Accept_Encoding="gzip", If_None_Match=etag)
    full = _request(host, port, parts.path, Accept_Encoding="gzip")
    connection = _Connection(host, port)
    n = 0
    try:
        while not stop.is_set():
            n += 1
            is_full = n % FULL_EVERY == 0
            start = time.perf_counter()
            try:
                status, _ = connection.request(full if is_full else conditional)
            except OSError as error:
                into.errors.append(repr(error))
                connection.close()
                continue
            took = time.perf_counter() - start
            expected = 200 if is_full else 304
            if status != expected:
                into.errors.append(f"status {status}, expected {expected}")
            (into.full if is_full else into.not_modified).append(took)
            time.sleep(PAUSE)
    finally:
        connection.close()


def _clients(url: str, etag: str, until: threading.Event | float) -> Latencies:
    """Run CLIENTS clients until `until` is set (an Event) or for `until` seconds."""
    found = Latencies()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_client, args=(url, etag, stop, found)) for _ in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    if isinstance(until, threading.Event):
        until.wait()
    else:
        time.sleep(until)
    stop.set()
    for thread in threads:
        thread.join()
    return found


# --- conditional GETs per second ------------------------------------------------------------


def _hammer(host: str, port: int, raw: bytes, seconds: float) -> tuple[int, int, list[float]]:
    """One client process: (304s, other answers, latencies) in `seconds`."""
    connection = _Connection(host, port)
    good = bad = 0
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    while (start := time.perf_counter()) < end:
        status, _ = connection.request(raw)
        latencies.append(time.perf_counter() - start)
        if status == 304:
            good += 1
        else:
            bad += 1
    connection.close()
    return good, bad, latencies


def conditional_gets_per_second(url: str, **headers: str) -> dict[str, float]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 80
    raw = _request(host, port, parts.path, **headers)
    with ProcessPoolExecutor(CLIENTS, mp_context=get_context("spawn")) as pool:
        _hammer(host, port, raw, 0.2)  # warm up this server's caches and ours
        futures = [pool.submit(_hammer, host, port, raw, HAMMER_SECONDS) for _ in range(CLIENTS)]
        results = [f.result() for f in futures]
    latencies = [x for _, _, lat in results for x in lat]
    return {
        "per_second": sum(good for good, _, _ in results) / HAMMER_SECONDS,
        "not_304": sum(bad for _, bad, _ in results),
        "p50_ms": _quantile(latencies, 50),
        "p99_ms": _quantile(latencies, 99),
    }


class _Process:
    """A server process whose first lines tell where it listens."""

    def __init__(self, command: list[str], pattern: str, *, log: bool = True) -> None:
        # A log nobody reads must not fill its pipe and stall the server (http.server
        # logs every request to stderr).
        stderr = subprocess.PIPE if log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        self.url = ""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if match := re.search(pattern, line):
                self.url = match[1]
                break
        if not self.url:
            self.stop()
            raise RuntimeError(
                f"{command[0]} did not start: {self.process.stderr.read() if self.process.stderr else ''}"
            )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _nginx(folder: Path, tmp: Path) -> _Process | None:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        return None
    port = _free_port()
    prefix = tmp / "nginx"
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"""{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
    types {{ application/rss+xml xml; }}
    server {{ listen 127.0.0.1:{port}; root {folder}; etag on; gzip off; }}
}}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        return None
    wrapper = _Process.__new__(_Process)
    wrapper.process = process  # type: ignore[assignment]
    wrapper.url = f"http://127.0.0.1:{port}/"
    return wrapper


# --- the scenario -------------------------------------------------------------------------


@dataclass
class ServeRun:
    episodes: int
    latency: float
    cold_build_s: float
    served_feed_bytes: int
    served_feed_gzip_bytes: int
    during_build: dict[str, float]
    idle: dict[str, float]
    per_second: dict[str, dict[str, float]]
    serve_exit: int
    build_line: str


def _definitions(folder: Path, origin: str) -> None:
    demo = write_feed(folder, origin)
    for name in ("served", "cold"):
        (folder / f"{name}.toml").write_text(demo.read_text(encoding="utf-8"), encoding="utf-8")
    demo.unlink()


def run_serve(episodes: int, latency: float, markup: Path | None, tmp: Path) -> ServeRun:
    feeds, cache = tmp / "serve-feeds", tmp / "serve-cache"
    with ServerProcess(episodes, latency, markup) as site:
        _definitions(feeds, site.origin)
        command = [*planetrss_command(), "build", "served", "-q"]
        subprocess.run(
            [*command, "--feeds-dir", str(feeds), "--cache-dir", str(cache)], cwd=ROOT, check=True
        )
        serve = _Process(
            [
                *planetrss_command(),
                "serve",
                "--port",
                "0",
                "--feeds-dir",
                str(feeds),
                "--cache-dir",
                str(cache),
            ],
            r"serving \d+ feeds? at (\S+) ",
        )
        started = time.perf_counter()
        built = threading.Event()
        build_line: list[str] = []

        def watch() -> None:  # the server's log: one line per build
            assert serve.process.stderr is not None
            for line in serve.process.stderr:
                if line.startswith("planetrss: cold: "):
                    build_line.append(line.strip())
                    built.set()
            built.set()

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        url = serve.url + "served.xml"
        headers = _head(url, Accept_Encoding="gzip")
        during = _clients(url, headers["etag"], built)
        cold_build_s = time.perf_counter() - started
        idle = _clients(url, headers["etag"], IDLE_SECONDS)
        per_second = {
            "planetrss serve": conditional_gets_per_second(
                url, Accept_Encoding="gzip", If_None_Match=headers["etag"]
            )
        }
        plain = _head(url)
        serve_exit = serve.stop()
    static = _Process(
        [
            sys.executable,
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
            str(feeds),
        ],
        r"\((http://\S+/)\)",
        log=False,
    )
    try:
        modified = _head(static.url + "served.xml")["last-modified"]
        per_second["python -m http.server"] = conditional_gets_per_second(
            static.url + "served.xml", If_Modified_Since=modified
        )
    finally:
        static.stop()
    nginx = _nginx(feeds, tmp)
    if nginx is not None:
        try:
            etag = _head(nginx.url + "served.xml")["etag"]
            per_second["nginx"] = conditional_gets_per_second(
                nginx.url + "served.xml", If_None_Match=etag
            )
        finally:
            nginx.stop()
    return ServeRun(
        episodes=episodes,
        latency=latency,
        cold_build_s=cold_build_s,
        served_feed_bytes=int(plain["content-length"]),
        served_feed_gzip_bytes=int(headers["content-length"]),
        during_build=during.summary(),
        idle=idle.summary(),
        per_second=per_second,
        serve_exit=serve_exit,
        build_line=build_line[0] if build_line else "(no build line)",
    )


def targets(run: ServeRun) -> list[tuple[str, bool, str]]:
    during = run.during_build
    return [
        (
            "serve: p99 during a cold build <= 50 ms",
            during["p99_ms"] <= 50 and not during["errors"],
            f"{during['p99_ms']:.1f} ms",
        ),
        (
            "serve: p99 of 304s during a cold build <= 10 ms",
            during["p99_304_ms"] <= 10,
            f"{during['p99_304_ms']:.1f} ms",
        ),
    ]


def report(run: ServeRun) -> list[str]:
    d, i = run.during_build, run.idle
    lines = [
        f"serve: {run.build_line}",
        f"serve: served.xml {run.served_feed_bytes / 1e6:.1f} MB ({run.served_feed_gzip_bytes / 1e6:.2f} MB gzipped); "
        f"{CLIENTS} clients, {PAUSE * 1000:.0f} ms apart, 1 in {FULL_EVERY} a full GET",
        f"serve: during the cold build ({run.cold_build_s:.1f} s): {d['requests']:.0f} requests, "
        f"{d['errors']:.0f} errors; p50 {d['p50_ms']:.1f} ms, p99 {d['p99_ms']:.1f} ms "
        f"(304s {d['p99_304_ms']:.1f} ms, full {d['p99_full_ms']:.1f} ms), max {d['max_ms']:.0f} ms",
        f"serve: idle afterwards: {i['requests']:.0f} requests; p50 {i['p50_ms']:.1f} ms, "
        f"p99 {i['p99_ms']:.1f} ms (304s {i['p99_304_ms']:.1f} ms, full {i['p99_full_ms']:.1f} ms)",
    ]
    for name, figures in run.per_second.items():
        lines.append(
            f"serve: conditional GETs per second, {name}: {figures['per_second']:,.0f} "
            f"(p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms; "
            f"{figures['not_304']:.0f} not 304)"
        )
    if "nginx" not in run.per_second:
        lines.append("serve: nginx not installed (apt-get install nginx): not compared")
    lines.append(f"serve: exit status after SIGTERM: {run.serve_exit}")
    for name, passed, value in targets(run):
        lines.append(f"{'PASS' if passed else 'FAIL'}  {name}: {value}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.serve", description=__doc__)
    parser.add_argument("--episodes", type=int, help="episodes on the site [1700; quick 200]")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request [0.1]")
    parser.add_argument("--quick", action="store_true", help="a small archive, for a smoke run")
    args = parser.parse_args(argv)
    episodes = args.episodes or (200 if args.quick else 1700)
    with tempfile.TemporaryDirectory(prefix="planetrss-bench-serve-") as name:
        run = run_serve(episodes, args.latency, None, Path(name))
    for line in report(run):
        print(line, flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"serve": asdict(run), "targets": targets(run)}
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"results: {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
