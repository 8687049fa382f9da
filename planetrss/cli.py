"""The command line: a thin skin on the library. Parse options, call, print the report.

Heavy modules (httpx, beautifulsoup4, feedgen) are imported inside the commands that
need them, so `planetrss --help` starts fast.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planetrss import __version__
from planetrss.config import FeedConfig, find_feed, list_feeds, load_feed
from planetrss.errors import ConfigError, NothingUsableError, PlanetrssError

if TYPE_CHECKING:
    from planetrss.build import BuildOptions
    from planetrss.crawl import Progress
    from planetrss.models import BuildReport

app = typer.Typer(
    help="Turn a podcast's web archive into a full podcast feed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help text: wrapped by paragraph, no markup surprises
)

FeedsDir = Annotated[
    Path,
    typer.Option(
        "--feeds-dir",
        envvar="PLANETRSS_FEEDS_DIR",
        help="Folder of feed definitions (*.toml).",
        show_default=True,
    ),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        envvar="PLANETRSS_CACHE_DIR",
        help="Cache folder (default: ~/.cache/planetrss).",
        show_default=False,
    ),
]


def _fail(error: PlanetrssError) -> typer.Exit:
    typer.echo(f"planetrss: error: {error}", err=True)
    return typer.Exit(error.exit_code)


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def summary_line(report: BuildReport) -> str:
    """One line per feed: what cron mails and what a person reads."""
    state = "written" if report.written else "unchanged"
    return (
        f"{report.feed}: {report.episodes_in_feed} episodes in feed "
        f"({report.new} new, {report.cached} cached, {len(report.skipped)} skipped, "
        f"{len(report.failed)} failed); {report.requests} requests; "
        f"{report.output} {state} ({_human_size(report.bytes_written)}) "
        f"in {report.seconds:.1f} s"
    )


class _ProgressPrinter:
    """A progress bar on a terminal; a plain line every few seconds otherwise (cron logs)."""

    def __init__(self, feed: str, quiet: bool) -> None:
        self.feed = feed
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = time.monotonic()  # the first line after a few seconds, not at once
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _ProgressPrinter:
        if self.tty and not self.quiet:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._bar = Progress(
                TextColumn(f"{self.feed}: " + "{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("crawling", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, progress: Progress) -> None:
        if self.quiet:
            return
        text = f"{progress.listing_pages} listing pages, episode pages"
        if self._bar is not None:
            self._bar.update(
                self._task,
                description=text,
                completed=progress.episodes_done,
                total=max(progress.episodes_queued, 1),
            )
            return
        now = time.monotonic()
        if now - self.last >= 5:
            self.last = now
            typer.echo(
                f"{self.feed}: {text} {progress.episodes_done}/{progress.episodes_queued}",
                err=True,
            )


def _print_report(report: BuildReport, *, quiet: bool, verbose: bool) -> None:
    for failure in report.failed if verbose else report.failed[:5]:
        typer.echo(f"{report.feed}: failed: {failure.url}: {failure.reason}", err=True)
    if len(report.failed) > 5 and not verbose:
        typer.echo(
            f"{report.feed}: ... {len(report.failed) - 5} more failures (-v lists all)", err=True
        )
    if verbose:
        for skip in report.skipped:
            typer.echo(f"{report.feed}: skipped: {skip.url}: {skip.reason}", err=True)
        for name, value in report.timings.items():
            typer.echo(f"{report.feed}: timing: {name} = {value:.3f}", err=True)
    if not quiet or report.failed:
        typer.echo(summary_line(report))


def run_build(config: FeedConfig, options: BuildOptions, *, quiet: bool, verbose: bool) -> int:
    """Build one feed and print its report; the exit status it deserves (0, 1)."""
    from planetrss.build import build

    with _ProgressPrinter(config.name, quiet) as printer:
        report = build(config, options, on_progress=printer)
    _print_report(report, quiet=quiet, verbose=verbose)
    return 1 if report.failed else 0


@app.command("build")
def build_command(
    feeds: Annotated[
        list[str] | None,
        typer.Argument(help="Feed names in the feeds folder, or paths to .toml files."),
    ] = None,
    all_feeds: Annotated[
        bool, typer.Option("--all", help="Build every feed in the feeds folder.")
    ] = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="Walk the whole listing, not just down to known episodes."),
    ] = False,
    reparse: Annotated[
        bool,
        typer.Option(
            "--reparse", help="Re-extract every cached page offline first (after a parser fix)."
        ),
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the feed here (one feed only).")
    ] = None,
    cache_dir: CacheDir = None,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", "-c", min=1, max=256, help="Requests in flight per host."),
    ] = 16,
    probe_sizes: Annotated[
        bool,
        typer.Option("--probe-sizes", help="HEAD audio files whose size the site does not give."),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Write the feed even if it drops episodes the old one had."),
    ] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Exit at once if a build of the feed is running.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing on success (for cron).")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every failure and skip, and timings.")
    ] = False,
    feeds_dir: FeedsDir = Path("feeds"),
) -> None:
    """Crawl a show's archive and write its full feed.

    Only what the cache does not hold is fetched; the feed is replaced atomically, and
    only when it changed. Exit status: 0 built; 1 built, but some pages failed (retried
    next run); 2 bad definition or option; 3 nothing usable (previous feed kept).

    Example: planetrss build planetmoney
    """
    from planetrss.build import BuildOptions
    from planetrss.http import HttpSettings

    try:
        paths = (
            list_feeds(feeds_dir) if all_feeds else [find_feed(f, feeds_dir) for f in feeds or []]
        )
        if not paths:
            raise typer.BadParameter("name at least one feed, or --all")
        if output is not None and len(paths) > 1:
            raise typer.BadParameter("--output needs exactly one feed")
        configs = [load_feed(p) for p in paths]  # all validated before any network use
    except PlanetrssError as error:
        raise _fail(error) from None
    options = BuildOptions(
        full=full,
        reparse=reparse,
        cache_dir=cache_dir,
        http=HttpSettings(concurrency=concurrency),
        wait=not no_wait,
        force=force,
        probe_sizes=probe_sizes,
    )
    status = 0
    for config in configs:
        if output is not None:
            config = config.with_output(output)
        try:
            status = max(status, run_build(config, options, quiet=quiet, verbose=verbose))
        except PlanetrssError as error:
            typer.echo(f"planetrss: error: {error}", err=True)
            status = max(status, error.exit_code)
    raise typer.Exit(status)


@app.command("feeds")
def feeds_command(cache_dir: CacheDir = None, feeds_dir: FeedsDir = Path("feeds")) -> None:
    """List the feed definitions with what the cache holds for each.

    Example: planetrss feeds
    """
    from planetrss.store import Store, default_cache_dir

    paths = list_feeds(feeds_dir)
    if not paths:
        typer.echo(f"no feed definitions in {feeds_dir}")
        return
    for path in paths:
        try:
            config = load_feed(path)
        except PlanetrssError as error:
            typer.echo(f"{path.stem}: invalid: {error}")
            continue
        try:
            with Store(cache_dir or default_cache_dir(), config.name) as store:
                state = store.state()
                cached = len(store.episode_keys())
        except PlanetrssError as error:
            raise _fail(error) from None
        last = state.get("last_build", "never")
        typer.echo(
            f"{config.name}: {config.channel.title!r} ({config.site} at {config.origin}); "
            f"{cached} episodes cached; last build {last}; output {config.output}"
        )


@app.command("episodes")
def episodes_command(
    feed_name: Annotated[str, typer.Argument(metavar="FEED", help="A feed name or .toml path.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one array).")] = False,
    cache_dir: CacheDir = None,
    feeds_dir: FeedsDir = Path("feeds"),
) -> None:
    """Print what the cache holds for a feed, newest first (a debugging view).

    Example: planetrss episodes planetmoney --json
    """
    from planetrss.store import Store, default_cache_dir

    try:
        config = load_feed(find_feed(feed_name, feeds_dir))
        with Store(cache_dir or default_cache_dir(), config.name) as store:
            episodes = store.episodes()
    except PlanetrssError as error:
        raise _fail(error) from None
    if as_json:
        typer.echo(json.dumps([e.to_dict() for e in episodes], indent=2, ensure_ascii=False))
        return
    for episode in episodes:
        duration = (
            f"{episode.duration // 60}:{episode.duration % 60:02d}" if episode.duration else "?"
        )
        typer.echo(
            f"{episode.published:%Y-%m-%d}  {episode.key:>14}  {duration:>6}  {episode.title}"
        )


@app.command("demo")
def demo_command(
    episodes: Annotated[int, typer.Option(min=1, help="Episodes on the demo site.")] = 300,
    latency: Annotated[
        float, typer.Option(min=0, help="Seconds the server waits per request.")
    ] = 0.02,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the feed.")
    ] = None,
    feeds_dir: FeedsDir = Path("feeds"),
) -> None:
    """Build feeds/demo.xml from the embedded demo site, served on 127.0.0.1.

    Starts the demo site on an ephemeral loopback port, runs the real pipeline against
    it (HTTP, parsing, a fresh disk cache, rendering) and stops the server. No network
    beyond loopback is used.

    Example: planetrss demo --episodes 300
    """
    import tempfile

    from planetrss.build import BuildOptions
    from planetrss.demo.server import DemoServer
    from planetrss.demo.site import DemoSite

    try:
        config = load_feed(find_feed("demo", feeds_dir))
    except PlanetrssError as error:
        raise _fail(error) from None
    if output is not None:
        config = config.with_output(output)
    with DemoServer(DemoSite(episodes=episodes), latency=latency) as server:
        typer.echo(
            f"demo site: {server.origin} ({episodes} episodes, {latency * 1000:.0f} ms latency)"
        )
        # A fresh cache each time: the demo shows the whole pipeline, and the server's
        # port (part of every URL) changes from run to run.
        with tempfile.TemporaryDirectory(prefix="planetrss-demo-") as cache:
            options = BuildOptions(cache_dir=Path(cache))
            try:
                status = run_build(
                    config.with_origin(server.origin), options, quiet=False, verbose=False
                )
            except PlanetrssError as error:
                raise _fail(error) from None
    typer.echo(f"subscribe a player to: {config.output.resolve().as_uri()}")
    raise typer.Exit(status)


@app.command("check")
def check_command(
    target: Annotated[
        str, typer.Argument(metavar="FILE|URL", help="A feed file, or an http(s) URL.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Lint any podcast RSS feed against what players and validators require.

    Prints each error and warning with the item it concerns and the rule's reason;
    exits 1 when there is an error, 0 otherwise.

    Example: planetrss check feeds/planetmoney.xml
    """
    from planetrss.check import check_feed, findings_to_json

    try:
        data = _read_feed_source(target)
    except PlanetrssError as error:
        raise _fail(error) from None
    findings = check_feed(data)
    errors = sum(1 for f in findings if f.level == "error")
    if as_json:
        typer.echo(findings_to_json(findings))
    else:
        for finding in findings:
            typer.echo(f"{finding.level}: {finding.where}: {finding.message} [{finding.rule}]")
        typer.echo(f"{target}: {errors} errors, {len(findings) - errors} warnings")
    raise typer.Exit(1 if errors else 0)


def _read_feed_source(target: str) -> bytes:
    if target.startswith(("http://", "https://")):
        import asyncio

        from planetrss.http import Fetcher, FetchError, HttpSettings, make_client

        async def fetch() -> bytes:
            settings = HttpSettings(retries=2)
            async with make_client(settings) as client:
                return await Fetcher(client, settings).get_bytes(target)

        try:
            return asyncio.run(fetch())
        except FetchError as error:
            raise NothingUsableError(f"cannot fetch {target}: {error.reason}") from None
    try:
        return Path(target).read_bytes()
    except OSError as error:
        raise ConfigError(target, None, f"cannot read: {error.strerror or error}") from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planetrss {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Turn a podcast's web archive into a full podcast feed."""


def main() -> None:
    import logging

    logging.basicConfig(format="planetrss: %(message)s", level=logging.WARNING)
    app()
