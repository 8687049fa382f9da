"""Helpers every site kind shares: text, dates, durations, JSON-LD, meta tags, URLs.

Pure functions of strings, parsed JSON and attribute mappings, never of a soup, so a
kind's class module can use them without importing beautifulsoup4 (only parse modules
do). Kinds import this module; it imports no kind.
"""

from __future__ import annotations

import email.utils
import json
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import isodate
from dateutil import parser as dateutil_parser
from w3lib.url import canonicalize_url

# --- text -----------------------------------------------------------------------------------

# What XML 1.0 forbids: C0 controls but tab, LF and CR; and the noncharacters U+FFFE/F.
_C0_CONTROLS = dict.fromkeys(
    [*(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)), 0xFFFE, 0xFFFF]
)


def strip_controls(text: str) -> str:
    """`text` without the characters XML forbids (C0 controls but tab, LF, CR; U+FFFE/F)."""
    return text.translate(_C0_CONTROLS)


def clean_text(text: str) -> str:
    """Plain text for a feed: control characters dropped, whitespace collapsed."""
    return " ".join(strip_controls(text).split())


def first(*values: str | None) -> str | None:
    """The first value that is not None or empty."""
    return next((value for value in values if value), None)


def attr_text(value: Any) -> str | None:
    """An HTML attribute's value as text: control-free, stripped; None when absent or
    empty. A multi-valued attribute (a list, as Beautiful Soup gives ``class``) is joined
    by spaces."""
    if value is None:
        return None
    text = strip_controls(value if isinstance(value, str) else " ".join(value)).strip()
    return text or None


def positive_int(value: Any) -> int | None:
    """`value` as a positive integer (ints, integral floats, digit strings), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and value > 0 else None


# --- dates ----------------------------------------------------------------------------------

_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_date_only(value: str) -> bool:
    """Whether `value` names a day but no time of day (``2017-02-10``)."""
    return _DATE_ONLY.fullmatch(value.strip()) is not None


def parse_iso_date(value: str, naive: tzinfo = UTC) -> datetime | None:
    """A timezone-aware datetime from an ISO 8601 date or timestamp, or None.

    A date alone is that day at 12:00 UTC, the same calendar day in every timezone from
    UTC-11 to UTC+11; a timestamp without an offset is in `naive` (the site's clock).

    >>> parse_iso_date("2017-02-10").isoformat()
    '2017-02-10T12:00:00+00:00'
    >>> parse_iso_date("2017-08-16T17:59:00Z").isoformat()
    '2017-08-16T17:59:00+00:00'
    """
    value = value.strip()
    try:
        if _DATE_ONLY.fullmatch(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(hour=12, tzinfo=UTC)
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=naive)


def parse_datetime(value: str, date_format: str | None = None) -> datetime | None:
    """A timezone-aware datetime from the date formats web pages use, or None.

    ISO 8601 (``2024-03-05T06:00:00+01:00``; a date alone is that day at 12:00 UTC, the
    same calendar day from UTC-11 to UTC+11), RFC 2822 (``Tue, 05 Mar 2024 06:00:00
    +0000``) and written dates (``March 5, 2024``, ``5 Mar 2024``). `date_format` (a
    strptime format) is tried first when given. A time without an offset is taken as
    UTC. Text that only contains a date among other words is not a date.

    >>> parse_datetime("March 5, 2024").isoformat()
    '2024-03-05T12:00:00+00:00'
    """
    value = clean_text(value)
    if not value:
        return None
    if date_format:
        try:
            parsed = datetime.strptime(value, date_format)
        except ValueError:
            pass  # not in the site's own format: maybe in a common one
        else:
            return _aware(parsed if _format_has_time(date_format) else parsed.replace(hour=12))
    if _DATE_ONLY.fullmatch(value):
        return datetime.fromisoformat(value).replace(hour=12, tzinfo=UTC)
    try:
        return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return _aware(email.utils.parsedate_to_datetime(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    return _written_date(value)


def _format_has_time(date_format: str) -> bool:
    return any(code in date_format for code in ("%H", "%I", "%M", "%X", "%c", "%s"))


def has_time_of_day(value: str, date_format: str | None = None) -> bool:
    """Whether a date as written names a time of day (``2024-03-05`` does not)."""
    value = clean_text(value)
    if date_format:
        try:
            datetime.strptime(value, date_format)
        except ValueError:
            pass
        else:
            return _format_has_time(date_format)
    if _DATE_ONLY.fullmatch(value):
        return False
    return ":" in value or "T" in value[8:11]


_NOON = datetime(2000, 1, 1, 12, 0)


def _written_date(value: str) -> datetime | None:
    # dateutil fills what the text leaves out from `default`: noon for a bare day, and
    # two different defaults tell a real year/day from one it made up.
    if len(value) > 64:  # a sentence, not a date
        return None
    try:
        with warnings.catch_warnings():  # "5:59 PM ET": an unknown zone is a warning
            warnings.simplefilter("ignore")
            one = dateutil_parser.parse(value, default=_NOON)
            two = dateutil_parser.parse(value, default=datetime(2001, 2, 2, 12, 0))
    except (ValueError, OverflowError, TypeError):
        return None
    if one.year != two.year or one.day != two.day or one.month != two.month:
        return None  # "March 2024" or "Tuesday": not a day
    return _aware(one)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# --- durations ------------------------------------------------------------------------------

# ISO 8601 time durations; the commas and the missing "T" are NPR's ("P22M,51S").
_ISO_DURATION = re.compile(r"P(?:T)?(?:(\d+)H,?)?(?:(\d+)M,?)?(?:(\d+)S)?", re.IGNORECASE)


def iso_duration(value: str) -> int | None:
    """Whole seconds from an ISO 8601 duration (``PT1H2M3S``; ``P22M,51S`` too), or None
    when it is not one or not positive.

    >>> iso_duration("PT1H2M3S"), iso_duration("P22M,51S"), iso_duration("soon")
    (3723, 1371, None)
    """
    match = _ISO_DURATION.fullmatch(value.strip())
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return positive_int(hours * 3600 + minutes * 60 + seconds)


_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})")


def parse_duration(value: Any) -> int | None:
    """Whole seconds from ISO 8601 (``PT1H46M26S``), a clock (``1:02:03``, ``42:07``) or
    a number of seconds; None when `value` is none of these or not positive.

    >>> parse_duration("PT1H46M26S"), parse_duration("42:07"), parse_duration(95)
    (6386, 2527, 95)
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if text[:1] in "Pp":
            try:
                parsed = isodate.parse_duration(text.upper())
            except (isodate.ISO8601Error, ValueError, OverflowError, ArithmeticError):
                return iso_duration(text)  # NPR's "P22M,51S"
            if not hasattr(parsed, "total_seconds"):  # years/months: not a running time
                return None
            seconds = int(parsed.total_seconds())
        elif match := _CLOCK.fullmatch(text):
            hours, minutes, secs = (int(part or 0) for part in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
        elif text.isdigit():
            seconds = int(text)
        else:
            return None
    else:
        return None
    return seconds if seconds > 0 else None


# "Episode 12:", "Ep. 12 -", "#12 |" (and en or em dashes: \u2013, \u2014).
_EPISODE_NUMBER = re.compile(
    r"^\s*(?:episode\s*#?\s*|ep\.?\s*|#\s*)(\d+)\s*[:.\-\u2013\u2014|]", re.I
)


def episode_number(title: str) -> int | None:
    """The number in titles like ``Episode 653: The Anti-Store`` or ``#653 - ...``."""
    match = _EPISODE_NUMBER.match(title)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


# --- URLs -----------------------------------------------------------------------------------


def absolute_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base`, when it is an http(s) URL after that; else None.

    >>> absolute_url("https://a.example/x/", "../y#top")
    'https://a.example/y'
    """
    if not href:
        return None
    href = strip_controls(href).strip()
    if not href or href.startswith("#"):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:  # "http://[::1", "http://host:port"
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url.split("#", 1)[0]


def url_int_param(url: str, name: str) -> int | None:
    """A positive integer query parameter of `url` (``size=``, ``d=``), or None."""
    values = parse_qs(urlsplit(url).query).get(name)
    return positive_int(values[0]) if values else None


def url_key(url: str) -> str:
    """A stable episode key for a page URL: its canonical path and query, without scheme,
    host, fragment or trailing slash, so http/https, a new domain or a mirror keep it.

    >>> url_key("https://Show.example/episodes/42-slug/?utm=x#top")
    '/episodes/42-slug?utm=x'
    """
    parts = urlsplit(canonicalize_url(url))
    path = parts.path.rstrip("/") or "/"
    return f"{path}?{parts.query}" if parts.query else path


def same_site(url: str, other: str) -> bool:
    """Whether two URLs are on the same host (ignoring a leading ``www.``)."""

    def host(value: str) -> str:
        name = (urlsplit(value).hostname or "").lower()
        return name.removeprefix("www.")

    return host(url) == host(other)


AUDIO_EXTENSIONS = (".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".wav", ".flac")


def is_audio_url(url: str) -> bool:
    """Whether the path of `url` ends in an audio file extension (``.mp3``, ``.m4a``...)."""
    return urlsplit(url).path.lower().endswith(AUDIO_EXTENSIONS)


# --- meta tags ------------------------------------------------------------------------------


def meta_contents(metas: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``<meta>`` contents by lowercased ``property`` (else ``name``), from the tags'
    attribute mappings; the first tag of a name wins.

    >>> meta_contents([{"property": "og:Title", "content": " A "}, {"name": "og:title",
    ...                "content": "B"}])
    {'og:title': 'A'}
    """
    found: dict[str, str] = {}
    for attrs in metas:
        key = first(attr_text(attrs.get("property")), attr_text(attrs.get("name")))
        content = attr_text(attrs.get("content"))
        if key and content:
            found.setdefault(key.lower(), content)
    return found


# --- JSON-LD --------------------------------------------------------------------------------


def load_json(text: str) -> Any:
    """A JSON document as pages embed it (None when it is not JSON)."""
    text = text.strip()
    if text.startswith("<!--"):  # scripts wrapped in comments for very old browsers
        text = text.removeprefix("<!--").removesuffix("-->")
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):  # not JSON, or nested past what json can read
        return None


def json_ld_objects(value: Any) -> Iterator[dict[str, Any]]:
    """The top-level objects of a JSON-LD document in page order: a list's entries and
    each ``@graph``'s members (nested nodes are not visited; `JsonLd` finds those)."""
    if isinstance(value, list):
        for entry in value:
            yield from json_ld_objects(entry)
    elif isinstance(value, dict):
        yield value
        yield from json_ld_objects(value.get("@graph"))


def ld_types(node: Mapping[str, Any]) -> set[str]:
    """The schema.org type names of a node (``@type`` may be a list, or a full IRI)."""
    value = node.get("@type")
    names = value if isinstance(value, list) else [value]
    return {name.rsplit("/", 1)[-1].rsplit(":", 1)[-1] for name in names if isinstance(name, str)}


def ld_str(value: Any) -> str | None:
    """A JSON-LD string value as clean text, or None (not a string, or empty)."""
    text = clean_text(value) if isinstance(value, str) else ""
    return text or None


def ld_image(value: Any) -> str | None:
    """The first image URL of a JSON-LD ``image``: a string, an ``ImageObject``'s url,
    or the first of a list that has one."""
    if isinstance(value, str):
        return ld_str(value)
    if isinstance(value, dict):
        return ld_str(value.get("url"))
    if isinstance(value, list):
        return next((url for url in map(ld_image, value) if url), None)
    return None


_MAX_DEPTH = 40


class JsonLd:
    """The JSON-LD nodes of a page: ``@graph`` flattened, nested nodes found, ``@id``
    references resolvable.

    >>> ld = JsonLd([{"@graph": [{"@id": "#a", "@type": ["AudioObject", "Thing"]}]}])
    >>> [sorted(ld_types(n)) for n in ld.nodes]
    [['AudioObject', 'Thing']]
    >>> ld.resolve({"@id": "#a"})["@type"]
    ['AudioObject', 'Thing']
    """

    def __init__(self, documents: Iterable[Any]) -> None:
        self.nodes: list[dict[str, Any]] = []
        self._by_id: dict[str, dict[str, Any]] = {}
        for document in documents:
            self._collect(document, top=True)

    def _collect(self, value: Any, top: bool = False, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:  # real documents nest a few levels; this is an attack
            return
        if isinstance(value, list):
            for entry in value:
                self._collect(entry, top, depth + 1)
        elif isinstance(value, dict):
            if "@type" in value:
                self.nodes.append(value)
            node_id = value.get("@id")
            if isinstance(node_id, str) and (len(value) > 1 or top):
                self._by_id.setdefault(node_id, value)
            for key, child in value.items():
                if key != "@context":
                    self._collect(child, depth=depth + 1)

    def resolve(self, value: Any) -> Any:
        """`value`, or the node it references when it is only ``{"@id": ...}``."""
        if isinstance(value, dict) and set(value) == {"@id"}:
            return self._by_id.get(str(value["@id"]), value)
        return value

    def get(self, node: Mapping[str, Any], key: str) -> list[Any]:
        """The values of `key` on `node`, as a list, references resolved."""
        value = node.get(key)
        values = value if isinstance(value, list) else [] if value is None else [value]
        return [self.resolve(entry) for entry in values]

    def text(self, node: Mapping[str, Any], *keys: str) -> str | None:
        """The first non-empty string among `keys` (a ``{"@value"}`` or a list works too)."""
        for key in keys:
            for value in self.get(node, key):
                if isinstance(value, dict):
                    value = value.get("@value")
                if isinstance(value, str | int | float) and not isinstance(value, bool):
                    text = clean_text(str(value))
                    if text:
                        return text
        return None

    def url(self, node: Mapping[str, Any], *keys: str) -> str | None:
        """The first URL among `keys`: a string, or a node's ``url``/``contentUrl``/``@id``."""
        for key in keys:
            for value in self.get(node, key):
                if isinstance(value, str) and value.strip():
                    return value.strip()
                if isinstance(value, dict):
                    found = self.text(value, "contentUrl", "url", "embedUrl")
                    if found:
                        return found
        return None

    def of_type(self, *names: str) -> Iterator[dict[str, Any]]:
        """The nodes with any of these types, in page order."""
        wanted = set(names)
        for node in self.nodes:
            if ld_types(node) & wanted:
                yield node
