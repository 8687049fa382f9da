"""NPR podcasts on npr.org (Planet Money and its siblings)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from planetrss.models import Audio, Episode, EpisodeRef, Listing, Skip
from planetrss.sites.base import NumberedPages, Site, SiteParamError
from planetrss.sites.extract import parse_iso_date, positive_int, strip_controls, url_int_param

# --- small helpers (pure, unit-tested on their own) -------------------------------------


def _eastern() -> tzinfo:
    # NPR's site clock is US Eastern ("5:59 PM ET"); without a tz database (Windows
    # without the tzdata package) fall back to EST, an hour off in summer at worst.
    try:
        return ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-5), "EST")


_EASTERN = _eastern()
_NPR_PUBDATE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})")


def parse_date(value: str) -> datetime | None:
    """A timezone-aware datetime from the date formats NPR pages use, or None.

    - ``2017-02-10`` (listings, ``meta name=date``): that day at 12:00 UTC, which is
      the same calendar day in every timezone from UTC-11 to UTC+11;
    - ``2017-08-16T17:59:00-04:00`` and other ISO 8601 timestamps (a timestamp without
      an offset is NPR's local time, US Eastern);
    - ``2017081617`` (``NPR.serverVars.pubDate``, YYYYMMDDHH in US Eastern time).

    >>> parse_date("2017-02-10").isoformat()
    '2017-02-10T12:00:00+00:00'
    """
    if match := _NPR_PUBDATE.fullmatch(value.strip()):
        year, month, day, hour = (int(part) for part in match.groups())
        try:
            return datetime(year, month, day, hour, tzinfo=_EASTERN)
        except ValueError:  # month 13, hour 25
            return None
    return parse_iso_date(value, naive=_EASTERN)


_EPISODE_NUMBER = re.compile(r"^\s*(?:episode\s*#?\s*|#\s*)(\d+)\s*:", re.IGNORECASE)


def episode_number(title: str) -> int | None:
    """The number in titles like ``Episode 653: The Anti-Store`` or ``#653: ...``."""
    match = _EPISODE_NUMBER.match(title)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


def decode_audio_url(value: str) -> str | None:
    """An audio URL as data-audio gives it: plain, or base64 when not starting with http."""
    value = strip_controls(value).strip()
    if not value:
        return None
    if value.lower().startswith(("http://", "https://")):
        return value
    padded = value + "=" * (-len(value) % 4)
    try:
        raw = (
            base64.urlsafe_b64decode(padded)
            if "-" in value or "_" in value
            else base64.b64decode(padded, validate=True)
        )
        decoded = strip_controls(raw.decode("utf-8")).strip()
    except (binascii.Error, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return decoded if decoded.lower().startswith(("http://", "https://")) else None


def parse_data_audio(raw: str) -> dict[str, Any] | None:
    """The JSON object of a ``data-audio`` attribute, or None when it is not one."""
    try:
        data = json.loads(raw, strict=False)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def audio_from_data(data: Mapping[str, Any]) -> Audio | None:
    """The `Audio` a data-audio object describes, or None without a usable audioUrl."""
    raw_url = data.get("audioUrl")
    url = decode_audio_url(raw_url) if isinstance(raw_url, str) else None
    if url is None:
        return None
    available = data.get("available", True)
    if isinstance(available, str):
        available = available.strip().lower() not in ("false", "0", "no", "")
    return Audio(
        url=url,
        duration=positive_int(data.get("duration")) or url_int_param(url, "d"),
        size=url_int_param(url, "size"),
        available=bool(available),
    )


_NUMERIC_STORY_ID = re.compile(r"\d{6,}")
_NX_STORY_ID = re.compile(r"nx-s1-\d+")


def story_id_from_url(url: str) -> str | None:
    """The story id in an NPR URL: the first path segment that is one, else ``storyId=``.

    >>> story_id_from_url("https://www.npr.org/2024/05/10/nx-s1-4962224/some-slug")
    'nx-s1-4962224'
    """
    parts = urlsplit(url)
    for segment in parts.path.split("/"):
        if _NUMERIC_STORY_ID.fullmatch(segment) or _NX_STORY_ID.fullmatch(segment):
            return segment
    for value in parse_qs(parts.query).get("storyId", []):
        if _NUMERIC_STORY_ID.fullmatch(value) or _NX_STORY_ID.fullmatch(value):
            return value
    return None


def story_id_from_uid(uid: Any) -> str | None:
    """The story part of a data-audio ``uid`` (``"<storyId>:<mediaId>"``)."""
    if not isinstance(uid, str):
        return None
    story = uid.split(":", 1)[0].strip()
    return story or None


_CHROME_START = re.compile(r"<(header|nav|footer)(?=[\s/>])")
#: A block holding any of these is kept, whatever its tag: it may hold what we extract
#: (a script, because a "</nav>" in its strings would end the block early).
_KEEP_MARKERS = (
    "<article",
    "<script",
    "storytext",
    "storytitle",
    "dateblock",
    "data-audio",
    "audio-tool-transcript",
)


def _close_tag_end(lowered: str, name: str, start: int) -> int:
    """The index just past the first ``</name>`` at or after `start`, or -1."""
    closing = f"</{name}"
    at = lowered.find(closing, start)
    while at >= 0:
        after = at + len(closing)
        if lowered[after : after + 1] in (">", " ", "\t", "\n", "\r", "/"):
            end = lowered.find(">", after)
            return end + 1 if end >= 0 else -1
        at = lowered.find(closing, after)
    return -1


def _at_tag_boundary(lowered: str, start: int) -> bool:
    """Whether only whitespace separates `start` from the end of the previous tag."""
    at = start - 1
    while at >= 0 and lowered[at] in " \t\r\n":
        at -= 1
    return at < 0 or lowered[at] == ">"


def drop_chrome_blocks(text: str) -> str:
    """`text` without the site-wide ``<header>``, ``<nav>`` and ``<footer>`` blocks.

    Even with a strainer, Beautiful Soup spends a few microseconds in Python on every
    element the parser reports, and NPR's global header is more than half of an episode
    page's ~1,000 elements: cutting it out of the text first halves the parse again.
    The cut is conservative: a block is only dropped when it starts at a tag boundary
    outside any comment or script, has balanced comments, and holds none of
    `_KEEP_MARKERS`. When in doubt a block stays, which costs time, never data.
    """
    lowered = text.lower()  # same length and indices: the case changes, nothing else
    if len(lowered) != len(text):  # (except for a few exotic characters; then be safe)
        return text
    pieces: list[str] = []
    kept_from = position = 0
    while match := _CHROME_START.search(lowered, position):
        start = match.start()
        end = _close_tag_end(lowered, match.group(1), match.end())
        if end < 0:
            break
        if (
            not _at_tag_boundary(lowered, start)
            or lowered.rfind("<!--", 0, start) > lowered.rfind("-->", 0, start)
            or lowered.rfind("<script", 0, start) > lowered.rfind("</script", 0, start)
            or lowered.count("<!--", start, end) != lowered.count("-->", start, end)
            or any(lowered.find(marker, start, end) >= 0 for marker in _KEEP_MARKERS)
        ):
            position = match.end()
            continue
        pieces.append(text[kept_from:start])
        kept_from = position = end
    if not pieces:
        return text
    pieces.append(text[kept_from:])
    return "".join(pieces)


# --- the site ---------------------------------------------------------------------------

DEFAULT_ORIGIN = "https://www.npr.org"


@dataclass(frozen=True)
class NprSite(Site):
    """An NPR podcast, paged by ``/get/<podcast id>/render/partial/next?start=N``."""

    podcast_id: str

    kind: ClassVar[str] = "npr"
    example: ClassVar[str] = "https://www.npr.org/podcasts/510289/planet-money"
    pattern: ClassVar[re.Pattern[str]] = re.compile(
        r"^https?://(?:www\.)?npr\.org/(?:podcasts|sections|programs|series|get)/\S*"
    )
    #: Items on a full listing page, and the step between the pages' ``start=``.
    page_size: ClassVar[int] = 24

    @classmethod
    def from_params(cls, origin: str | None, params: Mapping[str, Any]) -> NprSite:
        """``[params]`` takes one key, ``podcast_id`` (e.g. 510289 for Planet Money);
        the origin defaults to https://www.npr.org."""
        for key in params:
            if key != "podcast_id":
                raise SiteParamError(
                    key, f"unknown parameter {key!r}: expected only podcast_id for kind 'npr'"
                )
        if "podcast_id" not in params:
            raise SiteParamError(
                "podcast_id",
                "missing: expected podcast_id, the number in the podcast's npr.org URL "
                "(510289 for https://www.npr.org/podcasts/510289/planet-money)",
            )
        value = params["podcast_id"]
        if isinstance(value, str):
            value = value.strip()
        if isinstance(value, bool) or not (
            (isinstance(value, int) and value > 0)
            or (isinstance(value, str) and value.isdigit() and int(value) > 0)
        ):
            raise SiteParamError(
                "podcast_id",
                f"expected a positive integer such as 510289 (or a string of digits), got {value!r}",
            )
        number = int(value)
        return cls(origin=(origin or DEFAULT_ORIGIN).rstrip("/"), podcast_id=str(number))

    @property
    def paging(self) -> NumberedPages:
        """``{origin}/get/{podcast_id}/render/partial/next?start=1`` (then 25, 49, ...)."""
        return NumberedPages(
            f"{self.origin}/get/{self.podcast_id}/render/partial/next?start={{page}}",
            start=1,
            step=self.page_size,
        )

    def listing_url(self, index: int) -> str:
        """The URL of listing page `index` (0 = newest)."""
        return self.paging.url(index)

    def parse_listing(self, url: str, text: str) -> Listing:
        """Every ``article.item`` of a listing page (fragment or section archive)."""
        from planetrss.sites.npr import pages  # beautifulsoup4 only where pages are parsed

        return pages.parse_listing(url, text)

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        """The episode from its page; each field falls back to what the listing gave."""
        from planetrss.sites.npr import pages

        return pages.parse_episode(ref, url, text)
