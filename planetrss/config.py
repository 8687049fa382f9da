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

    [params]                              # the site kind's own parameters
    podcast_id = 510289

    [channel]                             # what players show
    title = "Planet Money (full archive)"
    ...
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class FeedConfig:
    """One validated feed definition."""

    name: str
    path: Path
    site: str
    origin: str
    channel: Channel
    output: Path
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    public_url: str | None = None
    max_items: int | None = None
    include: tuple[str, ...] = ()  # title regexes: when set, only matching episodes
    exclude: tuple[str, ...] = ()  # title regexes: matching episodes are left out
    probe_sizes: bool = False  # HEAD audio files whose size the site does not give

    def with_output(self, output: Path) -> FeedConfig:
        return replace(self, output=output)

    def with_origin(self, origin: str) -> FeedConfig:
        return replace(self, origin=origin.rstrip("/"))


# --- validation helpers -------------------------------------------------------------

_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-zA-Z]{2,8})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


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
        if name not in self.data:
            if required:
                raise self.fail(name, "missing; this key is required")
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
            raise self.fail(name, "unknown key (misspelt?)")


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
        title=table.take("title", str, required=True),
        description=table.take("description", str, required=True),
        link=table.take("link", str, required=True, check=_http_url),
        image=table.take("image", str, required=True, check=_http_url),
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
    site = top.take("site", str, required=True)
    origin = top.take("origin", str, default="https://www.npr.org", check=_http_url)
    output = top.take("output", str, default=f"{name}.xml")
    public_url = top.take("public_url", str, check=_http_url)
    max_items = top.take(
        "max_items", int, check=lambda v: None if v > 0 else "expected a positive integer"
    )
    include = top.take("include", list, default=[], check=_patterns)
    exclude = top.take("exclude", list, default=[], check=_patterns)
    probe_sizes = top.take("probe_sizes", bool, default=False)
    params = top.table("params").data
    channel = _read_channel(top.table("channel", required=True))
    top.done()
    return FeedConfig(
        name=name,
        path=path,
        site=site,
        origin=origin.rstrip("/"),
        params=MappingProxyType(dict(params)),
        channel=channel,
        output=(path.parent / output),
        public_url=public_url,
        max_items=max_items,
        include=tuple(include),
        exclude=tuple(exclude),
        probe_sizes=probe_sizes,
    )


def find_feed(name_or_path: str, feeds_dir: Path) -> Path:
    """Resolve a CLI argument: a path to a .toml file, or a feed name in `feeds_dir`."""
    candidate = Path(name_or_path)
    if candidate.suffix == FEED_SUFFIX:
        return candidate
    path = feeds_dir / f"{name_or_path}{FEED_SUFFIX}"
    if not path.exists():
        known = ", ".join(p.stem for p in list_feeds(feeds_dir)) or "none"
        raise ConfigError(str(path), None, f"no feed named {name_or_path!r} (known: {known})")
    return path


def list_feeds(feeds_dir: Path) -> list[Path]:
    """The feed definitions in `feeds_dir`, sorted by name."""
    return sorted(feeds_dir.glob(f"*{FEED_SUFFIX}"))
