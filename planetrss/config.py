"""Feed definitions: a TOML file in feeds/ becomes a frozen `FeedConfig`.

Everything is validated here, once, before any network use. Every error is one line
naming the file, the key and what is expected; unknown keys are errors too, so a typo
is never silently ignored.

    site = "npr"                          # the site kind
    origin = "https://www.npr.org"        # where the site lives (a mirror, a test site)
    output = "planetmoney.xml"            # optional, relative to this file
    public_url = "https://example.org/planetmoney.xml"   # optional: the feed's own URL
    max_items = 500                       # optional: only the newest N episodes
    include = ["^Episode"]                # optional: title regexes to keep...
    exclude = ["(?i)\\(classic\\)"]       # ...and to leave out
    probe_sizes = true                    # optional: HEAD audio files of unknown size
    refresh = "6h"                        # optional: how often `planetrss serve` rebuilds it
    token = "k9X2..."                     # optional: `serve` answers only ?token=k9X2...
    # token_file = "planetmoney.token"    # ...or the token read from a file (not both)

    [params]                              # the site kind's own parameters
    podcast_id = 510289

    [channel]                             # what players show
    title = "Planet Money (full archive)"
    ...

Several sources make one feed (see planetrss.merge) with `[[sources]]` instead of
site/origin/[params]:

    [[sources]]
    site = "rss"                          # an existing feed: its URL, or a file path
    url = "https://feeds.npr.org/510289/podcast.xml"

    [[sources]]
    site = "npr"
    origin = "https://www.npr.org"
    name = "archive"                      # optional; the kind by default (must be unique)
    [sources.params]
    podcast_id = 510289

    [precedence]                          # optional: which source each field comes from
    notes = ["archive", "*"]              # source names or kinds; "*" = all the others
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from planetrss.errors import ConfigError
from planetrss.standards import APPLE_CATEGORIES

FEED_SUFFIX = ".toml"


@dataclass(frozen=True)
class Owner:
    name: str
    email: str


@dataclass(frozen=True)
class Channel:
    """The show as players present it."""

    title: str
    description: str
    link: str
    image: str
    language: str = "en-us"
    category: tuple[str, ...] = ("News",)  # ("Business",) or ("News", "Business News")
    author: str = ""
    owner: Owner | None = None
    explicit: bool = False
    type: str = "episodic"
    copyright: str = ""
    new_feed_url: str | None = None  # set when the feed moves: players follow it
    locked: bool = False  # podcast:locked: may other hosts import this feed?


#: The fields whose source `[precedence]` may choose (planetrss.merge.DEFAULT_PRECEDENCE
#: gives their defaults).
PRECEDENCE_FIELDS = (
    "guid",
    "published",
    "title",
    "audio",
    "duration",
    "episode_number",
    "link",
    "summary",
    "notes",
    "image",
    "transcript",
)


@dataclass(frozen=True)
class Source:
    """One source of a feed: a site kind with its origin and params, or a feed's URL.

    `name` is the source's stable id: its episodes' store namespace and how `[precedence]`
    names it. `where` is its place in the file (``sources[1]``) for error messages.
    """

    name: str
    site: str
    origin: str | None = None
    url: str | None = None  # rss: an http(s) URL, or an absolute file path
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    where: str = ""


@dataclass(frozen=True)
class FeedConfig:
    """One validated feed definition."""

    name: str
    path: Path
    site: str
    origin: str | None  # None: the kind decides (npr: https://www.npr.org; others need one)
    channel: Channel
    output: Path
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    public_url: str | None = None
    max_items: int | None = None
    include: tuple[str, ...] = ()  # title regexes: when set, only matching episodes
    exclude: tuple[str, ...] = ()  # title regexes: matching episodes are left out
    probe_sizes: bool = False  # HEAD audio files whose size the site does not give
    # The [[sources]] form: several sources merged into one feed. Empty for the one-source
    # form (site, origin, [params] above), whose episodes live where they always have.
    sources: tuple[Source, ...] = ()
    precedence: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    # For `planetrss serve`; not part of the feed (so not in its inputs' digest, which is
    # made from repr), and a token must not end up in a log line.
    refresh: int | None = field(default=None, repr=False)  # seconds between rebuilds
    token: str | None = field(default=None, repr=False)  # private: only with ?token=<this>

    def with_output(self, output: Path) -> FeedConfig:
        return replace(self, output=output)

    def with_origin(self, origin: str) -> FeedConfig:
        """The same feed served from another origin (the demo server's address): every
        source on the configured origin's host moves with it."""
        new = urlsplit(origin.rstrip("/"))
        old_host = urlsplit(self.origin).netloc if self.origin else None

        def move(url: str | None) -> str | None:
            if url is None or old_host is None or urlsplit(url).netloc != old_host:
                return url
            return urlsplit(url)._replace(scheme=new.scheme, netloc=new.netloc).geturl()

        sources = tuple(replace(s, origin=move(s.origin), url=move(s.url)) for s in self.sources)
        return replace(self, origin=origin.rstrip("/"), sources=sources)

    @property
    def merged(self) -> bool:
        """Whether this feed merges several sources ([[sources]])."""
        return bool(self.sources)

    def describe_sources(self) -> str:
        """``npr at https://www.npr.org``, or the sources of a merged feed."""
        if not self.sources:
            return f"{self.site} at {self.origin}" if self.origin else self.site
        return " + ".join(f"{s.name} ({s.site} at {s.url or s.origin})" for s in self.sources)


# --- validation helpers -------------------------------------------------------------

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-zA-Z]{2,8})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~-]{16,}$")
TOKEN_RULE = (
    "expected at least 16 letters, digits or ._~- "
    "(make one with: python3 -c 'import secrets; print(secrets.token_urlsafe())')"
)


def parse_duration(text: str) -> int | None:
    """Seconds in "6h", "90m", "1d12h", "45s"; None when `text` is not such a duration.

    Example:
        >>> parse_duration("1h30m")
        5400
    """
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    return total or None


def format_duration(seconds: int) -> str:
    """The inverse of parse_duration: `format_duration(5400) == "1h30m"`."""
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _duration(value: str) -> str | None:
    return None if parse_duration(value) else 'expected a duration like "6h", "30m" or "1d"'


def _token(value: str) -> str | None:
    return None if _TOKEN.match(value) else TOKEN_RULE


def _http_url(value: str) -> str | None:
    """None when `value` is an absolute http(s) URL, else what is expected."""
    parts = urlsplit(value)
    if parts.scheme in ("http", "https") and parts.netloc:
        return None
    return "expected an absolute http:// or https:// URL"


_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


class _Table:
    """One TOML table being read: each `take` pops a key so leftovers are unknown keys."""

    def __init__(self, where: str, prefix: str, data: Mapping[str, Any]) -> None:
        self.where = where
        self.prefix = prefix
        self.data = dict(data)
        self.known: list[str] = []  # every key asked for: what a misspelt key may have meant

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(self.where, self.key(name), message)

    def take(
        self,
        name: str,
        kind: type | tuple[type, ...],
        *,
        required: bool = False,
        default: Any = None,
        check: Callable[[Any], str | None] | None = None,
    ) -> Any:
        self.known.append(name)
        if name not in self.data:
            if required:
                close = difflib.get_close_matches(name, [str(k) for k in self.data], n=1)
                hint = f" (is {close[0]} a misspelling of it?)" if close else ""
                raise self.fail(name, f"missing; this key is required{hint}")
            return default
        value = self.data.pop(name)
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; TOML true must not pass as a number.
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise self.fail(name, f"expected {names}, got {value!r}")
        if isinstance(value, str) and required and not value.strip():
            raise self.fail(name, "must not be empty")
        if check is not None:
            problem = check(value)
            if problem:
                raise self.fail(name, f"{problem}, got {value!r}")
        return value

    def table(self, name: str, *, required: bool = False) -> _Table:
        value = self.take(name, dict, required=required, default={})
        return _Table(self.where, f"{self.key(name)}.", value)

    def done(self) -> None:
        """Refuse what was not taken: a misspelt key must not be silently ignored."""
        if self.data:
            name = sorted(self.data)[0]
            close = difflib.get_close_matches(name, self.known, n=1)
            hint = f"; did you mean {close[0]}?" if close else " (misspelt?)"
            raise self.fail(name, f"unknown key{hint}")


def _category(value: str | list[Any]) -> str | None:
    parts = [value] if isinstance(value, str) else value
    if not (1 <= len(parts) <= 2) or not all(isinstance(p, str) and p.strip() for p in parts):
        return 'expected "Category" or ["Category", "Subcategory"]'
    if parts[0] not in APPLE_CATEGORIES:
        return f"expected one of Apple's categories ({', '.join(APPLE_CATEGORIES)})"
    if len(parts) == 2 and parts[1] not in APPLE_CATEGORIES[parts[0]]:
        subs = ", ".join(APPLE_CATEGORIES[parts[0]]) or "none"
        return f"expected a subcategory of {parts[0]} ({subs})"
    return None


def _patterns(value: list[Any]) -> str | None:
    for pattern in value:
        if not isinstance(pattern, str):
            return "expected a list of regular expressions (strings)"
        try:
            re.compile(pattern)
        except re.error as exc:
            return f"invalid regular expression {pattern!r} ({exc})"
    return None


def _read_channel(table: _Table) -> Channel:
    owner_table = table.table("owner")
    owner = None
    if owner_table.data:
        owner = Owner(
            name=owner_table.take("name", str, required=True),
            email=owner_table.take(
                "email",
                str,
                required=True,
                check=lambda v: None if _EMAIL.match(v) else "expected an email address",
            ),
        )
    owner_table.done()
    category = table.take("category", (str, list), default="News", check=_category)
    channel = Channel(
        # All four may be left out (a five-line definition): the feed then takes the
        # feed's name, its origin and the newest episode's image (see feed.py).
        title=table.take("title", str, default=""),
        description=table.take("description", str, default=""),
        link=table.take("link", str, default="", check=_http_url),
        image=table.take("image", str, default="", check=_http_url),
        language=table.take(
            "language",
            str,
            default="en-us",
            check=lambda v: None if _LANGUAGE.match(v) else "expected an ISO 639 code like en-us",
        ),
        category=(category,) if isinstance(category, str) else tuple(category),
        author=table.take("author", str, default=""),
        owner=owner,
        explicit=table.take("explicit", bool, default=False),
        type=table.take(
            "type",
            str,
            default="episodic",
            check=lambda v: (
                None if v in ("episodic", "serial") else 'expected "episodic" or "serial"'
            ),
        ),
        copyright=table.take("copyright", str, default=""),
        new_feed_url=table.take("new_feed_url", str, check=_http_url),
        locked=table.take("locked", bool, default=False),
    )
    table.done()
    return channel


def _location(value: str, folder: Path) -> str:
    """A source's url: an http(s) URL as it is, else a file path (relative to the feed
    definition's folder)."""
    if urlsplit(value).scheme in ("http", "https"):
        return value
    return str((folder / Path(value).expanduser()).resolve())


def _read_sources(top: _Table, path: Path) -> tuple[Source, ...]:
    """The [[sources]] array of tables (empty when the file uses the one-source form)."""
    entries = top.take("sources", list)
    if entries is None:
        return ()
    if not entries:
        raise top.fail("sources", "expected at least one [[sources]] table")
    found: list[Source] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        here = f"sources[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(top.where, here, "expected a table ([[sources]])")
        table = _Table(top.where, f"{here}.", entry)
        site = table.take("site", str, required=True)
        origin = table.take("origin", str, check=_http_url)
        url = table.take("url", str)
        if url is not None and not url.strip():
            raise table.fail("url", "must not be empty; expected a feed's URL or a file path")
        if url is not None and origin is not None:
            raise table.fail(
                "origin", "a source has a url (a feed) or an origin (a site), not both"
            )
        name = table.take(
            "name",
            str,
            default=site,
            check=lambda v: None if _NAME.match(v) else "expected letters, digits, '.', '_', '-'",
        )
        if name in names:
            raise table.fail(
                "name", f'two sources are named {name!r}: give each a distinct name = "..."'
            )
        names.add(name)
        params = table.table("params").data
        table.done()
        found.append(
            Source(
                name=name,
                site=site,
                origin=origin.rstrip("/") if origin else None,
                url=_location(url, path.parent) if url is not None else None,
                params=MappingProxyType(dict(params)),
                where=here,
            )
        )
    return tuple(found)


def _read_precedence(table: _Table, sources: tuple[Source, ...]) -> dict[str, tuple[str, ...]]:
    """[precedence]: for a field, the sources (by name or kind, "*" for the rest) to take
    it from, first choice first."""
    labels = {s.name for s in sources} | {s.site for s in sources} | {"*"}
    if table.data and not sources:
        raise table.fail(next(iter(table.data)), "[precedence] needs a feed with [[sources]]")
    found: dict[str, tuple[str, ...]] = {}
    for name in list(table.data):
        if name not in PRECEDENCE_FIELDS:
            raise table.fail(name, f"unknown field; expected one of {', '.join(PRECEDENCE_FIELDS)}")

        def known(value: list[Any]) -> str | None:
            if not value or not all(isinstance(v, str) for v in value):
                return "expected a non-empty list of source names or kinds"
            unknown = [v for v in value if v not in labels]
            if unknown:
                return f"no source is named or of kind {unknown[0]!r} (known: {', '.join(sorted(labels))})"
            return None

        found[name] = tuple(table.take(name, list, check=known))
    table.done()
    return found


def load_feed(path: Path) -> FeedConfig:
    """Read and validate one feed definition; raise ConfigError naming file and key."""
    where = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(where, None, "no such feed definition") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(where, None, f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(where, None, f"not valid TOML: {exc}") from None

    name = path.stem
    if not _NAME.match(name):
        raise ConfigError(where, None, "feed file names must be letters, digits, '.', '_', '-'")
    top = _Table(where, "", raw)
    sources = _read_sources(top, path)
    site = top.take("site", str, required=not sources)
    origin = top.take("origin", str, check=_http_url)  # the kind may have a default
    if sources and (site is not None or "params" in top.data or "origin" in raw):
        key = "site" if site is not None else ("params" if "params" in top.data else "origin")
        raise top.fail(key, "a feed with [[sources]] names its sites there, not at the top")
    output = top.take("output", str, default=f"{name}.xml")
    public_url = top.take("public_url", str, check=_http_url)
    max_items = top.take(
        "max_items", int, check=lambda v: None if v > 0 else "expected a positive integer"
    )
    include = top.take("include", list, default=[], check=_patterns)
    exclude = top.take("exclude", list, default=[], check=_patterns)
    probe_sizes = top.take("probe_sizes", bool, default=False)
    refresh = top.take("refresh", str, check=_duration)
    token = _read_token(top, path)
    params = top.table("params").data
    precedence = _read_precedence(top.table("precedence"), sources)
    channel = _read_channel(top.table("channel"))
    top.done()
    if sources:  # the first source stands for the feed where one site is shown
        site = sources[0].site
        origin = sources[0].url or sources[0].origin or origin
    return FeedConfig(
        name=name,
        path=path,
        site=site,
        origin=origin.rstrip("/") if origin else None,
        sources=sources,
        precedence=MappingProxyType(precedence),
        params=MappingProxyType(dict(params)),
        channel=channel,
        # A built-in definition's relative output goes to the user's data folder.
        output=(user_data_dir() if is_builtin(path) else path.parent) / output,
        public_url=public_url,
        max_items=max_items,
        include=tuple(include),
        exclude=tuple(exclude),
        probe_sizes=probe_sizes,
        refresh=parse_duration(refresh) if refresh else None,
        token=token,
    )


def _read_token(top: _Table, path: Path) -> str | None:
    """`token`, or the first line of `token_file` (relative to the definition), or None."""
    token: str | None = top.take("token", str, check=_token)
    token_file = top.take("token_file", str)
    if token_file is None:
        return token
    if token is not None:
        raise top.fail("token_file", "give token or token_file, not both")
    file = path.parent / token_file
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise top.fail("token_file", f"cannot read {file}: {exc}") from None
    found = lines[0].strip() if lines else ""
    if not _TOKEN.match(found):
        raise top.fail("token_file", f"{file}: {TOKEN_RULE}")
    return found


# --- where definitions are found ------------------------------------------------------

FEEDS_DIR_ENV = "PLANETRSS_FEEDS_DIR"
# Definitions shipped inside the package (the demo's): found last, by name, from anywhere.
BUILTIN_FEEDS = Path(__file__).resolve().parent / "demo" / "feeds"


def user_config_dir() -> Path:
    """`$XDG_CONFIG_HOME/planetrss` (~/.config/planetrss on Linux)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "planetrss"


def user_data_dir() -> Path:
    """`$XDG_DATA_HOME/planetrss` (~/.local/share/planetrss): where the feeds of built-in
    definitions are written, since the package's own folder is no place for them."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "planetrss"


def feed_dirs(feeds_dir: Path | None = None) -> list[Path]:
    """The folders searched for feed definitions, in order (the first match wins).

    `feeds_dir` (the CLI's --feeds-dir), else $PLANETRSS_FEEDS_DIR, replaces the usual
    two: ./feeds, then the user's ~/.config/planetrss/feeds. The built-in definitions
    come last either way.
    """
    if feeds_dir is None and (env := os.environ.get(FEEDS_DIR_ENV)):
        feeds_dir = Path(env)
    user = [feeds_dir] if feeds_dir is not None else [Path("feeds"), user_config_dir() / "feeds"]
    return [*user, BUILTIN_FEEDS]


def feeds_home(feeds_dir: Path | None = None) -> Path:
    """Where a new definition goes: the first folder searched that exists (else ./feeds)."""
    user = feed_dirs(feeds_dir)[:-1]
    return next((d for d in user if d.is_dir()), user[0])


def is_builtin(path: Path) -> bool:
    return path.resolve().parent == BUILTIN_FEEDS


def find_feed(name_or_path: str, feeds_dir: Path | None = None) -> Path:
    """Resolve a CLI argument: a path to a .toml file, or a feed name searched for in
    `feed_dirs(feeds_dir)`. Not found: a ConfigError saying where it looked."""
    candidate = Path(name_or_path)
    if candidate.suffix == FEED_SUFFIX:
        return candidate
    searched = feed_dirs(feeds_dir)
    for folder in searched:
        path = folder / f"{name_or_path}{FEED_SUFFIX}"
        if path.is_file():
            return path
    known = ", ".join(p.stem for p in list_feeds(feeds_dir, builtin=True)) or "none"
    looked = ", ".join(f"{d}/" for d in searched[:-1])
    raise ConfigError(
        name_or_path,
        None,
        f"no feed definition of that name; looked for {name_or_path}{FEED_SUFFIX} in "
        f"{looked} and the built-in ones (known: {known})",
    )


def list_feeds(feeds_dir: Path | None = None, *, builtin: bool = False) -> list[Path]:
    """The definitions found in `feed_dirs(feeds_dir)`, one per name (the first found),
    sorted by name. The built-in ones only with `builtin` (`build --all` leaves them out:
    they need the demo site running)."""
    folders = feed_dirs(feeds_dir)
    found: dict[str, Path] = {}
    for folder in folders if builtin else folders[:-1]:
        for path in sorted(folder.glob(f"*{FEED_SUFFIX}")):
            found.setdefault(path.stem, path)
    return [found[name] for name in sorted(found)]
