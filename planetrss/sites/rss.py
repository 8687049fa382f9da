"""An existing podcast feed (RSS 2.0 or Atom) as a source, by URL or file path.

Its items carry everything a feed item needs, so no episode page is ever fetched: one
feed document (and the pages RFC 5005 ``atom:link rel="next"`` links lead to) gives
complete episodes. Parsed with feedparser, which takes real feeds as they come:

- NPR writes ``<guid isPermalink="false">`` (a misspelt attribute): the guid is kept
  verbatim. (podcastparser reads the misspelling as isPermaLink="true" and turns every
  NPR guid into a URL, ``https://feeds.npr.org/510289/481368b3-…``.)
- ``length="0"`` means the length is unknown: None, never 0 bytes.
- ``itunes:explicit`` yes/no/true/false/clean, HTML in descriptions, entities in titles.

and keeps what feeds do right: exact byte lengths, durations (seconds or H:MM:SS),
``itunes:episode``, per-item ``itunes:image``, ``podcast:transcript``, and the guid.

The episode's `key` is the item's guid (its link, then its audio URL, when it has none).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from planetrss.models import Audio, Episode, EpisodeRef, FeedPage, Listing, Skip
from planetrss.sites.base import ExtractError, NextLinks, Site, SiteParamError
from planetrss.sites.extract import clean_text, iso_duration, positive_int


class _Text(HTMLParser):
    """Plain text of an HTML fragment (block ends become spaces)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p", "div", "li"):
            self.parts.append(" ")


def plain_text(fragment: str) -> str:
    """Text of an HTML fragment (or of plain text), whitespace collapsed.

    >>> plain_text("Colquitt. | Subscribe <a href='x'>here</a>.&amp;")
    'Colquitt. | Subscribe here.&'
    """
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    return clean_text("".join(parser.parts))


_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:\.\d+)?$")


def parse_duration(value: str | None) -> int | None:
    """Seconds from ``itunes:duration``: ``1240``, ``20:40``, ``1:02:03``, ``PT20M40S``.

    >>> [parse_duration(v) for v in ("1240", "20:40", "1:02:03", "PT1M5S", "", "soon")]
    [1240, 1240, 3723, 65, None, None]
    """
    text = (value or "").strip()
    if match := _CLOCK.match(text):
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        return positive_int(hours * 3600 + minutes * 60 + seconds)
    return positive_int(text) or iso_duration(text)


def _date(entry: Mapping[str, Any]) -> datetime | None:
    """The item's date with the offset the feed wrote (feedparser's own is UTC only)."""
    for name in ("published", "updated"):
        raw = entry.get(name)
        if not raw:
            continue
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            try:
                when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            except ValueError:
                parsed = entry.get(f"{name}_parsed")
                if parsed is None:
                    continue
                year, month, day, hour, minute, second = parsed[:6]
                when = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return None


def _enclosure(entry: Mapping[str, Any], base: str) -> tuple[str, int | None] | None:
    """The item's audio (or video) file and its byte length; None when it has none."""
    links = [link for link in entry.get("links", ()) if link.get("rel") == "enclosure"]
    links.sort(key=lambda link: not str(link.get("type", "audio")).startswith(("audio", "video")))
    for link in links:
        href = str(link.get("href", "")).strip()
        if href:
            return urljoin(base, href), positive_int(link.get("length"))
    return None


def _notes(entry: Mapping[str, Any]) -> str:
    """The fullest HTML the item has: content:encoded, else its description."""
    best = ""
    for content in entry.get("content", ()):
        value = str(content.get("value", ""))
        if len(value) > len(best):
            best = value
    return best or str(entry.get("summary", ""))


def _link(entry: Mapping[str, Any], base: str) -> str:
    """The item's <link> (absolute), or "" when it has none.

    feedparser also turns a guid without isPermaLink into a link; a guid that is no URL
    (NPR's UUIDs) is not the item's page.
    """
    alternates = [
        str(link.get("href", "")).strip()
        for link in entry.get("links", ())
        if link.get("rel") == "alternate" and link.get("href")
    ]
    raw = alternates[0] if alternates else str(entry.get("link", "")).strip()
    if not raw or (raw == entry.get("id") and not is_remote(raw)):
        return ""
    return urljoin(base, raw)


def episode_from_entry(entry: Mapping[str, Any], base: str) -> Episode | Skip:
    """One feedparser entry as an Episode, or a Skip saying why it cannot be one."""
    enclosure = _enclosure(entry, base)
    link = _link(entry, base)
    key = str(entry.get("id", "")).strip() or link or (enclosure[0] if enclosure else "")
    title = clean_text(str(entry.get("title", "")))
    where = link or base
    if not key:
        return Skip(f"untitled:{title}", where, "item without guid, link or enclosure")
    if enclosure is None:
        return Skip(key, where, "item without an audio enclosure")
    published = _date(entry)
    if published is None:
        return Skip(key, where, "item without a pubDate")
    image = entry.get("image")
    transcript = entry.get("podcast_transcript")
    notes = _notes(entry)
    return Episode(
        key=key,
        title=title or key,
        url=link,
        published=published,
        audio_url=enclosure[0],
        audio_size=enclosure[1],
        duration=parse_duration(entry.get("itunes_duration")),
        summary=plain_text(str(entry.get("summary", "")) or notes),
        notes_html=notes,
        image_url=str(image.get("href"))
        if isinstance(image, Mapping) and image.get("href")
        else None,
        transcript_url=(
            str(transcript["url"])
            if isinstance(transcript, Mapping) and transcript.get("url")
            else None
        ),
        episode_number=positive_int(entry.get("itunes_episode", "")),
    )


def parse_feed(url: str, data: bytes) -> FeedPage:
    """Every item of one feed document (pure); ExtractError when it is not a feed at all."""
    import feedparser  # here: only processes that parse feeds pay for importing it

    # No base URL given: feedparser would resolve a <guid> without isPermaLink against
    # it (NPR's UUIDs became https://feeds.npr.org/510289/<uuid>). Guids stay verbatim;
    # links and enclosures are resolved here, against the feed's own URL.
    parsed = feedparser.parse(data)
    if not parsed.get("version") and not parsed.entries:
        problem = parsed.get("bozo_exception") or "no RSS or Atom feed found"
        raise ExtractError(f"not a podcast feed: {problem}")
    episodes: list[Episode] = []
    skips: list[Skip] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        found = episode_from_entry(entry, url)
        if found.key in seen:
            continue  # a feed that lists an item twice: the first (newest) counts
        seen.add(found.key)
        (skips if isinstance(found, Skip) else episodes).append(found)  # type: ignore[arg-type]
    next_url = next(
        (
            urljoin(url, str(link.get("href")))
            for link in parsed.feed.get("links", ())
            if link.get("rel") == "next" and link.get("href")
        ),
        None,
    )
    return FeedPage(url, tuple(episodes), tuple(skips), next_url, len(parsed.entries))


def is_remote(location: str) -> bool:
    return urlsplit(location).scheme in ("http", "https")


@dataclass(frozen=True)
class RssSite(Site):
    """A podcast feed: `origin` is its URL, or the path of a feed file."""

    kind: ClassVar[str] = "rss"
    example: ClassVar[str] = "https://feeds.npr.org/510289/podcast.xml"
    pattern: ClassVar[re.Pattern[str]] = re.compile(
        r"^https?://\S+?(?:\.xml|\.rss|/rss|/feed|/podcast)/?(?:\?\S*)?$", re.IGNORECASE
    )

    @classmethod
    def from_params(cls, origin: str | None, params: Mapping[str, Any]) -> RssSite:
        """A feed takes no ``[params]``; its `url` (or file path) is the origin."""
        for key in params:
            raise SiteParamError(
                key, "unknown parameter: an rss source takes none, expected only url"
            )
        if not origin:
            raise SiteParamError("url", "missing: expected the feed's URL or a file path")
        return cls(origin=origin)

    def parse_feed(self, url: str, data: bytes) -> FeedPage:
        return parse_feed(url, data)

    @property
    def paging(self) -> NextLinks:
        """A paged feed's pages follow RFC 5005 ``rel="next"`` links from the first.

        (Feed sources are crawled by `planetrss.crawl.crawl_feed`, which also does the
        conditional GET and reads files: a feed item is a complete episode, more than
        an `EpisodeRef` carries.)"""
        return NextLinks(self.origin)

    def parse_listing(self, url: str, text: str) -> Listing:
        page = parse_feed(url, text.encode("utf-8"))
        refs = tuple(
            EpisodeRef(
                e.key,
                e.url or url,
                e.title,
                e.published,
                e.summary,
                e.image_url,
                Audio(e.audio_url, e.duration, e.audio_size),
            )
            for e in page.episodes
        )
        return Listing(url, refs, page.skips, page.item_count, next_url=page.next_url)

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        """The item keyed `ref.key` in the feed document `text` (used by --reparse)."""
        for episode in parse_feed(url, text.encode("utf-8")).episodes:
            if episode.key == ref.key:
                return episode
        raise ExtractError(f"item {ref.key!r} is no longer in {url}")
