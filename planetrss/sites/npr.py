"""NPR podcasts on npr.org (Planet Money and its siblings)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, Tag
from bs4.filter import SoupStrainer

from planetrss.models import Audio, Episode, EpisodeRef, Listing, Skip
from planetrss.sites.base import Site, SiteParamError

# --- small helpers (pure, unit-tested on their own) -------------------------------------

#: C0 control characters other than tab, LF and CR: invalid in XML 1.0, so never let
#: them through into a feed.
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


def _eastern() -> tzinfo:
    # NPR's site clock is US Eastern ("5:59 PM ET"); without a tz database (Windows
    # without the tzdata package) fall back to EST, an hour off in summer at worst.
    try:
        return ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-5), "EST")


_EASTERN = _eastern()
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
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
    value = value.strip()
    try:
        if _DATE_ONLY.fullmatch(value):
            day = datetime.strptime(value, "%Y-%m-%d")
            return day.replace(hour=12, tzinfo=UTC)
        if match := _NPR_PUBDATE.fullmatch(value):
            year, month, day_, hour = (int(part) for part in match.groups())
            return datetime(year, month, day_, hour, tzinfo=_EASTERN)
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=_EASTERN)


def is_date_only(value: str) -> bool:
    """Whether `value` names a day but no time of day (``2017-02-10``)."""
    return _DATE_ONLY.fullmatch(value.strip()) is not None


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


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def url_int_param(url: str, name: str) -> int | None:
    """A positive integer query parameter of `url` (``size=``, ``d=``), or None."""
    values = parse_qs(urlsplit(url).query).get(name)
    return _positive_int(values[0]) if values else None


_ISO_DURATION = re.compile(r"P(?:T)?(?:(\d+)H,?)?(?:(\d+)M,?)?(?:(\d+)S)?", re.IGNORECASE)


def duration_from_iso(value: str) -> int | None:
    """Seconds from NPR's duration attribute (``P22M,51S``; ISO 8601 ``PT1H2M3S`` too)."""
    match = _ISO_DURATION.fullmatch(value.strip())
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return _positive_int(hours * 3600 + minutes * 60 + seconds)


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
        duration=_positive_int(data.get("duration")) or url_int_param(url, "d"),
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


# --- parsing only what is needed --------------------------------------------------------


class _Keep(SoupStrainer):
    """Keeps the outermost elements that `accept(name, attrs)` likes, with their subtrees.

    Beautiful Soup asks the strainer only about elements outside every kept one, and
    creates no objects for the rest: on a 90 KB episode page that is ~150 of ~1,000
    elements, which more than halves the parse time.
    """

    def __init__(self, accept: Callable[[str, Mapping[Any, Any]], bool]) -> None:
        super().__init__()  # no rules: "tags only", so top-level strings are dropped
        self._accept = accept

    def allow_tag_creation(
        self, nsprefix: str | None, name: str, attrs: Mapping[Any, Any] | None
    ) -> bool:
        return self._accept(name, attrs or {})


def _classes(attrs: Mapping[Any, Any]) -> list[str]:
    value = attrs.get("class") or ""
    return value.split() if isinstance(value, str) else list(value)


def _is_listing_item(name: str, attrs: Mapping[Any, Any]) -> bool:
    return name == "article" and "item" in _classes(attrs)


_EPISODE_DIV_CLASSES = frozenset({"storytitle", "dateblock", "audio-module-controls-wrap"})


def _is_episode_part(name: str, attrs: Mapping[Any, Any]) -> bool:
    if name == "meta":
        return True
    if name == "script":
        kind = str(attrs.get("type") or "").strip().lower()
        return attrs.get("id") == "npr-vars" or kind == "application/ld+json"
    if name == "div":
        return attrs.get("id") == "storytext" or not _EPISODE_DIV_CLASSES.isdisjoint(
            _classes(attrs)
        )
    if name == "li":
        return "audio-tool-transcript" in _classes(attrs)
    return False


_LISTING_PARTS = _Keep(_is_listing_item)
_EPISODE_PARTS = _Keep(_is_episode_part)


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


def _soup(text: str, parts: SoupStrainer) -> BeautifulSoup:
    """The `parts` of `text`, parsed; never a warning from Beautiful Soup's guesses.

    A body without any tag holds nothing to extract (and a short one would make bs4 warn
    that it "looks like a URL"); an XML declaration (XHTML pages, or a feed served where
    a page was expected) would make it warn about XML, and means nothing to HTML.
    """
    if "<" not in text:
        text = ""
    elif text.startswith("<?xml"):
        text = text[text.find(">") + 1 :]
    return BeautifulSoup(drop_chrome_blocks(text), "lxml", parse_only=parts)


def _attr(tag: Tag | None, name: str) -> str | None:
    """An attribute as a control-free, stripped string; None when absent or empty."""
    if tag is None:
        return None
    value = tag.get(name)
    if value is None:
        return None
    text = strip_controls(value if isinstance(value, str) else " ".join(value)).strip()
    return text or None


def _first(*values: str | None) -> str | None:
    return next((value for value in values if value), None)


def _module_audio(module: Tag) -> tuple[Audio | None, dict[str, Any] | None]:
    """The audio of one ``div.audio-module-controls-wrap`` (and its data-audio JSON).

    The duration falls back to the module's ``time.audio-module-duration`` (some 2013
    items say ``"duration": 0`` and their URL has no ``d=``).
    """
    raw = _attr(module, "data-audio")
    data = parse_data_audio(raw) if raw else None
    audio = audio_from_data(data) if data else None
    if audio is not None and audio.duration is None:
        time = module.find("time", class_="audio-module-duration")
        duration = duration_from_iso(_attr(time, "datetime") or "")
        if duration is not None:
            audio = dataclasses.replace(audio, duration=duration)
    return audio, data


def _page_audio(root: Tag) -> tuple[Audio | None, dict[str, Any] | None]:
    """The first data-audio module under `root` that decodes to audio (and its JSON)."""
    for module in root.find_all("div", class_="audio-module-controls-wrap"):
        audio, data = _module_audio(module)
        if audio is not None:
            return audio, data
    return None, None


# --- listings ---------------------------------------------------------------------------


def _item_image(base: str, item: Tag) -> str | None:
    for img in item.find_all("img"):
        src = _first(_attr(img, "data-original"), _attr(img, "src"))
        if src and not src.startswith("data:"):
            return urljoin(base, src)
    return None


def _item_teaser(teaser: Tag | None) -> tuple[datetime | None, str]:
    """The date and the text of a listing item's ``p.teaser``."""
    if teaser is None:
        return None, ""
    time = teaser.find("time", datetime=True)
    published = parse_date(_attr(time, "datetime") or "") if time else None
    # The date is repeated as text ("February 10, 2017 • ") inside the <time>.
    for element in teaser.find_all(["time", "span"]):
        if not element.decomposed and (
            element.name == "time" or "date" in element.get_attribute_list("class")
        ):
            element.decompose()
    return published, clean_text(teaser.get_text()).lstrip("\u2022\u00b7\u0095-\u2013\u2014 ")


_NO_TITLE = "listing item without a title (h2.title)"


def _listing_item(base: str, item: Tag) -> EpisodeRef | Skip:
    heading = item.find("h2", class_="title")
    link = heading.find("a", href=True) if heading else None
    title = clean_text(heading.get_text()) if heading else ""
    module = item.find("div", class_="audio-module-controls-wrap")
    audio, data = _module_audio(module) if module else (None, None)
    uid_story = story_id_from_uid(data.get("uid")) if data else None
    href = _attr(link, "href")
    if heading is None or href is None:
        # No link: an NPR+ exclusive (no public page and no public audio).
        reason = (
            "NPR+ exclusive: the title has no link to a public episode page"
            if heading is not None
            else _NO_TITLE
        )
        return Skip(key=uid_story or title or "?", url=base, reason=reason)
    url = urljoin(base, href)
    published, teaser = _item_teaser(item.find("p", class_="teaser"))
    return EpisodeRef(
        key=story_id_from_url(url) or uid_story or urlsplit(url).path,
        url=url,
        title=title,
        published=published,
        teaser=teaser,
        image_url=_item_image(base, item),
        audio=audio,
    )


# --- episode pages ----------------------------------------------------------------------


def _metas(soup: BeautifulSoup) -> dict[str, str]:
    """``<meta>`` contents by lowercased property/name; the first one of a name wins."""
    found: dict[str, str] = {}
    for meta in soup.find_all("meta"):
        key = _first(_attr(meta, "property"), _attr(meta, "name"))
        content = _attr(meta, "content")
        if key and content:
            found.setdefault(key.lower(), content)
    return found


def _json_objects(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, list):
        for entry in value:
            yield from _json_objects(entry)
    elif isinstance(value, dict):
        yield value
        yield from _json_objects(value.get("@graph"))


def _ld_article(soup: BeautifulSoup) -> dict[str, Any]:
    """The first ld+json object that describes the story (has a headline or a date)."""
    for script in soup.find_all("script", type=True):
        kind = (_attr(script, "type") or "").lower()
        if kind != "application/ld+json" or script.string is None:
            continue
        try:
            data = json.loads(script.string, strict=False)
        except ValueError:
            continue
        for entry in _json_objects(data):
            if "headline" in entry or "datePublished" in entry:
                return entry
    return {}


def _ld_str(value: Any) -> str | None:
    text = clean_text(value) if isinstance(value, str) else ""
    return text or None


def _ld_image(value: Any) -> str | None:
    if isinstance(value, str):
        return _ld_str(value)
    if isinstance(value, dict):
        return _ld_str(value.get("url"))
    if isinstance(value, list):
        return next((url for url in map(_ld_image, value) if url), None)
    return None


_PUBDATE_VAR = re.compile(r'"pubDate"\s*:\s*"(\d{10})"')


def _npr_vars_pubdate(soup: BeautifulSoup) -> str | None:
    script = soup.find("script", id="npr-vars")
    match = _PUBDATE_VAR.search(script.string or "") if script else None
    return match.group(1) if match else None


def _published(sources: Iterable[str | None], fallback: datetime | None) -> datetime | None:
    """The first source with a time of day; else the first day; else `fallback`."""
    first_day: datetime | None = None
    for raw in sources:
        when = parse_date(raw) if raw else None
        if when is None or raw is None:
            continue
        if not is_date_only(raw):
            return when
        first_day = first_day or when
    return first_day or fallback


_CHROME_TAGS = frozenset(
    {"script", "style", "noscript", "template", "aside", "button", "form", "input", "iframe"}
)
_CHROME_CLASSES = frozenset(
    {
        "bucketwrap",  # image, audio, internallink and other "resource" buckets
        "credit-caption",
        "caption",
        "enlarge-options",
        "enlarge_measure",
        "enlarge_html",
        "audio-module",
        "audio-module-controls-wrap",
        "internallink",
        "podcast-tools",
    }
)


def _is_chrome(tag: Tag) -> bool:
    return tag.name in _CHROME_TAGS or not _CHROME_CLASSES.isdisjoint(
        tag.get_attribute_list("class")
    )


def _show_notes(base: str, storytext: Tag | None) -> str:
    """The inner HTML of ``div#storytext`` without the site's chrome, links made absolute."""
    if storytext is None:
        return ""
    for element in storytext.find_all(_is_chrome):
        if not element.decomposed:
            element.decompose()
    for comment in storytext.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    for tag in storytext.find_all(["a", "img"]):
        name = "href" if tag.name == "a" else "src"
        if tag.name == "img" and _attr(tag, "data-original"):
            tag[name] = _attr(tag, "data-original") or ""
        value = _attr(tag, name)
        if value and not value.startswith("#"):
            tag[name] = urljoin(base, value)
    parts: list[str] = []
    for child in storytext.children:
        if isinstance(child, Tag):
            parts.append(child.decode())
        elif isinstance(child, NavigableString):
            if child.strip():
                parts.append(child.output_ready())
            elif parts and parts[-1] != "\n":
                parts.append("\n")  # whitespace between blocks: one newline is enough
    return strip_controls("".join(parts)).strip()


# --- the site ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NprSite(Site):
    """An NPR podcast, paged by ``/get/<podcast id>/render/partial/next?start=N``."""

    podcast_id: str

    kind: ClassVar[str] = "npr"
    example: ClassVar[str] = "https://www.npr.org/podcasts/510289/planet-money"
    pattern: ClassVar[re.Pattern[str]] = re.compile(
        r"^https?://(?:www\.)?npr\.org/(?:podcasts|sections|programs|series|get)/\S*"
    )
    page_size: ClassVar[int] = 24

    @classmethod
    def from_params(cls, origin: str, params: Mapping[str, Any]) -> NprSite:
        """``[params]`` takes one key, ``podcast_id`` (e.g. 510289 for Planet Money)."""
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
        return cls(origin=origin.rstrip("/"), podcast_id=str(number))

    def listing_url(self, index: int) -> str:
        """``{origin}/get/{podcast_id}/render/partial/next?start=1`` (then 25, 49, ...)."""
        start = index * self.page_size + 1
        return f"{self.origin}/get/{self.podcast_id}/render/partial/next?start={start}"

    def parse_listing(self, url: str, text: str) -> Listing:
        """Every ``article.item`` of a listing page (fragment or section archive)."""
        items = [node for node in _soup(text, _LISTING_PARTS).children if isinstance(node, Tag)]
        outcomes = [_listing_item(url, item) for item in items]
        if items and all(
            isinstance(outcome, Skip) and outcome.reason == _NO_TITLE for outcome in outcomes
        ):
            raise ValueError(
                f"{url}: {len(items)} article.item elements but none has an h2.title; "
                "has the NPR listing layout changed?"
            )
        return Listing(
            url=url,
            refs=tuple(outcome for outcome in outcomes if isinstance(outcome, EpisodeRef)),
            skips=tuple(outcome for outcome in outcomes if isinstance(outcome, Skip)),
            item_count=len(items),
        )

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        """The episode from its page; each field falls back to what the listing gave."""
        soup = _soup(text, _EPISODE_PARTS)
        metas = _metas(soup)
        ld = _ld_article(soup)
        storytitle = soup.find("div", class_="storytitle")
        heading = storytitle.find("h1") if storytitle else None
        page_title = _first(
            clean_text(metas.get("og:title", "")),
            clean_text(heading.get_text()) if heading else None,
            _ld_str(ld.get("headline")),
        )
        # The audio first: show notes are cut out of the tree below, modules included.
        audio, audio_data = _page_audio(soup)
        storytext = soup.find("div", id="storytext")
        title = _first(page_title, clean_text(ref.title))
        if title is None or (page_title is None and audio is None and storytext is None):
            raise ValueError(
                f"{url}: no episode title (og:title, div.storytitle h1, ld+json headline), "
                "audio module or div#storytext on the page; has the NPR page layout changed?"
            )
        audio = audio or ref.audio
        if audio is None:
            return Skip(ref.key, url, "no audio on the episode page or the listing")
        if not audio.available:
            return Skip(ref.key, url, "audio not available yet")
        dateblock = soup.find("div", class_="dateblock")
        time = dateblock.find("time", datetime=True) if dateblock else None
        published = _published(
            [
                _attr(time, "datetime"),
                _ld_str(ld.get("datePublished")),
                metas.get("date"),
                _npr_vars_pubdate(soup),
            ],
            ref.published,
        )
        if published is None:
            raise ValueError(f"{url}: no publication date on the page or the listing")
        transcript_item = soup.find("li", class_="audio-tool-transcript")
        transcript = (
            _attr(transcript_item.find("a", href=True), "href") if transcript_item else None
        )
        audio_title = clean_text(str(audio_data.get("title") or "")) if audio_data else ""
        return Episode(
            key=ref.key,
            title=title,
            url=url,
            published=published,
            audio_url=audio.url,
            audio_size=audio.size,
            duration=audio.duration,
            summary=_first(
                clean_text(metas.get("og:description", "")),
                clean_text(metas.get("description", "")),
                _ld_str(ld.get("description")),
                clean_text(ref.teaser),
            )
            or "",
            notes_html=_show_notes(url, storytext),
            image_url=_first(
                urljoin(url, metas.get("og:image", "")) if metas.get("og:image") else None,
                urljoin(url, ld_image) if (ld_image := _ld_image(ld.get("image"))) else None,
                ref.image_url,
            ),
            transcript_url=urljoin(url, transcript) if transcript else None,
            episode_number=episode_number(title) or episode_number(audio_title),
        )
