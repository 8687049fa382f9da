"""The command line: a thin skin on the library. Parse options, call, print the report.

Heavy modules (httpx, beautifulsoup4, feedgen) are imported inside the commands that
need them, so `planetrss --help` starts fast.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import select
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup

from planetrss import __version__
from planetrss.config import FeedConfig, feed_dirs, find_feed, is_builtin, list_feeds, load_feed
from planetrss.errors import ConfigError, NothingUsableError, PlanetrssError, plural

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter

    from planetrss.build import BuildOptions
    from planetrss.crawl import Progress
    from planetrss.demo.server import DemoServer, ServedSite
    from planetrss.models import BuildReport, Episode


F = TypeVar("F", bound=Callable[..., Any])


class _Planetrss(TyperGroup):
    """Every error the planetrss way: one `planetrss: error:` line and a documented status.

    Click's own usage errors (a missing argument, an unknown option) would print a
    four-line block; Ctrl-C would exit 130 without a word.
    """

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as error:  # `planetrss` alone: the help, as click does
            error.show()
            status = error.exit_code
        except UsageError as error:
            command = error.ctx.command_path if error.ctx is not None else "planetrss"
            typer.echo(
                f"planetrss: error: {_sentence(error.format_message())} (see {command} --help)",
                err=True,
            )
            status = error.exit_code
        except ClickException as error:
            typer.echo(f"planetrss: error: {_sentence(error.format_message())}", err=True)
            status = error.exit_code
        if standalone_mode:
            sys.exit(status or 0)
        return status

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # asyncio.run has cancelled the build by now: its finally blocks ran, the
            # temporary feed file is gone, the workers have exited.
            typer.echo("planetrss: interrupted", err=True)
            raise typer.Exit(130) from None
        except (ClickException, typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:
            if not _stdout_reader_gone():
                raise
            # `planetrss episodes demo | head -3`: the reader has what it wanted. Stop
            # quietly with a SIGPIPE death's status, as a C tool would; stdout now goes
            # nowhere, so the interpreter's last flush does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(READER_GONE) from None
        except Exception as error:
            # Not an expected failure but a bug: keep the traceback for the report, and
            # an exit status of its own, so cron never reads it as "some pages failed" (1).
            import traceback

            traceback.print_exc()
            typer.echo(
                f"planetrss: internal error (a bug, please report it): "
                f"{type(error).__name__}: {error}",
                err=True,
            )
            raise typer.Exit(INTERNAL_ERROR) from None


def _stdout_reader_gone() -> bool:
    """True when stdout is a pipe whose reading end was closed (poll says POLLERR)."""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no fd, closed, or no poll() here
        return False


def _sentence(message: str) -> str:
    """Click's "Missing argument 'FEED'." in our style: lower case, no full stop."""
    message = message.rstrip(".")
    return message[:1].lower() + message[1:] if message[1:2].islower() else message


class _Command(TyperCommand):
    """Help in plain words: `FEED...`, not `{FEED}` or `feeds... <list[str]>`."""

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                arguments.append((_argument_name(param), getattr(param, "help", "") or ""))
            elif (record := param.get_help_record(ctx)) is not None:
                options.append(record)
        for title, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


def _argument_name(param: Any) -> str:
    name = str(param.metavar or param.name).upper()
    return name + "..." if param.nargs != 1 else name


app = typer.Typer(
    cls=_Planetrss,
    help="Turn a podcast's web archive into a full podcast feed.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help text: wrapped by paragraph, no markup surprises
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _command(name: str) -> Callable[[F], F]:
    """`@app.command(name)` with planetrss's plain help."""
    return app.command(name, cls=_Command)


def _complete_feed(incomplete: str) -> list[str]:
    """Shell completion for FEED: the names of the definitions found."""
    return [p.stem for p in list_feeds(builtin=True) if p.stem.startswith(incomplete)]


FeedsDir = Annotated[
    Path | None,
    typer.Option(
        "--feeds-dir",
        envvar="PLANETRSS_FEEDS_DIR",
        metavar="DIR",
        help="Folder of feed definitions (*.toml) "
        "(default: ./feeds, then ~/.config/planetrss/feeds).",
        show_default=False,
    ),
]
CacheDir = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        envvar="PLANETRSS_CACHE_DIR",
        metavar="DIR",
        help="Cache folder (default: ~/.cache/planetrss).",
        show_default=False,
    ),
]


#: The exit status of a bug (BSD's EX_SOFTWARE), never one of the documented outcomes.
INTERNAL_ERROR = 70
READER_GONE = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader left


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
        f"{report.feed}: {plural(report.episodes_in_feed, 'episode')} in feed "
        f"({report.new} new, {report.cached} cached, {len(report.skipped)} skipped, "
        f"{len(report.failed)} failed); {plural(report.requests, 'request')}; "
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
        text = f"{plural(progress.listing_pages, 'listing page')}, episode pages"
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
            f"{report.feed}: ... {plural(len(report.failed) - 5, 'more failure')} (-v lists all)",
            err=True,
        )
    if verbose:
        for skip in report.skipped:
            typer.echo(f"{report.feed}: skipped: {skip.url}: {skip.reason}", err=True)
        for name, value in report.timings.items():
            typer.echo(f"{report.feed}: timing: {name} = {value:.3f}", err=True)
    if not quiet or report.failed:
        typer.echo(summary_line(report))


def run_build(
    config: FeedConfig,
    options: BuildOptions,
    *,
    quiet: bool,
    verbose: bool,
    as_json: bool = False,
) -> int:
    """Build one feed and print its report; the exit status it deserves (0, 1)."""
    from planetrss.build import build

    with _ProgressPrinter(config.name, quiet or as_json) as printer:
        report = build(config, options, on_progress=printer)
    status = 1 if report.failed else 0
    if as_json:
        _print_json({"feed": report.feed, "status": status, **dataclasses.asdict(report)})
    else:
        _print_report(report, quiet=quiet, verbose=verbose)
    return status


def _print_json(record: dict[str, Any]) -> None:
    """One JSON object on one line (JSON Lines: a script reads a feed per line)."""
    typer.echo(json.dumps(record, ensure_ascii=False, sort_keys=False))


@_command("build")
def build_command(
    feeds: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FEED",
            help="Feed names in the feeds folder, or paths to .toml files.",
            autocompletion=_complete_feed,
            show_default=False,
        ),
    ] = None,
    all_feeds: Annotated[
        bool,
        typer.Option("--all", help="Build every feed definition found (not the built-in demo)."),
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
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the feed here (one feed only)."),
    ] = None,
    cache_dir: CacheDir = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", "-c", metavar="N", min=1, max=256, help="Requests in flight per host."
        ),
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
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print each feed's report as one JSON object per line (failures, skips "
            "and timings included; a feed that failed as a whole has an 'error').",
        ),
    ] = False,
    feeds_dir: FeedsDir = None,
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
        if all_feeds:
            paths = list_feeds(feeds_dir)
            if not paths:
                looked = ", ".join(f"{d}/" for d in feed_dirs(feeds_dir)[:-1])
                raise UsageError(f"--all: no feed definitions found (looked in {looked})")
        elif feeds:
            paths = [find_feed(f, feeds_dir) for f in feeds]
        else:
            raise UsageError("name at least one feed, or --all")
        if output is not None and len(paths) > 1:
            raise UsageError("--output needs exactly one feed")
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
            if is_builtin(config.path):
                _check_demo_site_is_up(config)
            built = run_build(config, options, quiet=quiet, verbose=verbose, as_json=as_json)
            status = max(status, built)
        except PlanetrssError as error:
            typer.echo(f"planetrss: error: {error}", err=True)
            status = max(status, error.exit_code)
            if as_json:
                _print_json(
                    {
                        "feed": config.name,
                        "status": error.exit_code,
                        "output": str(config.output),
                        "error": str(error),
                    }
                )
    raise typer.Exit(status)


def _check_demo_site_is_up(config: FeedConfig) -> None:
    """A built-in (demo) definition's site runs only while `planetrss demo` serves it:
    say so at once, rather than after a round of retries and a list of connection errors."""
    import socket
    from urllib.parse import urlsplit

    origin = urlsplit(config.origin or "")
    try:
        socket.create_connection((origin.hostname or "127.0.0.1", origin.port or 80), 2).close()
    except OSError:
        raise NothingUsableError(
            f"{config.name}: the demo site is not running at {config.origin}: "
            "`planetrss demo` serves it and builds this feed (`planetrss demo --serve` keeps "
            f"it up); {config.output} left as it was"
        ) from None


@_command("feeds")
def feeds_command(cache_dir: CacheDir = None, feeds_dir: FeedsDir = None) -> None:
    """List the feed definitions with what the cache holds for each.

    Example: planetrss feeds
    """
    from planetrss.store import default_cache_dir, peek

    paths = list_feeds(feeds_dir, builtin=True)
    cache = cache_dir or default_cache_dir()
    status = 0
    for path in paths:
        try:
            config = load_feed(path)
        except PlanetrssError as error:
            typer.echo(f"{path.stem}: invalid: {error}")
            continue
        try:
            summary = peek(cache, config.name)  # reads only: creates no cache
        except PlanetrssError as error:  # one damaged cache must not hide the others
            typer.echo(f"planetrss: error: {error}", err=True)
            status = max(status, error.exit_code)
            continue
        state = summary.state if summary else {}
        if "last_build" in state:
            # A merged feed's episodes are cached per source: its last build counted them.
            cached = (summary.episodes if summary else 0) or state.get("episodes", 0)
            built = (
                f"{plural(state.get('episodes_in_feed', 0), 'episode')} in feed, "
                f"{cached} cached; last build {state['last_build']}"
            )
        else:
            built = "never built"
        where = "built in" if is_builtin(path) else str(path)
        typer.echo(
            f"{config.name}: {config.channel.title!r} ({config.describe_sources()}): "
            f"{built}; output {config.output} [{where}]"
        )
    user = [p for p in paths if not is_builtin(p)]
    if not user:
        looked = ", ".join(f"{d}/" for d in feed_dirs(feeds_dir)[:-1])
        typer.echo(f"(no feed definitions of yours: looked in {looked})", err=True)
    raise typer.Exit(status)


@_command("episodes")
def episodes_command(
    feed_name: Annotated[
        str,
        typer.Argument(
            metavar="FEED", help="A feed name or .toml path.", autocompletion=_complete_feed
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one array).")] = False,
    cache_dir: CacheDir = None,
    feeds_dir: FeedsDir = None,
) -> None:
    """Print what the cache holds for a feed, newest first (a debugging view).

    For a feed of several [[sources]], each episode as the next build publishes it
    (its guid, merged fields) and the sources it comes from.

    Example: planetrss episodes planetmoney --json
    """
    from planetrss.store import Store, default_cache_dir

    try:
        config = load_feed(find_feed(feed_name, feeds_dir))
        if config.merged:
            from planetrss.build import merged_episodes

            merged = merged_episodes(config, cache_dir)
        else:
            with Store(cache_dir or default_cache_dir(), config.name) as store:
                episodes = store.episodes()
    except PlanetrssError as error:
        raise _fail(error) from None
    if config.merged:
        _print_merged(merged, as_json)
        return
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


def _print_merged(merged: list[tuple[Episode, tuple[str, ...]]], as_json: bool) -> None:
    if as_json:
        rows = [{**e.to_dict(), "sources": list(names)} for e, names in merged]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for episode, names in merged:
        duration = (
            f"{episode.duration // 60}:{episode.duration % 60:02d}" if episode.duration else "?"
        )
        typer.echo(
            f"{episode.published:%Y-%m-%d}  {episode.key:>36}  {duration:>6}  "
            f"{'+'.join(names):<16}  {episode.title}"
        )


@_command("demo")
def demo_command(
    episodes: Annotated[
        int, typer.Option(metavar="N", min=1, help="Episodes on the NPR-style demo site.")
    ] = 300,
    latency: Annotated[
        float,
        typer.Option(metavar="SECONDS", min=0, help="Seconds the server waits per request."),
    ] = 0.02,
    port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            min=0,
            max=65535,
            help="Serve the NPR-style demo site on this port instead of its definition's "
            "(0: every demo site on any free port; the caches are then temporary ones).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Where to write the feed."),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Keep the site up and serve the feeds (planetrss serve) until Ctrl-C.",
        ),
    ] = False,
    serve_port: Annotated[
        int,
        typer.Option(metavar="PORT", min=0, max=65535, help="With --serve: the feeds' port."),
    ] = 8080,
    cache_dir: CacheDir = None,
    feeds_dir: FeedsDir = None,
) -> None:
    """Build the demo feeds from the embedded demo sites, served on 127.0.0.1.

    Serves three made-up podcast sites at their definitions' origins (127.0.0.1:8765 to
    8767): an NPR-style one (read by the npr kind; demo-merged merges its official-style
    feed with its archive), a podcast host's (JSON-LD, numbered pages: the generic kind)
    and a WordPress blog (only audio elements and og: tags: the generic kind through its
    sitemap, and the selectors kind through its pages). Each build runs the real
    pipeline (HTTP, parsing, the disk cache, rendering, an atomic write) from an empty
    cache and the servers stop after. No network beyond loopback is used. The cache is
    left behind for `planetrss feeds` and `planetrss episodes`; the feeds go to
    ~/.local/share/planetrss/ (--output: the NPR-style one's file, the others beside it).

    With --serve, the sites (the NPR-style one's audio files are real, silent MP3s) and
    the feeds stay up until Ctrl-C, so a podcast app on this machine can subscribe to
    http://127.0.0.1:8080/demo.xml and play an episode.

    Example: planetrss demo --episodes 300
    """
    import tempfile
    from contextlib import ExitStack
    from urllib.parse import urlsplit

    from planetrss.build import BuildOptions
    from planetrss.demo.shapes import BlogSite, HostedSite
    from planetrss.demo.site import DemoSite
    from planetrss.store import default_cache_dir, remove_cache

    npr_site, blog = DemoSite(episodes=episodes), BlogSite(episodes=60)
    demos: list[tuple[str, ServedSite]] = [
        ("demo", npr_site),
        # The same site as two sources, its official-style feed and its archive, merged.
        ("demo-merged", npr_site),
        ("demo-hosted", HostedSite(episodes=120)),
        ("demo-blog", blog),
        ("demo-blog-css", blog),
    ]
    configs: list[FeedConfig] = []
    for name, _site in demos:
        try:
            config = load_feed(find_feed(name, feeds_dir))
        except PlanetrssError as error:
            raise _fail(error) from None
        if output is not None:
            config = config.with_output(
                output if name == "demo" else output.with_name(config.output.name)
            )
        configs.append(config)
    with ExitStack() as stack:
        servers: dict[int, DemoServer] = {}  # one server per site
        feeds: list[FeedConfig] = []
        own_ports = True
        for (_name, site), config in zip(demos, configs, strict=True):
            home = urlsplit(config.origin).port or 80
            if id(site) not in servers:
                wanted = (home if port is None else port) if site is npr_site else home
                server = _serve_demo(stack, site, 0 if port == 0 else wanted, latency)
                servers[id(site)] = server
                count = episodes if site is npr_site else getattr(site, "episodes", 0)
                typer.echo(
                    f"demo site: {server.origin} ({type(site).__name__}, "
                    f"{plural(count, 'episode')}, {latency * 1000:.0f} ms latency)"
                )
            server = servers[id(site)]
            own_ports = own_ports and server.port == home
            feeds.append(config.with_origin(server.origin))
        if own_ports:  # the definitions' own URLs: keep the cache for later
            cache = cache_dir or default_cache_dir()
        else:  # other URLs than the definitions': a cache of its own, thrown away after
            cache = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="planetrss-")))
        # Start from nothing: the demo shows the whole pipeline, and --episodes changes
        # the site (so the new feed may drop episodes the last one had: forced).
        options = BuildOptions(cache_dir=cache, force=True)
        for config in feeds:
            remove_cache(cache, config.name)
        if serve:  # it builds them at once (with their URLs as atom:self), then hourly
            _serve(feeds, host="127.0.0.1", port=serve_port, refresh=3600, build=options)
            return
        status = 0
        for config in feeds:
            try:
                built = run_build(config, options, quiet=False, verbose=False)
            except PlanetrssError as error:
                raise _fail(error) from None
            status = max(status, built)
    for config in configs:
        typer.echo(f"subscribe a player to: {config.output.resolve().as_uri()}")
    raise typer.Exit(status)


def _serve_demo(stack: Any, site: ServedSite, port: int, latency: float) -> DemoServer:
    """Start a demo server on 127.0.0.1:`port` (0: any free one) for the rest of `stack`."""
    from planetrss.demo.server import DemoServer

    try:
        server: DemoServer = stack.enter_context(DemoServer(site, port=port, latency=latency))
    except OSError as error:
        raise _fail(
            PlanetrssError(
                f"demo: cannot serve the demo site on 127.0.0.1:{port}: "
                f"{error.strerror or error}; --port 0 picks any free port"
            )
        ) from None
    return server


_FEED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@_command("init")
def init_command(
    url: Annotated[str, typer.Argument(metavar="URL", help="A podcast's episode list page.")],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            metavar="NAME",
            help="The feed's name (its file: NAME.toml); from the show's title if not given.",
            show_default=False,
        ),
    ] = None,
    feeds_dir: FeedsDir = None,
) -> None:
    """Look at a podcast site and write a starter definition for it.

    Fetches URL, the next page it links, the site's sitemap and one episode page; prints
    what the generic kind can read there (JSON-LD types, og:audio, audio elements,
    next links, the sitemap, an RSS feed the site advertises) and writes NAME.toml into
    the feeds folder. An existing definition is never overwritten (exit 2).

    Example: planetrss init https://podcast.example.org/episodes/ --name example
    """
    import asyncio
    from urllib.parse import urlsplit

    from planetrss.config import FEED_SUFFIX, feeds_home
    from planetrss.discover import (
        Discovery,
        default_name,
        describe,
        discover,
        starter_definition,
        write_definition,
    )
    from planetrss.http import Fetcher, FetchError, HttpSettings, make_client

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(ConfigError(url, None, "expected an absolute http:// or https:// URL"))
    if name is not None and not _FEED_NAME.fullmatch(name):
        raise _fail(ConfigError(name, None, "feed names are letters, digits, '.', '_', '-'"))

    home = feeds_home(feeds_dir)
    if name is not None and (home / f"{name}{FEED_SUFFIX}").exists():
        raise _fail(
            ConfigError(
                str(home / f"{name}{FEED_SUFFIX}"),
                None,
                "already exists; init never overwrites: pick another --name",
            )
        )

    async def run() -> Discovery:
        settings = HttpSettings(retries=2)
        async with make_client(settings) as client:
            return await discover(url, Fetcher(client, settings))

    try:
        found = asyncio.run(run())
    except FetchError as error:
        raise _fail(NothingUsableError(f"cannot fetch {url}: {error.reason}")) from None
    for line in describe(found):
        typer.echo(line)
    path = home / f"{name or default_name(found)}{FEED_SUFFIX}"
    try:
        write_definition(path, starter_definition(found))
    except PlanetrssError as error:
        raise _fail(error) from None
    typer.echo(f"wrote {path}; build it with: planetrss build {path.stem}")


@_command("check")
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
    findings = check_feed(data, url=target if "://" in target else None)
    errors = sum(1 for f in findings if f.level == "error")
    if as_json:
        typer.echo(findings_to_json(findings))
    else:
        for finding in findings:
            typer.echo(f"{finding.level}: {finding.where}: {finding.message} [{finding.rule}]")
        warnings = len(findings) - errors
        typer.echo(f"{target}: {plural(errors, 'error')}, {plural(warnings, 'warning')}")
    raise typer.Exit(1 if errors else 0)


def _read_feed_source(target: str) -> bytes:
    """The bytes of a feed file, or of an http(s) or file:// URL."""
    from urllib.parse import unquote, urlsplit

    scheme = urlsplit(target).scheme.lower() if "://" in target else ""
    if scheme in ("http", "https"):
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
    if scheme == "file":
        path = Path(unquote(urlsplit(target).path))
    elif scheme:
        raise ConfigError(
            target, None, f"unsupported scheme {scheme!r}: give a file, or an http(s) URL"
        )
    else:
        path = Path(target)
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(target, None, f"cannot read: {error.strerror or error}") from None


@_command("serve")
def serve_command(
    feeds: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FEED",
            help="Feed names or .toml paths (default: every definition found).",
            autocompletion=_complete_feed,
            show_default=False,
        ),
    ] = None,
    host: Annotated[
        str,
        typer.Option(metavar="ADDRESS", help="Address to listen on (0.0.0.0: every interface)."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", min=0, max=65535, help="Port (0: any free one).")
    ] = 8080,
    refresh: Annotated[
        str,
        typer.Option(
            metavar="DURATION",
            help='Rebuild each feed this often ("6h", "30m"; a definition\'s refresh wins).',
        ),
    ] = "6h",
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Serve the feed files as they are; never build.")
    ] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="This server's URL as clients see it (behind a reverse proxy): "
            "each feed gets URL/FEED.xml as its atom:self and podcast:guid.",
            show_default=False,
        ),
    ] = None,
    cache_dir: CacheDir = None,
    feeds_dir: FeedsDir = None,
) -> None:
    """Serve feeds over HTTP and rebuild each on a schedule, on one event loop.

    Feeds are at /FEED.xml (ETag, Last-Modified, 304s, gzip when asked); / lists them,
    /feeds.opml exports them, /healthz says 503 when a build failed or is overdue. A
    failed rebuild keeps the last good feed served. SIGTERM or Ctrl-C stops it (exit 0)
    after any feed write in progress.

    Example: planetrss serve planetmoney --port 8080 --refresh 6h
    """
    from planetrss.build import BuildOptions
    from planetrss.config import parse_duration

    try:
        if feeds:
            paths = [find_feed(f, feeds_dir) for f in feeds]
        else:
            paths = list_feeds(feeds_dir)
            if not paths:
                looked = ", ".join(f"{d}/" for d in feed_dirs(feeds_dir)[:-1])
                raise UsageError(f"no feed definitions found to serve (looked in {looked})")
        configs = [load_feed(p) for p in paths]
        seconds = parse_duration(refresh)
        if seconds is None:
            raise UsageError(f'--refresh: expected a duration like "6h" or "30m", got {refresh!r}')
        if public_url is not None and not public_url.startswith(("http://", "https://")):
            raise UsageError(f"--public-url: expected an http(s) URL, got {public_url!r}")
    except PlanetrssError as error:
        raise _fail(error) from None
    _serve(
        configs,
        host=host,
        port=port,
        refresh=None if no_refresh else seconds,
        public_url=public_url,
        build=BuildOptions(cache_dir=cache_dir),
    )


def _serve(configs: list[FeedConfig], **options: Any) -> None:
    """Run `planetrss serve` in the foreground; print where, then one line per build."""
    import logging

    from planetrss import serve
    from planetrss.config import format_duration

    logging.getLogger("planetrss").setLevel(logging.INFO)  # a line per build, for the journal

    def ready(server: serve.FeedServer) -> None:
        typer.echo(
            f"serving {plural(len(server.feeds), 'feed')} at {server.base_url} (Ctrl-C stops)"
        )
        for feed in server.feeds.values():
            every = (
                f"rebuilt every {format_duration(feed.refresh)}" if feed.refresh else "not rebuilt"
            )
            private = ", private: ?token=..." if feed.private else ""
            typer.echo(f"  {feed.url}  ({every}{private})")

    try:
        serve.serve(configs, serve.ServeOptions(**options), ready=ready)
    except PlanetrssError as error:
        raise _fail(error) from None
    typer.echo("planetrss: stopped")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"planetrss {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Turn a podcast's web archive into a full podcast feed."""


def main() -> None:
    import logging

    logging.basicConfig(format="planetrss: %(message)s", level=logging.WARNING)
    app(prog_name="planetrss")
