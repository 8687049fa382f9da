"""The benchmark's instruments: a demo server process, a build in a fresh process, /proc.

Every build runs as `planetrss build ... -v` in a process of its own and is measured
from the outside: wall seconds from spawn to exit (interpreter start included), the
peak memory and the CPU time of its whole process tree (the CLI process and whatever
it starts: parse workers, a forkserver), the requests its summary line reports and
the requests the demo server counted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEMO_FEED = ROOT / "planetrss" / "demo" / "feeds" / "demo.toml"  # shipped inside the package
_PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


def planetrss_command() -> list[str]:
    """The installed console script next to this interpreter (what `make` puts in .venv/bin)."""
    script = Path(sys.executable).parent / "planetrss"
    if not script.exists():
        raise SystemExit(f"bench: {script} not found; run `make bench` (it installs the venv)")
    return [str(script)]


# --- memory and CPU of a process tree, polled from /proc -------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class _Stat:
    parent: int
    cpu: float  # user + system seconds so far


def _stats() -> dict[int, _Stat]:
    """Parent and CPU seconds of every process we may read."""
    found: dict[int, _Stat] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = process_stat(int(entry.name))
            if stat is not None:
                found[int(entry.name)] = stat
    return found


def process_stat(pid: int) -> _Stat | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            text = file.read()
    except OSError:
        return None
    # The command name (in parentheses) may hold spaces: split after its last ')'.
    fields = text[text.rfind(b")") + 2 :].split()
    return _Stat(parent=int(fields[1]), cpu=(int(fields[11]) + int(fields[12])) / _TICK)


def _rss_pss(pid: int) -> tuple[int, int]:
    """Resident and proportional set size of one process, in bytes (0, 0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            rss = int(statm.read().split()[1]) * _PAGE
        pss = 0
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except (OSError, IndexError, ValueError):
        return 0, 0
    return rss, pss


class TreeSampler:
    """Peak memory and CPU time of a process and all its descendants, polled from /proc.

    RSS summed over the tree counts pages the processes share (shared libraries, pages
    a forked worker inherits) once per process: an upper bound.
    PSS splits shared pages among their users, so its sum is the tree's real footprint.
    CPU seconds are each process's last reading (a process's final <20 ms may be missed).
    """

    def __init__(self, root: int, interval: float = 0.02) -> None:
        self.root = root
        self.interval = interval
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_processes = 0
        self.cpu: dict[int, float] = {}  # pid -> CPU seconds, as last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        stats = _stats()
        children: dict[int, list[int]] = {}
        for pid, stat in stats.items():
            children.setdefault(stat.parent, []).append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            if pid in stats:
                tree.append(pid)
                self.cpu[pid] = stats[pid].cpu
                todo.extend(children.get(pid, ()))
        sizes = [_rss_pss(pid) for pid in tree]
        self.peak_rss = max(self.peak_rss, sum(rss for rss, _ in sizes))
        self.peak_pss = max(self.peak_pss, sum(pss for _, pss in sizes))
        self.peak_processes = max(self.peak_processes, sum(1 for rss, _ in sizes if rss))

    @property
    def cpu_root(self) -> float:
        return self.cpu.get(self.root, 0.0)

    @property
    def cpu_descendants(self) -> float:
        return sum(cpu for pid, cpu in self.cpu.items() if pid != self.root)


# --- the demo server, in a process of its own -------------------------------------------------


class ServerProcess:
    """`python -m tests.bench.server` (the demo site plus a control line on stdin)."""

    def __init__(
        self, episodes: int, latency: float, markup: Path | None = None, page_bytes: int = 90_000
    ) -> None:
        self.episodes = episodes
        self.latency = latency
        self.markup = markup  # the saved npr.org pages to dress the site in; None: demo pages
        self.page_bytes = page_bytes
        self.origin = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> ServerProcess:
        command = [
            sys.executable,
            "-m",
            "tests.bench.server",
            f"--episodes={self.episodes}",
            f"--latency={self.latency}",
            f"--page-bytes={self.page_bytes}",
            "--port=0",
            *([f"--real-markup={self.markup}"] if self.markup else []),
        ]
        self._process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        line = self._process.stdout.readline() if self._process.stdout else ""
        if not line.startswith("serving "):
            self._process.kill()
            raise RuntimeError(f"the demo server did not start (it said {line!r})")
        self.origin = line.split()[1]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process = self._process
        if process is None:
            return
        if process.stdin:
            process.stdin.close()  # end of commands: the server stops
        try:
            process.wait(timeout=10 + self.latency)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()

    def _ask(self, command: str) -> dict[str, Any]:
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise RuntimeError("the demo server is not running")
        process.stdin.write(command + "\n")
        process.stdin.flush()
        answer: dict[str, Any] = json.loads(process.stdout.readline())
        if "error" in answer:
            raise RuntimeError(f"demo server: {answer['error']}")
        return answer

    def cpu(self) -> float:
        """CPU seconds the server process has used so far."""
        stat = process_stat(self._process.pid) if self._process else None
        return stat.cpu if stat else 0.0

    def counts(self) -> dict[str, int]:
        """Requests by kind, as the server counted them, since it started."""
        return {key: int(value) for key, value in self._ask("counts").items()}

    def add_episodes(self, n: int) -> int:
        """Publish `n` newer episodes; the site's new episode count."""
        return int(self._ask(f"add {n}")["episodes"])


def write_feed(folder: Path, origin: str) -> Path:
    """A copy of the demo definition in `folder` whose origin is `origin` (the feed goes there too).

    Sizes are not probed: the job is the one Scrapy does (pages and their fields), and
    the demo's audio files would add a HEAD request for every fifth episode.
    """
    text, found = re.subn(
        r'^origin = ".*"$', f'origin = "{origin}"', DEMO_FEED.read_text("utf-8"), flags=re.M
    )
    text, probes = re.subn(r"^probe_sizes = .*$", "probe_sizes = false", text, flags=re.M)
    if found != 1 or probes != 1:
        raise RuntimeError(f"{DEMO_FEED}: no `origin = ...` or `probe_sizes = ...` line to replace")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- one build, in a fresh process --------------------------------------------------------

_SUMMARY = re.compile(
    r"\((?P<new>\d+) new, (?P<cached>\d+) cached, (?P<skipped>\d+) skipped, "
    r"(?P<failed>\d+) failed\); (?P<requests>\d+) requests?;"
)
_TIMING = re.compile(r"^\S+: timing: (?P<name>\w+) = (?P<value>[-\d.]+)$", re.M)


@dataclass
class BuildRun:
    """What one `planetrss build` did, measured from the outside."""

    wall: float
    status: int
    requests: int  # the build's own count (its summary line)
    server_requests: int  # what the demo server counted while the build ran
    new: int
    cached: int
    skipped: int
    failed: int
    peak_rss_mb: float  # summed over the process tree
    peak_pss_mb: float
    processes: int  # most processes alive in the tree at once
    cpu_main_s: float  # CPU seconds of the `planetrss` process itself
    cpu_workers_s: float  # ... of its descendants (forkserver, parse workers)
    cpu_server_s: float  # ... of the demo server while the build ran
    timings: dict[str, float] = field(default_factory=dict)
    summary: str = ""


def run_build(feed: Path, cache: Path, concurrency: int, server: ServerProcess) -> BuildRun:
    """`planetrss build FEED --cache-dir CACHE --concurrency C -v` in a fresh process."""
    command = [
        *planetrss_command(),
        "build",
        str(feed),
        f"--cache-dir={cache}",
        f"--concurrency={concurrency}",
        "-v",
    ]
    before = server.counts()["requests"]
    server_cpu = server.cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        with TreeSampler(process.pid) as tree:
            out, err = process.communicate()
            wall = time.perf_counter() - started
    except BaseException:
        process.kill()
        process.wait()
        raise
    server_requests = server.counts()["requests"] - before
    server_cpu = server.cpu() - server_cpu
    match = _SUMMARY.search(out)
    if process.returncode not in (0, 1) or match is None:
        raise RuntimeError(
            f"build failed (exit {process.returncode}): {' '.join(command)}\n{out}{err}"
        )
    counts = {name: int(value) for name, value in match.groupdict().items()}
    return BuildRun(
        wall=wall,
        status=process.returncode,
        requests=counts["requests"],
        server_requests=server_requests,
        new=counts["new"],
        cached=counts["cached"],
        skipped=counts["skipped"],
        failed=counts["failed"],
        peak_rss_mb=tree.peak_rss / MB,
        peak_pss_mb=tree.peak_pss / MB,
        processes=tree.peak_processes,
        cpu_main_s=tree.cpu_root,
        cpu_workers_s=tree.cpu_descendants,
        cpu_server_s=server_cpu,
        timings={m["name"]: float(m["value"]) for m in _TIMING.finditer(err)},
        summary=out.strip().splitlines()[-1],
    )


@dataclass
class ScrapyRun:
    """One run of the Scrapy spider (tests/bench/scrapy_npr.py), measured from the outside."""

    wall: float
    requests: int
    server_requests: int
    items: int
    errors: int
    peak_rss_mb: float
    cpu_s: float  # the Scrapy process (it is one process)
    cpu_server_s: float


def run_scrapy(workdir: Path, concurrency: int, server: ServerProcess) -> ScrapyRun:
    """The Scrapy spider in a fresh process, with an empty HTTP cache in `workdir`."""
    command = [
        sys.executable,
        "-m",
        "tests.bench.scrapy_npr",
        f"--origin={server.origin}",
        f"--concurrency={concurrency}",
        f"--workdir={workdir}",
    ]
    before = server.counts()["requests"]
    server_cpu = server.cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        with TreeSampler(process.pid) as tree:
            out, err = process.communicate()
            wall = time.perf_counter() - started
    except BaseException:
        process.kill()
        process.wait()
        raise
    if process.returncode != 0 or not out.strip():
        raise RuntimeError(f"scrapy failed (exit {process.returncode}): {' '.join(command)}\n{err}")
    found = json.loads(out.strip().splitlines()[-1])
    return ScrapyRun(
        wall=wall,
        requests=found["requests"],
        server_requests=server.counts()["requests"] - before,
        items=found["items"],
        errors=found["errors"],
        peak_rss_mb=tree.peak_rss / MB,
        cpu_s=tree.cpu_root + tree.cpu_descendants,
        cpu_server_s=server.cpu() - server_cpu,
    )


@dataclass(frozen=True)
class SequentialRun:
    listing_pages: int
    episode_pages: int
    requests: int
    episodes: int
    seconds: float  # inside the scraper: first request to last parse
    wall: float  # the whole process, interpreter start included


def run_sequential(origin: str, limit: int) -> SequentialRun:
    """The sequential baseline (tests/bench/sequential.py) in a fresh process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.sequential", f"--origin={origin}", f"--limit={limit}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    return SequentialRun(**json.loads(done.stdout), wall=wall)


def time_command(command: list[str]) -> float:
    """Wall seconds of one run of `command` (output discarded)."""
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started
