"""`make bench`: how fast and how lean a real build is, against the demo site on loopback.

    .venv/bin/python -m tests.bench            # the full report (about 6 minutes on 2 cores)
    .venv/bin/python -m tests.bench --quick    # a smoke run (under a minute)

The demo site is served from a process of its own (tests/bench/server.py), with NPR-size
pages and an injected latency; every build is `planetrss build -v` in a fresh process,
measured from the outside (see tests/bench/harness.py). Scenarios: a cold build, a warm
rebuild, an incremental build after 5 new episodes, the sequential baseline (the original
scraper, extrapolated from a subset), the network floor, the timings the build reports,
a cold build of a 10x archive, and `planetrss --help`. Each target prints PASS or FAIL;
the exit status is 0 either way (this is a report, not a test). Results go to a JSON
file; `--plot` draws cold-build time against concurrency to tests/bench/concurrency.png.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from planetrss.demo.site import PAGE_SIZE, DemoSite
from tests.bench.harness import (
    DEMO_FEED,
    ROOT,
    BuildRun,
    SequentialRun,
    ServerProcess,
    planetrss_command,
    run_build,
    run_sequential,
    time_command,
    write_feed,
)

RESULTS = ROOT / "tests" / "bench" / "results" / "bench.json"
QUICK_RESULTS = RESULTS.with_name("bench-quick.json")
PLOT = ROOT / "tests" / "bench" / "concurrency.png"
PLOT_CONCURRENCY = (1, 4, 16, 64)
NEW_EPISODES = 5
SEQUENTIAL_SUBSET = 200  # episode pages the sequential baseline fetches
HELP_RUNS = 5


@dataclass(frozen=True)
class Settings:
    episodes: int
    latency: float
    concurrency: int
    runs: int
    scale: bool
    plot: bool
    plot_episodes: int
    quick: bool
    results: Path


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="Benchmark planetrss builds against the demo site (see `make bench`).",
    )
    parser.add_argument("--episodes", type=int, help="episodes on the demo site [1700; quick 200]")
    parser.add_argument("--latency", type=float, help="seconds per request [0.1; quick 0.02]")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight [16]")
    parser.add_argument("--runs", type=int, help="runs per scenario, medians reported [3; quick 1]")
    parser.add_argument(
        "--scale",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also a cold build of 10x the episodes [on]",
    )
    parser.add_argument(
        "--plot",
        action=argparse.BooleanOptionalAction,
        help=f"draw cold-build time vs concurrency to {PLOT.relative_to(ROOT)} [on; quick off]",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes for a smoke run (under a minute)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help=f"where the JSON goes [{RESULTS.relative_to(ROOT)}; quick {QUICK_RESULTS.name}]",
    )
    args = parser.parse_args(argv)
    quick: bool = args.quick
    episodes = args.episodes or (200 if quick else 1700)
    return Settings(
        episodes=episodes,
        latency=args.latency if args.latency is not None else (0.02 if quick else 0.1),
        concurrency=args.concurrency,
        runs=args.runs or (1 if quick else 3),
        scale=args.scale,
        plot=args.plot if args.plot is not None else not quick,
        # At concurrency 1 a 1,700-episode archive takes minutes: the plot uses a smaller one.
        plot_episodes=min(episodes, 100 if quick else 400),
        quick=quick,
        results=args.results or (QUICK_RESULTS if quick else RESULTS),
    )


# --- the machine -----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


# --- running the scenarios ---------------------------------------------------------------------


def _say(text: str) -> None:
    print(text, flush=True)


def _line(label: str, run: BuildRun) -> str:
    timings = run.timings
    return (
        f"  {label:<22} {run.wall:7.2f} s  {run.requests:6d} requests "
        f"(server {run.server_requests})  RSS {run.peak_rss_mb:6.1f} MB  "
        f"PSS {run.peak_pss_mb:6.1f} MB  parse {timings.get('parse_median_ms', 0):.1f} ms  "
        f"lag p99 {timings.get('loop_lag_p99_ms', 0):.0f} ms  CPU main {run.cpu_main_s:.1f} "
        f"+ workers {run.cpu_workers_s:.1f} + server {run.cpu_server_s:.1f} s"
    )


@dataclass(frozen=True)
class Expected:
    """The requests a correct incremental build makes after `new` episodes appear."""

    listing_pages: int  # listing pages holding the new items
    episode_pages: int  # new items whose page must be fetched
    size_probes: int  # HEADs for new audio files of unknown size (the feed's probe_sizes)

    @property
    def requests(self) -> int:
        return self.listing_pages + self.episode_pages + self.size_probes

    def __str__(self) -> str:
        probes = f" + {self.size_probes} HEAD (probe_sizes)" if self.size_probes else ""
        return f"{self.listing_pages} listing + {self.episode_pages} episode pages{probes}"


def expected_incremental(episodes: int, new: int) -> Expected:
    site = DemoSite(episodes)
    site.add_episodes(new)
    probing = bool(tomllib.loads(DEMO_FEED.read_text("utf-8")).get("probe_sizes", False))
    pages = probes = 0
    for index in range(episodes + 1, episodes + new + 1):
        episode = site.episode(index)
        # Exclusives have no page; an unavailable item whose listing carries the audio
        # module is skipped from the listing alone. Every other new item needs its page.
        if episode.exclusive or (episode.listing_audio and not episode.available):
            continue
        pages += 1
        if probing and episode.in_feed and not episode.size_in_url:
            probes += 1
    return Expected(math.ceil(new / PAGE_SIZE), pages, probes)


@dataclass
class MainRuns:
    cold: list[BuildRun] = field(default_factory=list)
    warm: list[BuildRun] = field(default_factory=list)
    incremental: list[BuildRun] = field(default_factory=list)
    sequential: list[SequentialRun] = field(default_factory=list)


def run_main(settings: Settings, tmp: Path) -> MainRuns:
    """Cold, warm and incremental builds (settings.runs each) and the sequential baseline."""
    runs = MainRuns()
    c = settings.concurrency
    with ServerProcess(settings.episodes, settings.latency) as server:
        _say(
            f"demo server {server.origin}: {settings.episodes} episodes, "
            f"{settings.latency * 1000:.0f} ms latency"
        )
        for i in range(settings.runs):
            feed = write_feed(tmp / f"run{i}", server.origin)
            cache = tmp / f"run{i}" / "cache"
            runs.cold.append(run_build(feed, cache, c, server))
            _say(_line(f"cold #{i + 1}", runs.cold[-1]))
            runs.warm.append(run_build(feed, cache, c, server))
            _say(_line(f"warm #{i + 1}", runs.warm[-1]))
        limit = min(SEQUENTIAL_SUBSET, settings.episodes)
        for i in range(settings.runs):
            runs.sequential.append(run_sequential(server.origin, limit))
            seq = runs.sequential[-1]
            _say(
                f"  {f'sequential #{i + 1}':<22} {seq.seconds:7.2f} s  {seq.requests:6d} requests "
                f"({seq.listing_pages} listing + {seq.episode_pages} episode pages)"
            )
        # The same server publishes 5 more episodes: existing ones stay exactly as they were.
        server.add_episodes(NEW_EPISODES)
        for i in range(settings.runs):
            feed, cache = tmp / f"run{i}" / "demo.toml", tmp / f"run{i}" / "cache"
            runs.incremental.append(run_build(feed, cache, c, server))
            _say(_line(f"incremental #{i + 1}", runs.incremental[-1]))
    return runs


def run_scale(settings: Settings, tmp: Path) -> BuildRun:
    episodes = settings.episodes * 10
    with ServerProcess(episodes, settings.latency) as server:
        _say(f"demo server {server.origin}: {episodes} episodes (scale run, 1 run)")
        feed = write_feed(tmp / "scale", server.origin)
        run = run_build(feed, tmp / "scale" / "cache", settings.concurrency, server)
    _say(_line("cold x10", run))
    return run


def run_concurrency(settings: Settings, tmp: Path) -> dict[int, BuildRun]:
    found: dict[int, BuildRun] = {}
    with ServerProcess(settings.plot_episodes, settings.latency) as server:
        _say(f"demo server {server.origin}: {settings.plot_episodes} episodes (concurrency plot)")
        for c in PLOT_CONCURRENCY:
            feed = write_feed(tmp / f"c{c}", server.origin)
            found[c] = run_build(feed, tmp / f"c{c}" / "cache", c, server)
            _say(_line(f"cold, concurrency {c}", found[c]))
    return found


def time_help() -> list[float]:
    command = [*planetrss_command(), "--help"]
    time_command(command)  # once unmeasured: the first run may pay for a cold disk cache
    return [time_command(command) for _ in range(HELP_RUNS)]


# --- the report -----------------------------------------------------------------------------------


def _median(runs: Sequence[Any], value: Callable[[Any], float]) -> float:
    return statistics.median(value(run) for run in runs)


def floor_seconds(requests: int, concurrency: int, latency: float) -> float:
    """The network floor: requests in waves of `concurrency`, each wave one latency long."""
    return math.ceil(requests / concurrency) * latency


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool
    detail: str


def summarize(
    settings: Settings,
    runs: MainRuns,
    scale: BuildRun | None,
    help_times: list[float],
) -> tuple[dict[str, Any], list[Target]]:
    c, latency = settings.concurrency, settings.latency
    cold_wall = _median(runs.cold, lambda r: r.wall)
    cold_requests = round(_median(runs.cold, lambda r: r.requests))
    cold_rss = _median(runs.cold, lambda r: r.peak_rss_mb)
    cold_pss = _median(runs.cold, lambda r: r.peak_pss_mb)
    parse_ms = _median(runs.cold, lambda r: r.timings.get("parse_median_ms", math.nan))
    lag_ms = _median(runs.cold, lambda r: r.timings.get("loop_lag_p99_ms", math.nan))
    warm_wall = _median(runs.warm, lambda r: r.wall)
    warm_requests = max(r.requests for r in runs.warm)
    incr_wall = _median(runs.incremental, lambda r: r.wall)
    incr_requests = [r.requests for r in runs.incremental]
    expected = expected_incremental(settings.episodes, NEW_EPISODES)
    floor = floor_seconds(cold_requests, c, latency)

    per_request = _median(runs.sequential, lambda s: s.seconds / s.requests)
    sequential = per_request * cold_requests
    seq = runs.sequential[0]
    help_median = statistics.median(help_times)

    every = [*runs.cold, *runs.warm, *runs.incremental, *([scale] if scale else [])]
    mismatched = [r for r in every if r.requests != r.server_requests]

    figures: dict[str, Any] = {
        "cold": {
            "wall_s": cold_wall,
            "requests": cold_requests,
            "peak_rss_mb": cold_rss,
            "peak_pss_mb": cold_pss,
            "parse_median_ms": parse_ms,
            "loop_lag_p99_ms": lag_ms,
            "crawl_s": _median(runs.cold, lambda r: r.timings.get("crawl", math.nan)),
            "probe_sizes_s": _median(runs.cold, lambda r: r.timings.get("probe_sizes", 0.0)),
            "cpu_main_s": _median(runs.cold, lambda r: r.cpu_main_s),
            "cpu_workers_s": _median(runs.cold, lambda r: r.cpu_workers_s),
            "cpu_server_s": _median(runs.cold, lambda r: r.cpu_server_s),
            "render_s": _median(runs.cold, lambda r: r.timings.get("render", math.nan)),
        },
        "warm": {"wall_s": warm_wall, "requests": warm_requests},
        "incremental": {
            "wall_s": incr_wall,
            "requests": incr_requests,
            "expected_requests": expected.requests,
            "expected": str(expected),
        },
        "sequential": {
            "extrapolated": seq.requests < cold_requests,
            "measured_requests": seq.requests,
            "measured_s": _median(runs.sequential, lambda s: s.seconds),
            "s_per_request": per_request,
            "extrapolated_s": sequential,
            "speedup": sequential / cold_wall,
        },
        "floor": {"wall_s": floor, "cold_over_floor": cold_wall / floor},
        "help": {"wall_s": help_median, "runs": help_times},
        "request_counts_agree": not mismatched,
    }
    targets = [
        Target(
            "cold build <= 1.1x network floor",
            cold_wall <= 1.1 * floor,
            f"{cold_wall:.2f} s = {cold_wall / floor:.2f}x floor {floor:.2f} s",
        ),
        Target(
            "cold build >= 15x faster than sequential",
            sequential / cold_wall >= 15,
            f"{sequential / cold_wall:.1f}x ({sequential:.1f} s extrapolated / {cold_wall:.2f} s)",
        ),
        Target(
            "warm rebuild <= 2 requests and < 1.0 s",
            warm_requests <= 2 and warm_wall < 1.0,
            f"{warm_requests} request(s), {warm_wall:.2f} s",
        ),
        Target(
            f"incremental (+{NEW_EPISODES}) requests == listing pages with new items + new pages",
            all(n == expected.requests for n in incr_requests),
            f"{'/'.join(map(str, incr_requests))} vs {expected.requests} = {expected}",
        ),
        Target("event-loop lag p99 < 50 ms", lag_ms < 50, f"{lag_ms:.1f} ms"),
        Target(
            f"peak RSS < 120 MB at {settings.episodes} episodes",
            cold_rss < 120,
            f"{cold_rss:.1f} MB (process tree RSS sum; PSS {cold_pss:.1f} MB)",
        ),
        Target("planetrss --help < 0.3 s", help_median < 0.3, f"{help_median:.3f} s"),
        Target(
            "request counts: build == server",
            not mismatched,
            "all builds agree"
            if not mismatched
            else "; ".join(f"{r.requests} vs {r.server_requests}" for r in mismatched),
        ),
    ]
    if scale is not None:
        figures["scale"] = {
            "episodes": settings.episodes * 10,
            "wall_s": scale.wall,
            "requests": scale.requests,
            "peak_rss_mb": scale.peak_rss_mb,
            "peak_pss_mb": scale.peak_pss_mb,
            "time_ratio": scale.wall / cold_wall,
            "rss_ratio": scale.peak_rss_mb / cold_rss,
            "floor_s": floor_seconds(scale.requests, c, latency),
        }
        targets.insert(
            6,
            Target(
                f"peak RSS at {settings.episodes * 10} < 1.5x that at {settings.episodes}",
                scale.peak_rss_mb < 1.5 * cold_rss,
                f"{scale.peak_rss_mb:.1f} MB = {scale.peak_rss_mb / cold_rss:.2f}x",
            ),
        )
    return figures, targets


def print_report(
    settings: Settings, info: dict[str, Any], figures: dict[str, Any], targets: list[Target]
) -> None:
    cold, warm, incr = figures["cold"], figures["warm"], figures["incremental"]
    seq, floor = figures["sequential"], figures["floor"]
    c, ms = settings.concurrency, settings.latency * 1000
    n = settings.runs
    rows: list[tuple[str, str, str, str, str]] = [
        (
            "cold build (empty cache)",
            f"{cold['wall_s']:.2f}",
            f"{cold['requests']:,}",
            f"{cold['peak_rss_mb']:.1f}",
            f"PSS {cold['peak_pss_mb']:.1f} MB; median of {n}",
        ),
        (
            "warm rebuild (nothing new)",
            f"{warm['wall_s']:.2f}",
            f"{warm['requests']}",
            "",
            "interpreter start included",
        ),
        (
            f"incremental (+{NEW_EPISODES} episodes)",
            f"{incr['wall_s']:.2f}",
            "/".join(map(str, incr["requests"])),
            "",
            f"expected {incr['expected_requests']} = {incr['expected']}",
        ),
        (
            "sequential baseline",
            f"{seq['extrapolated_s']:.1f}",
            f"{cold['requests']:,}",
            "",
            (
                f"EXTRAPOLATED from {seq['measured_requests']} requests in "
                f"{seq['measured_s']:.1f} s ({seq['s_per_request'] * 1000:.1f} ms/request)"
                if seq["extrapolated"]
                else "measured"
            ),
        ),
        (
            "network floor",
            f"{floor['wall_s']:.2f}",
            f"{cold['requests']:,}",
            "",
            f"ceil({cold['requests']}/{c}) x {ms:.0f} ms; cold = {floor['cold_over_floor']:.2f}x",
        ),
    ]
    if "scale" in figures:
        scale = figures["scale"]
        rows.append(
            (
                f"cold build x10 ({scale['episodes']:,} episodes)",
                f"{scale['wall_s']:.2f}",
                f"{scale['requests']:,}",
                f"{scale['peak_rss_mb']:.1f}",
                f"time x{scale['time_ratio']:.1f}, RSS x{scale['rss_ratio']:.2f}, "
                f"floor {scale['floor_s']:.1f} s; 1 run",
            )
        )
    rows.append(
        ("planetrss --help", f"{figures['help']['wall_s']:.3f}", "", "", f"median of {HELP_RUNS}")
    )

    _say("")
    _say(
        f"planetrss bench: {settings.episodes:,} episodes, ~90 KB pages, {ms:.0f} ms latency, "
        f"concurrency {c}, {n} run(s) per scenario"
    )
    header = ("scenario", "wall s", "requests", "peak RSS MB", "notes")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        _say(
            f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  "
            f"{row[3]:>{widths[3]}}  {row[4]}"
        )
    _say(
        f"cold build timings (-v): parse median {cold['parse_median_ms']:.2f} ms/page, "
        f"event-loop lag p99 {cold['loop_lag_p99_ms']:.1f} ms, crawl {cold['crawl_s']:.2f} s, "
        f"probe_sizes {cold['probe_sizes_s']:.2f} s, render {cold['render_s']:.2f} s"
    )
    cpu = cold["cpu_main_s"] + cold["cpu_workers_s"] + cold["cpu_server_s"]
    _say(
        f"cold build CPU: planetrss process {cold['cpu_main_s']:.1f} s + parse workers "
        f"{cold['cpu_workers_s']:.1f} s + demo server {cold['cpu_server_s']:.1f} s = {cpu:.1f} s "
        f"in {cold['wall_s']:.1f} s wall on {info['cores']} cores "
        f"({cpu / (cold['wall_s'] * (info['cores'] or 1)):.0%} of the machine)"
    )
    _say("")
    for target in targets:
        _say(f"{'PASS' if target.passed else 'FAIL'}  {target.name}: {target.detail}")
    failed = sum(1 for t in targets if not t.passed)
    _say("")
    _say(
        f"summary: {len(targets) - failed} of {len(targets)} targets met"
        + (f", {failed} FAILED (see above)" if failed else "")
        + f"; load average at start {' '.join(map(str, info['load_average']))}"
        f" on {info['cores']} cores"
    )


def draw_plot(settings: Settings, runs: dict[int, BuildRun], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = list(runs)
    walls = [runs[c].wall for c in xs]
    floors = [floor_seconds(runs[c].requests, c, settings.latency) for c in xs]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    ax.plot(xs, walls, "o-", label="cold build (wall, fresh process)")
    ax.plot(xs, floors, "--", color="grey", label="network floor: ceil(requests/c) x latency")
    for x, wall in zip(xs, walls, strict=True):
        ax.annotate(f"{wall:.1f} s", (x, wall), textcoords="offset points", xytext=(6, 6))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xlabel("concurrency (requests in flight)")
    ax.set_ylabel("seconds")
    ax.set_title(
        f"planetrss cold build vs concurrency\n{settings.plot_episodes} episodes "
        f"(a smaller archive than the {settings.episodes:,} of the main runs), "
        f"{settings.latency * 1000:.0f} ms latency, {os.cpu_count()} cores",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    started = time.perf_counter()
    info = machine()
    _say(
        f"machine: {info['cores']} cores, {info['cpu']}, Python {info['python']}, "
        f"load average {' '.join(map(str, info['load_average']))}"
    )
    _say(
        "method: every build is `planetrss build -v` in a fresh process; wall from spawn to "
        "exit; peak memory = RSS (and PSS) summed over the build's process tree, polled "
        "from /proc every 20 ms; requests from the build's summary line, cross-checked "
        "with the demo server's own count"
    )
    with tempfile.TemporaryDirectory(prefix="planetrss-bench-") as name:
        tmp = Path(name)
        runs = run_main(settings, tmp)
        scale = run_scale(settings, tmp) if settings.scale else None
        concurrency = run_concurrency(settings, tmp) if settings.plot else {}
    help_times = time_help()
    figures, targets = summarize(settings, runs, scale, help_times)
    print_report(settings, info, figures, targets)
    if concurrency:
        draw_plot(settings, concurrency, PLOT)
        _say(f"plot: {PLOT.relative_to(ROOT)}")
    results = {
        "machine": info,
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
        "figures": figures,
        "targets": [asdict(t) for t in targets],
        "runs": {
            "cold": [asdict(r) for r in runs.cold],
            "warm": [asdict(r) for r in runs.warm],
            "incremental": [asdict(r) for r in runs.incremental],
            "sequential": [asdict(r) for r in runs.sequential],
            "scale": asdict(scale) if scale else None,
            "concurrency": {str(c): asdict(r) for c, r in concurrency.items()},
        },
        "seconds": time.perf_counter() - started,
    }
    settings.results.parent.mkdir(parents=True, exist_ok=True)
    settings.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _say(f"results: {settings.results}; bench took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
