"""`make bench`: planetrss against Scrapy on an archive in npr.org's real markup, on loopback.

    .venv/bin/python -m tests.bench            # the full report (about 8 minutes on 2 cores)
    .venv/bin/python -m tests.bench --quick    # a smoke run (about a minute), no verdicts

The archive is the demo site re-dressed in real saved npr.org pages (tests/bench/realistic.py;
read from ../shared/fixtures/npr/ at run time; without them it falls back to the synthetic
demo pages and says so), served from a process of its own with an injected latency. At each
latency (100 ms, then 20 ms: a user close to the site, where CPU is the limit) it runs, in
the same run and on the same site: planetrss cold builds and warm rebuilds (`planetrss build
-v` in a fresh process, measured from the outside, see tests/bench/harness.py), the same job
done by Scrapy (tests/bench/scrapy_npr.py), the sequential baseline (the original scraper,
extrapolated from a subset) and the network floor; then an incremental build after 5 new
episodes, a cold build of a 10x archive, the concurrency plot and `planetrss --help`.
A full run prints PASS or FAIL per target (medians of 3); a `--quick` run prints the figures
only, since its sizes are not the targets'. The exit status is 0 either way (this is a
report, not a test). Results go to a JSON file.
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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from planetrss.demo.site import PAGE_SIZE, DemoSite
from tests.bench import serve
from tests.bench.harness import (
    ROOT,
    BuildRun,
    ScrapyRun,
    SequentialRun,
    ServerProcess,
    planetrss_command,
    run_build,
    run_scrapy,
    run_sequential,
    time_command,
    write_feed,
)
from tests.bench.realistic import FIXTURES, RealMarkupSite, TemplateError

RESULTS = ROOT / "tests" / "bench" / "results" / "bench.json"
QUICK_RESULTS = RESULTS.with_name("bench-quick.json")
PLOT = ROOT / "tests" / "bench" / "concurrency.png"
PLOT_CONCURRENCY = (8, 16, 32)  # what a user might pick; the README says what to expect
LATENCIES = (0.1, 0.02)
NEW_EPISODES = 5
SEQUENTIAL_SUBSET = 120  # episode pages the sequential baseline fetches
HELP_RUNS = 5


@dataclass(frozen=True)
class Settings:
    episodes: int
    latencies: tuple[float, ...]
    concurrency: int
    runs: int
    scale: bool
    plot: bool
    plot_episodes: int
    quick: bool
    scrapy: bool
    serve: bool
    results: Path


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="Benchmark planetrss against Scrapy on an NPR-style archive (`make bench`).",
    )
    parser.add_argument("--episodes", type=int, help="episodes on the site [1700; quick 200]")
    parser.add_argument(
        "--latency",
        type=float,
        action="append",
        help="seconds per request; repeat for several [0.1 and 0.02]",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight [16]")
    parser.add_argument("--runs", type=int, help="runs per scenario, medians reported [3; quick 1]")
    parser.add_argument(
        "--scale",
        action=argparse.BooleanOptionalAction,
        help="also a cold build of 10x the episodes [on; quick off]",
    )
    parser.add_argument(
        "--plot",
        action=argparse.BooleanOptionalAction,
        help=f"draw cold-build time vs concurrency to {PLOT.relative_to(ROOT)} [on; quick off]",
    )
    parser.add_argument(
        "--scrapy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the Scrapy spider too (needs the bench extra: pip install -e '.[bench]') [on]",
    )
    parser.add_argument(
        "--serve",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also `planetrss serve` answering clients during a cold build (tests/bench/serve.py) [on]",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes for a smoke run (no verdicts)"
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
        latencies=tuple(args.latency) if args.latency else LATENCIES,
        concurrency=args.concurrency,
        runs=args.runs or (1 if quick else 3),
        scale=args.scale if args.scale is not None else not quick,
        plot=args.plot if args.plot is not None else not quick,
        plot_episodes=min(episodes, 100) if quick else episodes,
        quick=quick,
        scrapy=args.scrapy,
        serve=args.serve,
        results=args.results or (QUICK_RESULTS if quick else RESULTS),
    )


def find_markup() -> tuple[Path | None, str]:
    """The saved npr.org pages to build the archive from, or None (and why) for demo pages."""
    try:
        RealMarkupSite.from_fixtures(FIXTURES, 1)
    except TemplateError as exc:
        return None, (
            f"SYNTHETIC demo pages (~90 KB, lighter than npr.org's): the real saved pages "
            f"are not usable ({exc})"
        )
    return FIXTURES, (
        f"npr.org's real markup: episode pages and listing items from the saved pages in "
        f"{os.path.relpath(FIXTURES, ROOT)}/, episode-specific parts substituted"
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
        f"  {label:<24} {run.wall:7.2f} s  {run.requests:6d} requests "
        f"(server {run.server_requests})  RSS {run.peak_rss_mb:6.1f} MB  "
        f"parse {timings.get('parse_median_ms', 0):.2f} ms  "
        f"lag p99 {timings.get('loop_lag_p99_ms', 0):.1f} ms  {run.processes} processes  "
        f"CPU build {run.cpu_main_s:.2f} "
        f"+ workers {run.cpu_workers_s:.2f} + server {run.cpu_server_s:.2f} s"
    )


def _scrapy_line(label: str, run: ScrapyRun) -> str:
    return (
        f"  {label:<24} {run.wall:7.2f} s  {run.requests:6d} requests "
        f"(server {run.server_requests})  RSS {run.peak_rss_mb:6.1f} MB  {run.items} items  "
        f"CPU scrapy {run.cpu_s:.2f} + server {run.cpu_server_s:.2f} s"
    )


@dataclass(frozen=True)
class Job:
    """What the crawl has to fetch on a site: the same for every tool."""

    listing_pages: int  # listing pages holding items, plus one request that finds the end
    episode_pages: int  # pages a correct crawl must fetch (not exclusives, not known-unplayable)

    @property
    def requests(self) -> int:
        return self.listing_pages + self.episode_pages


def _needs_page(site: DemoSite, index: int) -> bool:
    episode = site.episode(index)
    # Exclusives have no page; an unavailable item whose listing carries the audio
    # module is skipped from the listing alone. Every other item needs its page.
    return not (episode.exclusive or (episode.listing_audio and not episode.available))


def job(episodes: int) -> Job:
    site = DemoSite(episodes)
    pages = sum(_needs_page(site, i) for i in range(1, episodes + 1))
    return Job(site.listing_pages() + 1, pages)


@dataclass(frozen=True)
class Expected:
    """The requests a correct incremental build makes after `new` episodes appear."""

    listing_pages: int  # listing pages holding the new items
    episode_pages: int  # new items whose page must be fetched

    @property
    def requests(self) -> int:
        return self.listing_pages + self.episode_pages

    def __str__(self) -> str:
        return f"{self.listing_pages} listing + {self.episode_pages} episode pages"


def expected_incremental(episodes: int, new: int) -> Expected:
    site = DemoSite(episodes)
    site.add_episodes(new)
    pages = sum(_needs_page(site, i) for i in range(episodes + 1, episodes + new + 1))
    return Expected(math.ceil(new / PAGE_SIZE), pages)


@dataclass
class LatencyRuns:
    """Everything measured at one latency."""

    latency: float
    cold: list[BuildRun] = field(default_factory=list)
    warm: list[BuildRun] = field(default_factory=list)
    scrapy: list[ScrapyRun] = field(default_factory=list)
    sequential: list[SequentialRun] = field(default_factory=list)
    incremental: list[BuildRun] = field(default_factory=list)


def run_latency(
    settings: Settings, markup: Path | None, latency: float, tmp: Path, incremental: bool
) -> LatencyRuns:
    """Cold and warm planetrss builds, Scrapy and the sequential baseline (settings.runs
    each, interleaved so that drift in the machine's load hits both tools alike); then,
    if asked, incremental builds after 5 new episodes."""
    runs = LatencyRuns(latency)
    c = settings.concurrency
    ms = f"{latency * 1000:.0f}ms"
    with ServerProcess(settings.episodes, latency, markup) as server:
        _say(f"site {server.origin}: {settings.episodes} episodes, {ms} latency")
        for i in range(settings.runs):
            folder = tmp / f"{ms}-run{i}"
            feed = write_feed(folder, server.origin)

            tools = ["planetrss", "scrapy"] if settings.scrapy else ["planetrss"]
            for tool in tools if i % 2 == 0 else reversed(tools):
                if tool == "scrapy":
                    runs.scrapy.append(run_scrapy(folder / "scrapy", c, server))
                    _say(_scrapy_line(f"Scrapy #{i + 1}", runs.scrapy[-1]))
                    continue
                runs.cold.append(run_build(feed, folder / "cache", c, server))
                _say(_line(f"planetrss cold #{i + 1}", runs.cold[-1]))
                runs.warm.append(run_build(feed, folder / "cache", c, server))
                _say(_line(f"planetrss warm #{i + 1}", runs.warm[-1]))
        limit = min(SEQUENTIAL_SUBSET, settings.episodes)
        for i in range(settings.runs):
            runs.sequential.append(run_sequential(server.origin, limit))
            seq = runs.sequential[-1]
            _say(
                f"  {f'sequential #{i + 1}':<24} {seq.seconds:7.2f} s  {seq.requests:6d} requests "
                f"({seq.listing_pages} listing + {seq.episode_pages} episode pages)"
            )
        if incremental:
            # The same server publishes 5 more episodes: existing ones stay exactly as they were.
            server.add_episodes(NEW_EPISODES)
            for i in range(settings.runs):
                folder = tmp / f"{ms}-run{i}"
                runs.incremental.append(
                    run_build(folder / "demo.toml", folder / "cache", c, server)
                )
                _say(_line(f"incremental #{i + 1}", runs.incremental[-1]))
    return runs


def run_scale(settings: Settings, markup: Path | None, tmp: Path) -> BuildRun:
    episodes = settings.episodes * 10
    latency = settings.latencies[0]
    with ServerProcess(episodes, latency, markup) as server:
        _say(f"site {server.origin}: {episodes} episodes, {latency * 1000:.0f} ms (scale, 1 run)")
        feed = write_feed(tmp / "scale", server.origin)
        run = run_build(feed, tmp / "scale" / "cache", settings.concurrency, server)
    _say(_line("cold x10", run))
    return run


def run_concurrency(
    settings: Settings, markup: Path | None, tmp: Path
) -> dict[float, dict[int, BuildRun]]:
    """One cold build per concurrency in PLOT_CONCURRENCY, at each latency."""
    found: dict[float, dict[int, BuildRun]] = {}
    for latency in settings.latencies:
        found[latency] = {}
        with ServerProcess(settings.plot_episodes, latency, markup) as server:
            _say(
                f"site {server.origin}: {settings.plot_episodes} episodes, "
                f"{latency * 1000:.0f} ms (concurrency sweep, 1 run each)"
            )
            for c in PLOT_CONCURRENCY:
                folder = tmp / f"c{c}-{latency * 1000:.0f}ms"
                feed = write_feed(folder, server.origin)
                found[latency][c] = run_build(feed, folder / "cache", c, server)
                _say(_line(f"cold, concurrency {c}", found[latency][c]))
    return found


def time_help() -> list[float]:
    command = [*planetrss_command(), "--help"]
    time_command(command)  # once unmeasured: the first run may pay for a cold disk cache
    return [time_command(command) for _ in range(HELP_RUNS)]


# --- the report -----------------------------------------------------------------------------------


def _median(runs: Sequence[Any], value: Callable[[Any], float]) -> float:
    return statistics.median(value(run) for run in runs) if runs else math.nan


def floor_seconds(requests: int, concurrency: int, latency: float) -> float:
    """The network floor: requests in waves of `concurrency`, each wave one latency long."""
    return math.ceil(requests / concurrency) * latency


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool
    detail: str


def latency_figures(settings: Settings, runs: LatencyRuns, work: Job) -> dict[str, Any]:
    c, latency = settings.concurrency, runs.latency
    cold, scrapy = runs.cold, runs.scrapy
    wall = _median(cold, lambda r: r.wall)
    floor = floor_seconds(work.requests, c, latency)
    per_request = _median(runs.sequential, lambda s: s.seconds / s.requests)
    sequential = per_request * work.requests
    figures: dict[str, Any] = {
        "latency_ms": latency * 1000,
        "floor": {"wall_s": floor, "requests": work.requests},
        "planetrss": {
            "wall_s": wall,
            "requests": round(_median(cold, lambda r: r.requests)),
            "episodes": round(_median(cold, lambda r: r.new)),
            "peak_rss_mb": _median(cold, lambda r: r.peak_rss_mb),
            "peak_pss_mb": _median(cold, lambda r: r.peak_pss_mb),
            "parse_median_ms": _median(cold, lambda r: r.timings.get("parse_median_ms", math.nan)),
            "loop_lag_p99_ms": _median(cold, lambda r: r.timings.get("loop_lag_p99_ms", math.nan)),
            "cpu_main_s": _median(cold, lambda r: r.cpu_main_s),
            "cpu_workers_s": _median(cold, lambda r: r.cpu_workers_s),
            "cpu_server_s": _median(cold, lambda r: r.cpu_server_s),
            "cpu_ms_per_episode": _median(
                cold, lambda r: (r.cpu_main_s + r.cpu_workers_s) / max(r.new, 1) * 1000
            ),
            "over_floor": wall / floor,
            "walls": [r.wall for r in cold],
        },
        "warm": {
            "wall_s": _median(runs.warm, lambda r: r.wall),
            "requests": max((r.requests for r in runs.warm), default=0),
        },
        "sequential": {
            "extrapolated": bool(runs.sequential) and runs.sequential[0].requests < work.requests,
            "measured_requests": runs.sequential[0].requests if runs.sequential else 0,
            "measured_s": _median(runs.sequential, lambda s: s.seconds),
            "s_per_request": per_request,
            "wall_s": sequential,
            "over_planetrss": sequential / wall,
        },
    }
    if scrapy:
        scrapy_wall = _median(scrapy, lambda r: r.wall)
        figures["scrapy"] = {
            "wall_s": scrapy_wall,
            "requests": round(_median(scrapy, lambda r: r.requests)),
            "items": round(_median(scrapy, lambda r: r.items)),
            "peak_rss_mb": _median(scrapy, lambda r: r.peak_rss_mb),
            "cpu_s": _median(scrapy, lambda r: r.cpu_s),
            "cpu_server_s": _median(scrapy, lambda r: r.cpu_server_s),
            "cpu_ms_per_episode": _median(scrapy, lambda r: r.cpu_s / max(r.items, 1) * 1000),
            "over_floor": scrapy_wall / floor,
            "walls": [r.wall for r in scrapy],
        }
        # Ratios from the same run (run i of planetrss against run i of Scrapy), then the median.
        figures["planetrss"]["over_scrapy"] = statistics.median(
            p.wall / s.wall for p, s in zip(cold, scrapy, strict=False)
        )
    if runs.incremental:
        expected = expected_incremental(settings.episodes, NEW_EPISODES)
        figures["incremental"] = {
            "wall_s": _median(runs.incremental, lambda r: r.wall),
            "requests": [r.requests for r in runs.incremental],
            "expected_requests": expected.requests,
            "expected": str(expected),
        }
    return figures


def summarize(
    settings: Settings,
    by_latency: list[LatencyRuns],
    scale: BuildRun | None,
    help_times: list[float],
) -> tuple[dict[str, Any], list[Target]]:
    work = job(settings.episodes)
    figures: dict[str, Any] = {
        "latencies": [latency_figures(settings, runs, work) for runs in by_latency],
        "help": {"wall_s": statistics.median(help_times), "runs": help_times},
    }
    every = [r for runs in by_latency for r in (*runs.cold, *runs.warm, *runs.incremental)]
    mismatched = [r for r in every + ([scale] if scale else []) if r.requests != r.server_requests]
    figures["request_counts_agree"] = not mismatched
    targets: list[Target] = []
    for fig in figures["latencies"]:
        ms, ours = f"{fig['latency_ms']:.0f} ms", fig["planetrss"]
        floor = fig["floor"]["wall_s"]
        if fig["latency_ms"] >= 50:
            targets.append(
                Target(
                    f"{ms}: cold build <= 1.10x the network floor",
                    ours["wall_s"] <= 1.10 * floor,
                    f"{ours['wall_s']:.2f} s = {ours['over_floor']:.2f}x floor {floor:.2f} s",
                )
            )
        if "scrapy" in fig:
            theirs = fig["scrapy"]
            targets.append(
                Target(
                    f"{ms}: cold build <= 0.85x Scrapy's wall time",
                    ours["over_scrapy"] <= 0.85,
                    f"{ours['over_scrapy']:.2f}x ({ours['wall_s']:.2f} s vs {theirs['wall_s']:.2f} s)",
                )
            )
            if fig["latency_ms"] < 50:
                targets.append(
                    Target(
                        f"{ms}: CPU per episode (all processes) <= Scrapy's",
                        ours["cpu_ms_per_episode"] <= theirs["cpu_ms_per_episode"],
                        f"{ours['cpu_ms_per_episode']:.2f} ms vs {theirs['cpu_ms_per_episode']:.2f} ms",
                    )
                )
        targets.append(
            Target(
                f"{ms}: event-loop lag p99 < 10 ms",
                ours["loop_lag_p99_ms"] < 10,
                f"{ours['loop_lag_p99_ms']:.1f} ms",
            )
        )
    first = figures["latencies"][0]
    ours = first["planetrss"]
    targets += [
        Target(
            "parse <= 2.0 ms median per episode page",
            ours["parse_median_ms"] <= 2.0,
            f"{ours['parse_median_ms']:.2f} ms",
        ),
        Target(
            f"peak RSS <= 120 MB at {settings.episodes} episodes",
            ours["peak_rss_mb"] <= 120,
            f"{ours['peak_rss_mb']:.1f} MB (process tree RSS sum; PSS {ours['peak_pss_mb']:.1f} MB)",
        ),
        Target(
            "sequential baseline >= 15x slower",
            first["sequential"]["over_planetrss"] >= 15,
            f"{first['sequential']['over_planetrss']:.1f}x "
            f"({first['sequential']['wall_s']:.1f} s extrapolated / {ours['wall_s']:.2f} s)",
        ),
        Target(
            "warm rebuild: 1 request, < 1.0 s",
            first["warm"]["requests"] <= 1 and first["warm"]["wall_s"] < 1.0,
            f"{first['warm']['requests']} request(s), {first['warm']['wall_s']:.2f} s",
        ),
    ]
    if "incremental" in first:
        incr = first["incremental"]
        targets.append(
            Target(
                f"incremental (+{NEW_EPISODES}) requests == listing pages with new items + new pages",
                all(n == incr["expected_requests"] for n in incr["requests"]),
                f"{'/'.join(map(str, incr['requests']))} vs {incr['expected_requests']} = "
                f"{incr['expected']}",
            )
        )
    if scale is not None:
        figures["scale"] = {
            "episodes": settings.episodes * 10,
            "wall_s": scale.wall,
            "requests": scale.requests,
            "peak_rss_mb": scale.peak_rss_mb,
            "peak_pss_mb": scale.peak_pss_mb,
            "time_ratio": scale.wall / ours["wall_s"],
            "rss_ratio": scale.peak_rss_mb / ours["peak_rss_mb"],
            "floor_s": floor_seconds(scale.requests, settings.concurrency, settings.latencies[0]),
        }
        targets += [
            Target(
                f"{settings.episodes * 10} episodes: time <= 10.5x that of {settings.episodes}",
                figures["scale"]["time_ratio"] <= 10.5,
                f"{scale.wall:.1f} s = {figures['scale']['time_ratio']:.2f}x",
            ),
            Target(
                f"{settings.episodes * 10} episodes: peak RSS <= 1.5x",
                figures["scale"]["rss_ratio"] <= 1.5,
                f"{scale.peak_rss_mb:.1f} MB = {figures['scale']['rss_ratio']:.2f}x",
            ),
        ]
    targets += [
        Target(
            "planetrss --help < 0.3 s",
            figures["help"]["wall_s"] < 0.3,
            f"{figures['help']['wall_s']:.3f} s",
        ),
        Target(
            "request counts: build == server",
            not mismatched,
            "all builds agree"
            if not mismatched
            else "; ".join(f"{r.requests} vs {r.server_requests}" for r in mismatched),
        ),
    ]
    return figures, targets


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1], strict=True)]
        _say("  ".join([*cells, row[-1]]).rstrip())


def print_report(
    settings: Settings,
    info: dict[str, Any],
    markup: str,
    figures: dict[str, Any],
    targets: list[Target],
) -> None:
    c, n, cores = settings.concurrency, settings.runs, info["cores"] or 1
    _say("")
    _say(f"pages: {markup}")
    for fig in figures["latencies"]:
        ms = fig["latency_ms"]
        ours, floor, seq = fig["planetrss"], fig["floor"], fig["sequential"]
        theirs = fig.get("scrapy")
        _say("")
        _say(
            f"{ms:.0f} ms latency: {settings.episodes:,} episodes, concurrency {c}, "
            f"median of {n} run(s); ratios from the same run"
        )
        rows: list[tuple[str, ...]] = [
            ("", "wall s", "x floor", "x Scrapy", "requests", "CPU ms/episode", "peak RSS MB", "")
        ]
        rows.append(
            (
                "planetrss cold build",
                f"{ours['wall_s']:.2f}",
                f"{ours['over_floor']:.2f}",
                f"{ours['over_scrapy']:.2f}" if theirs else "-",
                f"{ours['requests']:,}",
                f"{ours['cpu_ms_per_episode']:.2f}",
                f"{ours['peak_rss_mb']:.1f}",
                f"{ours['episodes']:,} episodes",
            )
        )
        if theirs:
            rows.append(
                (
                    "Scrapy, same job",
                    f"{theirs['wall_s']:.2f}",
                    f"{theirs['over_floor']:.2f}",
                    "1.00",
                    f"{theirs['requests']:,}",
                    f"{theirs['cpu_ms_per_episode']:.2f}",
                    f"{theirs['peak_rss_mb']:.1f}",
                    f"{theirs['items']:,} items",
                )
            )
        rows.append(
            (
                "sequential baseline",
                f"{seq['wall_s']:.1f}",
                f"{seq['wall_s'] / floor['wall_s']:.1f}",
                f"{seq['wall_s'] / theirs['wall_s']:.1f}" if theirs else "-",
                f"{floor['requests']:,}",
                "",
                "",
                (
                    f"EXTRAPOLATED from {seq['measured_requests']} requests in "
                    f"{seq['measured_s']:.1f} s"
                    if seq["extrapolated"]
                    else "measured"
                ),
            )
        )
        rows.append(
            (
                "network floor",
                f"{floor['wall_s']:.2f}",
                "1.00",
                f"{floor['wall_s'] / theirs['wall_s']:.2f}" if theirs else "-",
                f"{floor['requests']:,}",
                "",
                "",
                f"ceil({floor['requests']}/{c}) x {ms:.0f} ms",
            )
        )
        rows.append(
            (
                "planetrss warm rebuild",
                f"{fig['warm']['wall_s']:.2f}",
                "",
                "",
                f"{fig['warm']['requests']}",
                "",
                "",
                "interpreter start included",
            )
        )
        if "incremental" in fig:
            incr = fig["incremental"]
            rows.append(
                (
                    f"incremental (+{NEW_EPISODES})",
                    f"{incr['wall_s']:.2f}",
                    "",
                    "",
                    "/".join(map(str, incr["requests"])),
                    "",
                    "",
                    f"expected {incr['expected_requests']} = {incr['expected']}",
                )
            )
        _table(rows)
        cpu = ours["cpu_main_s"] + ours["cpu_workers_s"] + ours["cpu_server_s"]
        _say(
            f"  CPU, planetrss: build process {ours['cpu_main_s']:.2f} s + parse workers "
            f"{ours['cpu_workers_s']:.2f} s + demo server {ours['cpu_server_s']:.2f} s = "
            f"{cpu:.2f} s in {ours['wall_s']:.2f} s wall ({cpu / (ours['wall_s'] * cores):.0%} "
            f"of {cores} cores); parse {ours['parse_median_ms']:.2f} ms/page median, "
            f"event-loop lag p99 {ours['loop_lag_p99_ms']:.1f} ms"
        )
        if theirs:
            cpu = theirs["cpu_s"] + theirs["cpu_server_s"]
            _say(
                f"  CPU, Scrapy:    scrapy process {theirs['cpu_s']:.2f} s + demo server "
                f"{theirs['cpu_server_s']:.2f} s = {cpu:.2f} s in {theirs['wall_s']:.2f} s wall "
                f"({cpu / (theirs['wall_s'] * cores):.0%} of {cores} cores)"
            )
    if "scale" in figures:
        scale = figures["scale"]
        _say("")
        _say(
            f"cold build of {scale['episodes']:,} episodes: {scale['wall_s']:.1f} s "
            f"(x{scale['time_ratio']:.2f}; floor {scale['floor_s']:.1f} s), {scale['requests']:,} "
            f"requests, peak RSS {scale['peak_rss_mb']:.1f} MB (x{scale['rss_ratio']:.2f}); 1 run"
        )
    _say(f"planetrss --help: {figures['help']['wall_s']:.3f} s (median of {HELP_RUNS})")
    _say("")
    if settings.quick:
        _say(
            f"quick run ({settings.episodes} episodes, {n} run(s)): the targets are for the "
            "full-size run (1,700 episodes, medians of 3) and are not judged here"
        )
        return
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


def print_concurrency(settings: Settings, sweep: dict[float, dict[int, BuildRun]]) -> None:
    work = job(settings.plot_episodes)
    _say("")
    _say(f"cold build by concurrency ({settings.plot_episodes:,} episodes, 1 run each):")
    for latency, runs in sweep.items():
        cells = [
            f"{c}: {run.wall:.1f} s "
            f"({run.wall / floor_seconds(work.requests, c, latency):.2f}x floor, "
            f"{run.peak_rss_mb:.0f} MB)"
            for c, run in runs.items()
        ]
        _say(f"  {latency * 1000:.0f} ms  " + "  ".join(cells))


def draw_plot(settings: Settings, sweep: dict[float, dict[int, BuildRun]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    work = job(settings.plot_episodes)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for latency, runs in sweep.items():
        xs = list(runs)
        walls = [runs[c].wall for c in xs]
        floors = [floor_seconds(work.requests, c, latency) for c in xs]
        ms = f"{latency * 1000:.0f} ms"
        line = ax.plot(xs, walls, "o-", label=f"cold build, {ms} latency")[0]
        ax.plot(xs, floors, "--", color=line.get_color(), alpha=0.5, label=f"network floor, {ms}")
        for x, wall in zip(xs, walls, strict=True):
            ax.annotate(f"{wall:.1f} s", (x, wall), textcoords="offset points", xytext=(6, 6))
        ax.set_xticks(xs, [str(x) for x in xs])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("concurrency (requests in flight)")
    ax.set_ylabel("seconds")
    ax.set_title(
        f"planetrss cold build vs concurrency: {settings.plot_episodes:,} episodes in "
        f"npr.org's markup, {os.cpu_count()} cores",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    started = time.perf_counter()
    info = machine()
    markup, described = find_markup()
    _say(
        f"machine: {info['cores']} cores, {info['cpu']}, Python {info['python']}, "
        f"load average {' '.join(map(str, info['load_average']))}"
    )
    _say(
        "method: every planetrss build is `planetrss build -v` in a fresh process, Scrapy a "
        "fresh `python -m tests.bench.scrapy_npr`; wall from spawn to exit; CPU and peak "
        "memory (RSS, PSS) summed over each one's process tree, polled from /proc every 20 ms; "
        "requests cross-checked with the server's own count"
    )
    if settings.scrapy:
        try:
            import scrapy  # noqa: F401
        except ImportError:
            raise SystemExit(
                "bench: Scrapy is not installed; `make bench` installs it (the bench extra), "
                "or pass --no-scrapy"
            ) from None
    with tempfile.TemporaryDirectory(prefix="planetrss-bench-") as name:
        tmp = Path(name)
        by_latency = [
            run_latency(settings, markup, latency, tmp, incremental=i == 0)
            for i, latency in enumerate(settings.latencies)
        ]
        scale = run_scale(settings, markup, tmp) if settings.scale else None
        concurrency = run_concurrency(settings, markup, tmp) if settings.plot else {}
        served = (
            serve.run_serve(settings.episodes, max(settings.latencies), markup, tmp)
            if settings.serve
            else None
        )
    help_times = time_help()
    figures, targets = summarize(settings, by_latency, scale, help_times)
    print_report(settings, info, described, figures, targets)
    for line in serve.report(served) if served else []:
        _say(line)
    if concurrency:
        print_concurrency(settings, concurrency)
        draw_plot(settings, concurrency, PLOT)
        _say(f"plot: {PLOT.relative_to(ROOT)}")
    results = {
        "machine": info,
        "pages": described,
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(settings).items()},
        "figures": figures,
        "targets": [] if settings.quick else [asdict(t) for t in targets],
        "runs": {
            "latencies": [asdict(runs) for runs in by_latency],
            "scale": asdict(scale) if scale else None,
            "concurrency": {
                f"{latency * 1000:.0f}ms": {str(c): asdict(r) for c, r in runs.items()}
                for latency, runs in concurrency.items()
            },
            "serve": asdict(served) if served else None,
        },
        "seconds": time.perf_counter() - started,
    }
    settings.results.parent.mkdir(parents=True, exist_ok=True)
    settings.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    _say(f"results: {settings.results}; bench took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
