"""Render: cached episodes -> podcast RSS bytes. The one place feedgen is used.

feedgen writes the RSS core (title, link, guid, enclosure, pubDate, description,
content:encoded, atom:link). Our small `PodcastExtension` writes the itunes: and
podcast: elements, because feedgen 1.0's own podcast extension drops image URLs with
a query string (NPR's end in `.jpg?s=1400`) and cannot write `itunes:explicit` as the
`true`/`false` that validators now require.

Rendering is deterministic: the same episodes give the same bytes (lastBuildDate is
the newest episode's date, never the clock). It streams: `render_feed_to` writes the
channel, then one item at a time, so memory stays flat however long the archive is;
`write_feed_stream` puts such a stream in place atomically, and only when it changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import hashlib
import html
import io
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlsplit

import nh3
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from planetrss import __version__
from planetrss.config import Channel, FeedConfig
from planetrss.models import Episode, Published
from planetrss.standards import podcast_guid

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
DESCRIPTION_LIMIT = 4000  # bytes, per Apple and PSP-1

# What we keep of scraped show notes: structure and links, never scripts or styles.
ALLOWED_TAGS = {"p", "br", "a", "em", "strong", "b", "i", "ul", "ol", "li", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_AUDIO_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".ogg": "audio/ogg",
    ".oga": "audio/ogg",
    ".opus": "audio/opus",
    ".wav": "audio/wav",
    ".mp4": "video/mp4",
    ".m4v": "video/x-m4v",
}


def clean_text(text: str) -> str:
    """Remove characters XML 1.0 forbids (lxml refuses them), keep tab/LF/CR."""
    return _CONTROL.sub("", text)


def sanitize_html(html: str) -> str:
    """Show notes safe to publish: paragraphs and links kept, everything active removed."""
    return nh3.clean(
        clean_text(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    ).strip()


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (for descriptions when there is no summary)."""
    text = nh3.clean(clean_text(html), tags=set())
    return re.sub(r"\s+", " ", text).strip()


def truncate_bytes(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary, marked with …."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    cut = data[: limit - len("…".encode())].decode("utf-8", errors="ignore")
    return cut.rstrip() + "…"


def html_paragraph(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """Plain text as one escaped HTML paragraph of at most `limit` bytes.

    Players read <description> as HTML, so plain text must go in escaped ("a < b & c"
    would otherwise lose text or become markup).
    """
    room = limit - len("<p></p>")
    budget = room
    while True:
        escaped = html.escape(truncate_bytes(text, budget), quote=False)
        excess = len(escaped.encode("utf-8")) - room
        if excess <= 0:
            return f"<p>{escaped}</p>"
        budget -= excess


def enclosure_type(url: str) -> str:
    """MIME type from the audio URL's extension (query strings ignored); mp3 by default."""
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    return _AUDIO_TYPES.get(suffix, "audio/mpeg")


# --- the feedgen extension -----------------------------------------------------------


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


@dataclass
class _ChannelData:
    author: str = ""
    image: str = ""
    explicit: bool = False
    type: str = "episodic"
    category: tuple[str, ...] = ()
    owner: tuple[str, str] | None = None
    new_feed_url: str | None = None
    guid: str | None = None
    summary: str = ""
    locked: bool = False


class PodcastExtension(BaseExtension):  # type: ignore[misc]
    """Channel-level itunes: and podcast: elements, written exactly as players expect."""

    def __init__(self) -> None:
        self.data = _ChannelData()

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS, "podcast": PODCAST_NS}

    def extend_rss(self, rss: Any) -> Any:
        channel = rss[0]
        d = self.data
        i = f"{{{ITUNES_NS}}}"
        p = f"{{{PODCAST_NS}}}"
        if d.author:
            _sub(channel, i + "author", d.author)
        if d.summary:
            _sub(channel, i + "summary", d.summary)
        _sub(channel, i + "image", href=d.image)
        if d.category:
            top = etree.SubElement(channel, i + "category", {"text": d.category[0]})
            for sub in d.category[1:]:
                etree.SubElement(top, i + "category", {"text": sub})
        _sub(channel, i + "explicit", "true" if d.explicit else "false")
        _sub(channel, i + "type", d.type)
        if d.owner:
            owner = _sub(channel, i + "owner")
            _sub(owner, i + "name", d.owner[0])
            _sub(owner, i + "email", d.owner[1])
            _sub(channel, p + "locked", "yes" if d.locked else "no", owner=d.owner[1])
        if d.new_feed_url:
            _sub(channel, i + "new-feed-url", d.new_feed_url)
        if d.guid:
            _sub(channel, p + "guid", d.guid)
        return rss


@dataclass
class _ItemData:
    duration: int | None = None
    image: str | None = None
    episode: int | None = None
    transcript: str | None = None


class PodcastEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    """Item-level itunes: and podcast: elements."""

    def __init__(self) -> None:
        self.data = _ItemData()

    def extend_rss(self, item: Any) -> Any:
        d = self.data
        i = f"{{{ITUNES_NS}}}"
        if d.duration is not None:
            _sub(item, i + "duration", str(d.duration))
        if d.image:
            _sub(item, i + "image", href=d.image)
        if d.episode is not None and d.episode > 0:
            _sub(item, i + "episode", str(d.episode))
        _sub(item, i + "episodeType", "full")
        # Podcasting 2.0 requires https URLs; an http transcript is left out, not upgraded.
        if d.transcript and d.transcript.startswith("https://"):
            _sub(item, f"{{{PODCAST_NS}}}transcript", url=d.transcript, type="text/html")
        return item


# --- rendering ------------------------------------------------------------------------


class ByteSink(Protocol):
    """Where a feed is written: anything with `write(bytes)` (a binary file, BytesIO)."""

    def write(self, data: bytes, /) -> object: ...


def select_episodes(config: FeedConfig, episodes: Sequence[Episode]) -> list[Episode]:
    """The feed's items: title filters applied, newest first (ties by key, so the order is
    stable), cut to the `max_items` newest."""
    return [episodes[position] for position in _selection(config, episodes)]


def _selection(config: FeedConfig, episodes: Sequence[Episode]) -> list[int]:
    """The positions in `episodes` of the feed's items, in feed order (see select_episodes).

    Each episode is looked at once and only its (published, key) is kept, so a sequence
    that loads episodes on demand need not hold every one at once.
    """
    include = [re.compile(p) for p in config.include]
    exclude = [re.compile(p) for p in config.exclude]
    chosen = [
        (e.published, e.key, position)
        for position, e in enumerate(episodes)
        if (not include or any(p.search(e.title) for p in include))
        and not any(p.search(e.title) for p in exclude)
    ]
    chosen.sort(key=lambda c: c[:2], reverse=True)  # stable: equal (date, key)s keep their order
    picked = chosen[: config.max_items] if config.max_items else chosen
    return [position for _, _, position in picked]


def render_feed(config: FeedConfig, episodes: Sequence[Episode]) -> bytes:
    """The feed as UTF-8 RSS bytes; same config and episodes -> same bytes.

    Holds the whole feed in memory; `render_feed_to` writes the same bytes item by item.
    """
    buffer = io.BytesIO()
    render_feed_to(config, episodes, buffer)
    return buffer.getvalue()


def render_feed_to(config: FeedConfig, episodes: Sequence[Episode], out: ByteSink) -> int:
    """Write the feed to `out` one item at a time; return the number of items.

    The bytes are exactly `render_feed`'s. Only one item's XML exists at a time, so memory
    does not grow with the archive (beyond the (published, key) per episode the sort needs).

    Example:
        with open("feed.xml", "wb") as out:
            render_feed_to(config, episodes, out)
    """
    positions = _selection(config, episodes)
    newest = episodes[positions[0]] if positions else None
    document = _channel(config, newest).rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    if not document.endswith(_CHANNEL_END):
        raise AssertionError(f"feedgen's channel does not end in {_CHANNEL_END!r}")
    out.write(document[: -len(_CHANNEL_END)])
    items = _ItemSerializer(etree.fromstring(document, _parser()).nsmap)
    for position in positions:
        out.write(items.serialize(_entry(episodes[position]).rss_entry()))
    out.write(_CHANNEL_END)
    return len(positions)


# How lxml's pretty printer closes the channel: the seam where the items go.
_CHANNEL_END = b"  </channel>\n</rss>\n"
_CHANNEL_START = b"<channel>\n"


def _parser() -> Any:
    """A parser for feeds: no DTDs, no entity expansion, no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class _ItemSerializer:
    """One <item> as bytes, exactly as lxml pretty-prints it inside the whole feed.

    lxml indents an element by its depth and writes its namespace prefixes as declared
    above it; so each item is put into an empty <rss><channel> with the feed's namespace
    declarations, serialized, cut out and taken out again. (`etree.xmlfile` cannot give
    the same bytes: it declares every namespace again on each element it writes.)
    """

    def __init__(self, nsmap: dict[str | None, str]) -> None:
        self._root = etree.Element("rss", nsmap=nsmap)
        self._channel = etree.SubElement(self._root, "channel")

    def serialize(self, item: Any) -> bytes:
        self._channel.append(item)  # takes the feed's prefixes (itunes:, not ns0:)
        try:
            text: bytes = etree.tostring(
                self._root, encoding="UTF-8", xml_declaration=False, pretty_print=True
            )
        finally:
            self._channel.remove(item)
        start = text.index(_CHANNEL_START) + len(_CHANNEL_START)
        return text[start : -len(_CHANNEL_END)]


def channel_of(config: FeedConfig, newest: Episode | None) -> Channel:
    """The definition's channel, what it leaves out filled in: the feed's name as title,
    its origin as link, the newest episode's image as show art."""
    channel = config.channel
    title = channel.title or config.name
    site = config.origin
    if site is None and newest is not None:  # the kind knew it: the episodes' site
        parts = urlsplit(newest.url)
        site = f"{parts.scheme}://{parts.netloc}"
    return replace(
        channel,
        title=title,
        link=channel.link or f"{site or ''}/",
        description=channel.description or f"{title}: every episode on {site}",
        image=channel.image or (newest.image_url if newest and newest.image_url else ""),
    )


def _channel(config: FeedConfig, newest: Episode | None) -> FeedGenerator:
    """The feed without items; the newest item's date is its lastBuildDate."""
    channel = channel_of(config, newest)
    fg = FeedGenerator()
    fg.register_extension("podcast", PodcastExtension, PodcastEntryExtension)
    fg.title(clean_text(channel.title))
    if config.public_url:
        fg.link(href=config.public_url, rel="self", type="application/rss+xml")
    fg.link(href=channel.link, rel="alternate")  # after self: feedgen's <link> is the last set
    fg.description(truncate_bytes(clean_text(channel.description)))
    fg.language(channel.language)
    fg.generator(f"planetrss {__version__}")
    if channel.copyright:
        fg.copyright(channel.copyright)
    fg.image(url=channel.image, title=channel.title, link=channel.link)
    if newest is not None:
        fg.lastBuildDate(newest.published)
    fg.podcast.data = _ChannelData(
        author=channel.author,
        image=channel.image,
        explicit=channel.explicit,
        type=channel.type,
        category=channel.category,
        owner=(channel.owner.name, channel.owner.email) if channel.owner else None,
        guid=podcast_guid(config.public_url) if config.public_url else None,
        summary=truncate_bytes(clean_text(channel.description)),
        new_feed_url=channel.new_feed_url,
        locked=channel.locked,
    )
    return fg


def _entry(episode: Episode) -> FeedEntry:
    """The feedgen entry of one episode, with our podcast extension."""
    entry = FeedEntry()
    entry.register_extension("podcast", PodcastEntryExtension)
    title = clean_text(episode.title)
    title = title if title.strip() else episode.key  # feedgen refuses an item without one
    entry.title(title)
    entry.guid(episode.key, permalink=False)
    entry.link(href=episode.url)
    entry.pubDate(_aware(episode.published))
    notes = sanitize_html(episode.notes_html)
    summary = clean_text(episode.summary).strip() or html_to_text(notes) or title
    entry.description(html_paragraph(summary))
    if notes:
        entry.content(notes)  # escaped text, not CDATA: a "]]>" in notes stays harmless
    entry.enclosure(
        url=episode.audio_url,
        length=str(episode.audio_size or 0),
        type=enclosure_type(episode.audio_url),
    )
    entry.podcast.data = _ItemData(
        duration=episode.duration,
        image=episode.image_url,
        episode=episode.episode_number,
        transcript=episode.transcript_url,
    )
    return entry


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # records are aware; this guards hand-made ones
        raise ValueError(f"naive datetime {moment!r}: episode dates must carry a timezone")
    return moment


# --- writing --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedWrite:
    """What `write_feed_stream` did: `written` is False when the file already had these
    bytes (and was left alone); `size` and `sha256` describe the feed's bytes either way."""

    written: bool
    size: int
    sha256: str


def write_feed(path: Path, data: bytes) -> bool:
    """Replace `path` with `data` atomically; False (file left alone) when unchanged.

    See `write_feed_stream`, which this is a shorthand for.
    """
    return write_feed_stream(path, lambda out: out.write(data)).written


def write_feed_stream(
    path: Path,
    render: Callable[[ByteSink], object],
    *,
    check: Callable[[Path], object] | None = None,
) -> FeedWrite:
    """Replace `path` atomically with what `render` writes; unchanged bytes leave it alone.

    `render` writes into a temporary file in the same folder; `check`, if given, is then
    called with that file's path and may raise to refuse it (the old feed stays). The new
    bytes are compared with the old file by size and SHA-256, read in chunks, never whole.
    When they differ the temporary file is fsynced and renamed over the old one, so a
    reader (or a crash) sees the old feed or the new one, never half. Leaving an unchanged
    file alone keeps its mtime, so HTTP caches (ETag, Last-Modified) keep holding.

    Example:
        write_feed_stream(path, lambda out: render_feed_to(config, episodes, out))
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    renamed = False
    try:
        with os.fdopen(fd, "wb") as handle:
            sink = _HashingWriter(handle)
            render(sink)
            handle.flush()
            if check is not None:
                check(temp)
            result = FeedWrite(True, sink.size, sink.hash.hexdigest())
            if _has_content(path, result.size, result.sha256):
                return dataclasses.replace(result, written=False)
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it 0600; a feed is meant to be served
        os.replace(temp, path)
        renamed = True
    finally:
        if not renamed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
    # The rename itself is durable only once the folder is synced.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return result


class _HashingWriter:
    """Writes through to a file, counting and hashing the bytes on the way."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self._raw.write(data)


def _has_content(path: Path, size: int, sha256: str) -> bool:
    """Whether the file at `path` has exactly this size and SHA-256 (read in chunks)."""
    try:
        with path.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size != size:
                return False
            return hashlib.file_digest(handle, "sha256").hexdigest() == sha256
    except FileNotFoundError:
        return False


def read_guids(path: Path) -> set[str]:
    """The item guids of an existing feed file; empty when there is none or it is unreadable.

    Reads the file item by item: only the guids are kept, never the whole tree.
    """
    guids: set[str] = set()
    try:
        with path.open("rb") as handle:
            for _, item in etree.iterparse(
                handle, events=("end",), tag="item", resolve_entities=False, no_network=True
            ):
                parent = item.getparent()
                grandparent = None if parent is None else parent.getparent()
                if grandparent is None or grandparent.getparent() is not None:
                    continue  # not at root/channel/item: the root, or nested deeper
                if parent.tag == "channel":
                    texts = ((g.text or "").strip() for g in item.iterchildren("guid"))
                    guids.update(text for text in texts if text)
                _drop_item(item)
    except OSError:
        return set()
    except etree.XMLSyntaxError:
        return set()  # a broken previous feed is nothing to protect
    return guids


def read_published(path: Path) -> list[Published]:
    """The items of an existing feed file as published records (guid, title, pubDate,
    link, enclosure, duration): what a build whose cache was lost matches its episodes
    against to keep their guids. Empty when there is no readable file."""
    found: list[Published] = []
    try:
        with path.open("rb") as handle:
            for _, item in etree.iterparse(
                handle, events=("end",), tag="item", resolve_entities=False, no_network=True
            ):
                parent = item.getparent()
                if parent is not None and parent.tag == "channel":
                    record = _published_item(item)
                    if record is not None:
                        found.append(record)
                _drop_item(item)
    except (OSError, etree.XMLSyntaxError):
        return []
    return found


def _published_item(item: Any) -> Published | None:
    def text(tag: str) -> str:
        return (item.findtext(tag) or "").strip()

    guid = text("guid")
    try:
        published = email.utils.parsedate_to_datetime(text("pubDate"))
    except (TypeError, ValueError, IndexError):
        return None
    if not guid or published.tzinfo is None:
        return None
    enclosure = item.find("enclosure")
    duration = text(f"{{{ITUNES_NS}}}duration")
    return Published(
        guid=guid,
        title=text("title"),
        published=published,
        url=text("link"),
        audio_url=(enclosure.get("url") or "") if enclosure is not None else "",
        duration=int(duration) if duration.isdigit() else None,
    )


def _drop_item(item: Any) -> None:
    """Free a finished top-level <item> and the emptied one before it (iterparse builds
    the whole tree otherwise)."""
    item.clear()
    previous = item.getprevious()
    if previous is not None and previous.tag == "item":
        item.getparent().remove(previous)
