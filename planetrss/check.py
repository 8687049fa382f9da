"""Lint a podcast RSS feed against what podcast players need from it.

`check_feed(source)` reads a feed (bytes, a file path or a binary file) and returns
`Finding`s in document order (file, channel, then each item in turn). It reads the feed
incrementally, checking each item as soon as it ends and then dropping it, so memory does
not grow with the number of items (beyond each item's guid, which the duplicate rule
needs). The rules come from Apple's podcast RSS guide, PSP-1 and the Podcast Index
namespace; each has a short stable id, a fixed level and a one-line reason in
`RULES`/`LEVELS`. No network, no files but the one given, no clock unless `now` is left out.

Example:
    >>> findings = check_feed(b"<rss version='2.0'><channel><title>T</title></channel></rss>")
    >>> findings[0].rule, findings[0].where
    ('channel-link-missing', 'channel')
"""

from __future__ import annotations

import contextlib
import difflib
import email.utils
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, Final, Literal, Protocol, TypeAlias, cast
from urllib.parse import urljoin, urlsplit

from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from planetrss.errors import plural
from planetrss.standards import APPLE_CATEGORIES, podcast_guid

__all__ = [
    "LEVELS",
    "RULES",
    "FeedSource",
    "Finding",
    "check_feed",
    "findings_to_json",
]

Level = Literal["error", "warning"]
FeedSource: TypeAlias = "bytes | str | os.PathLike[str] | BinaryIO"
"""A feed to check: its bytes, the path of a file, or a binary file open for reading."""


@dataclass(frozen=True)
class Finding:
    """One problem in a feed.

    `where` is "feed" (the file as a whole), "line L, column C" (XML that does not
    parse), "channel", or an item, e.g. 'item 12 "Episode 653: The Anti-Store" (guid 543994381)'.
    """

    level: Level
    rule: str
    message: str
    where: str


# rule id -> (level, why it matters). The one table every finding is made from.
_RULE_TABLE: Final[dict[str, tuple[Level, str]]] = {
    # the file
    "xml-malformed": ("error", "players and directories refuse a feed that is not well-formed XML"),
    "html-not-feed": (
        "error",
        "players subscribe to a feed (RSS), not to the web page that links to it",
    ),
    "rss-root-invalid": ("error", 'podcast players expect an <rss version="2.0"> document'),
    "rss-channel-count": ("error", "an RSS feed has exactly one <channel>; players read only one"),
    "feed-too-large": (
        "warning",
        "some players (Pocket Casts, reportedly) choke on more than 2000 items or 3 MB; "
        "consider a limit on items",
    ),
    # the channel
    "channel-title-missing": ("error", "the show's title is required by RSS and by Apple"),
    "channel-link-missing": ("error", "RSS requires a <link> to the show's web page"),
    "channel-link-is-feed": (
        "warning",
        "<link> should be the show's web page, not the feed itself (that is atom:link rel=self)",
    ),
    "channel-description-missing": ("error", "RSS and Apple require a show description"),
    "channel-description-too-long": ("error", "Apple rejects a show description over 4000 bytes"),
    "channel-language-missing": (
        "warning",
        "without <language> directories guess the show's language (Apple requires it)",
    ),
    "channel-language-invalid": (
        "error",
        "directories expect an ISO 639 code such as en or en-us",
    ),
    "channel-atom-self-missing": (
        "warning",
        'PSP-1 requires atom:link rel="self" type="application/rss+xml" with the feed\'s URL',
    ),
    "channel-atom-self-invalid": (
        "warning",
        'atom:link rel="self" must carry the feed\'s absolute http(s) URL and '
        'type="application/rss+xml"',
    ),
    "channel-image-missing": ("error", "Apple requires show art in <itunes:image href=...>"),
    "channel-image-format": (
        "warning",
        "Apple wants an http(s) URL to a JPEG or PNG (.jpg/.jpeg/.png); other art may be ignored",
    ),
    "channel-category-missing": ("error", "Apple requires an <itunes:category> from its list"),
    "channel-category-unknown": (
        "error",
        "Apple accepts only the categories on its list; others are ignored or rejected",
    ),
    "channel-category-misplaced": (
        "error",
        "a subcategory counts only when nested inside its own parent category",
    ),
    "channel-explicit-missing": ("error", "Apple requires <itunes:explicit> (true or false)"),
    "channel-explicit-invalid": (
        "error",
        "Apple accepts only true or false; validators now reject yes/no/clean",
    ),
    "channel-author-missing": ("warning", "players show <itunes:author> as the show's author"),
    "channel-owner-missing": (
        "warning",
        "Apple contacts the owner through <itunes:owner><itunes:email>",
    ),
    "channel-type-invalid": ("error", "Apple accepts only episodic or serial"),
    "channel-items-unsorted": (
        "warning",
        "players that trust document order show episodes out of order; list newest first",
    ),
    "podcast-guid-invalid": (
        "error",
        "the Podcast Index identifies a show by a UUID (the UUIDv5 of its feed URL)",
    ),
    "podcast-guid-mismatch": (
        "warning",
        "<podcast:guid> should be the UUIDv5 of the feed URL without scheme and trailing slash",
    ),
    "podcast-locked-invalid": ("error", "the Podcast Index namespace allows only yes or no"),
    "podcast-url-not-https": ("error", "the Podcast Index namespace requires https URLs"),
    # each item
    "item-title-missing": ("error", "players list an episode by its title; RSS requires one"),
    "item-enclosure-missing": ("error", "an episode without an <enclosure> has no media to play"),
    "item-enclosure-multiple": (
        "error",
        "players use only one <enclosure>; which one differs between players",
    ),
    "item-enclosure-url-invalid": (
        "error",
        "the enclosure url must be an absolute http(s) URL or players cannot download it",
    ),
    "item-enclosure-length-missing": (
        "error",
        "RSS requires the enclosure length in bytes (0 when truly unknown)",
    ),
    "item-enclosure-length-invalid": (
        "error",
        "RSS wants the length as a whole number of bytes",
    ),
    "item-enclosure-length-zero": (
        "warning",
        "length unknown: players cannot show the download size or check a download",
    ),
    "item-enclosure-type-missing": (
        "error",
        "RSS requires the enclosure's MIME type; players use it to pick a player",
    ),
    "item-enclosure-type-invalid": (
        "error",
        "a podcast enclosure's type must be an audio/* or video/* MIME type",
    ),
    "item-enclosure-type-mismatch": (
        "warning",
        "the enclosure type disagrees with the file's extension; players may refuse to play it",
    ),
    "item-guid-missing": (
        "error",
        "players then key the episode on its enclosure URL and download it again when that changes",
    ),
    "item-guid-duplicate": (
        "error",
        "players treat items with the same guid as one episode and hide the others",
    ),
    "item-guid-ispermalink": (
        "warning",
        'RSS reads a guid as a permalink URL unless isPermaLink="false"; readers may link to it',
    ),
    "item-guid-ispermalink-spelling": (
        "warning",
        "the attribute is isPermaLink (capital L); other spellings are ignored, "
        "so the guid counts as a permalink URL",
    ),
    "item-pubdate-missing": ("error", "players sort and date episodes by <pubDate>"),
    "item-pubdate-invalid": (
        "error",
        "players need an RFC 2822 date like 'Wed, 16 Aug 2017 09:00:00 -0400'",
    ),
    "item-pubdate-weekday": (
        "error",
        "the weekday contradicts the date; strict parsers reject the date",
    ),
    "item-pubdate-future": (
        "warning",
        "an episode dated in the future is hidden or misordered by players until then",
    ),
    "item-description-too-long": (
        "warning",
        "Apple truncates episode descriptions over 4000 bytes",
    ),
    "item-duration-missing": (
        "warning",
        "without <itunes:duration> players show no length until the download starts",
    ),
    "item-duration-invalid": (
        "error",
        "Apple reads whole seconds (recommended) or [HH:]MM:SS",
    ),
    "item-episode-invalid": ("error", "Apple accepts only a positive integer"),
    "item-season-invalid": ("error", "Apple accepts only a positive integer"),
    "item-episode-type-invalid": ("error", "Apple accepts only full, trailer or bonus"),
    "item-explicit-invalid": (
        "error",
        "Apple accepts only true or false; validators now reject yes/no/clean",
    ),
    "item-transcript-invalid": (
        "error",
        "players need a url and a type (e.g. text/html) to use a transcript",
    ),
}

RULES: Final[dict[str, str]] = {rule: why for rule, (_, why) in _RULE_TABLE.items()}
"""Every rule id and the one-line reason it matters."""

LEVELS: Final[dict[str, Level]] = {rule: level for rule, (level, _) in _RULE_TABLE.items()}
"""Every rule id and its level."""

_PARENT_OF: Final[dict[str, str]] = {
    sub: parent for parent, subs in APPLE_CATEGORIES.items() for sub in subs
}

ITUNES: Final = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM: Final = "http://www.w3.org/2005/Atom"
# The Podcast Index namespace has been published under these URIs; feeds use all three.
PODCAST: Final = frozenset(
    {
        "https://podcastindex.org/namespace/1.0",
        "http://podcastindex.org/namespace/1.0",
        "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    }
)

MAX_DESCRIPTION_BYTES: Final = 4000
MAX_ITEMS: Final = 2000
MAX_FILE_BYTES: Final = 3_000_000

_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_LANGUAGE: Final = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_DURATION: Final = re.compile(r"\d+|\d+:[0-5]?\d|\d+:[0-5]?\d:[0-5]?\d")
_MEDIA_TYPE: Final = re.compile(r"(audio|video)/[A-Za-z0-9][A-Za-z0-9.+-]*")
_IMAGE_SUFFIXES: Final = (".jpg", ".jpeg", ".png")
# Which MIME types fit a file extension (Apple's list plus common open formats).
_TYPES_BY_SUFFIX: Final[dict[str, frozenset[str]]] = {
    ".mp3": frozenset({"audio/mpeg"}),
    ".m4a": frozenset({"audio/x-m4a", "audio/mp4", "audio/m4a"}),
    ".mp4": frozenset({"video/mp4", "audio/mp4"}),
    ".m4v": frozenset({"video/x-m4v", "video/mp4"}),
    ".mov": frozenset({"video/quicktime"}),
    ".aac": frozenset({"audio/aac", "audio/x-aac"}),
    ".ogg": frozenset({"audio/ogg", "video/ogg", "audio/vorbis"}),
    ".oga": frozenset({"audio/ogg"}),
    ".opus": frozenset({"audio/opus", "audio/ogg"}),
    ".wav": frozenset({"audio/wav", "audio/x-wav", "audio/wave"}),
    ".flac": frozenset({"audio/flac", "audio/x-flac"}),
    ".webm": frozenset({"audio/webm", "video/webm"}),
    ".mpg": frozenset({"video/mpeg"}),
    ".mpeg": frozenset({"video/mpeg"}),
}
# Attributes of podcast:* elements that hold URLs.
_PODCAST_URL_ATTRIBUTES: Final = ("url", "href", "uri", "img")


class _Node(Protocol):
    """The part of lxml's element API this module uses (lxml ships no type hints)."""

    tag: object  # a str for elements; a function for comments, PIs and entities
    text: str | None

    attrib: Mapping[str, str]

    def get(self, key: str) -> str | None: ...
    def __iter__(self) -> Iterator[_Node]: ...
    def iter(self) -> Iterator[_Node]: ...
    def itertext(self) -> Iterator[str]: ...


def check_feed(
    source: FeedSource, now: datetime | None = None, *, url: str | None = None
) -> list[Finding]:
    """Check a podcast feed; return its findings in document order.

    `source` is the feed's bytes, a file path or a binary file (read to its end, not
    closed). `now` (timezone-aware; default: the current time) decides what counts as a
    pubDate in the future. `url`, where the feed came from, resolves the links of a web
    page given instead of a feed.

    Example:
        >>> [f.rule for f in check_feed(b"<rss><channel")]
        ['xml-malformed']
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    with _open(source) as stream:
        scan = _Scan(now)
        try:
            scan.read(stream)
        except etree.XMLSyntaxError as exc:
            return [_html_page(stream.head, url) or _malformed(exc, stream.size)]
        if not scan._is_rss() and (page := _html_page(stream.head, url)):
            return [page]  # well-formed XHTML: still a page
        return scan.findings(stream.size)


def findings_to_json(findings: Iterable[Finding]) -> str:
    """Findings as a JSON array of {level, rule, message, where} objects."""
    return json.dumps([asdict(f) for f in findings], indent=2, ensure_ascii=False)


# --- the document ------------------------------------------------------------------------


class _CountingReader:
    """A binary file that counts the bytes read from it (the size rule needs the total)
    and keeps the first of them (a web page's <head>, should it be one)."""

    HEAD = 256 * 1024

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.size = 0
        self.head = b""

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        if self.size < self.HEAD:
            self.head += chunk[: self.HEAD - self.size]
        self.size += len(chunk)
        return chunk


@contextlib.contextmanager
def _open(source: FeedSource) -> Iterator[_CountingReader]:
    if isinstance(source, bytes):
        yield _CountingReader(io.BytesIO(source))
    elif isinstance(source, str | os.PathLike):
        with open(source, "rb") as handle:
            yield _CountingReader(handle)
    else:
        yield _CountingReader(source)


_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html)",
    re.IGNORECASE | re.DOTALL,
)
_FEED_TYPES: Final = ("application/rss+xml", "application/atom+xml")


def _html_page(head: bytes, url: str | None) -> Finding | None:
    """The finding for a web page given instead of a feed, naming the feeds it advertises
    (`<link rel="alternate" type="application/rss+xml" href=...>`); None for anything else."""
    if not _HTML_START.match(head[:4096]):
        return None
    from lxml import html  # type: ignore[import-untyped, unused-ignore]

    try:
        page = html.document_fromstring(head)
    except (etree.ParserError, ValueError):
        page = None
    links = list(page.iter("link", "base", "meta")) if page is not None else []
    # A saved page's links resolve against where it came from, which it often says.
    for node in links:
        rel = (node.get("rel") or "").lower().split()
        if not url and (node.tag == "base" or "canonical" in rel) and node.get("href"):
            url = node.get("href")
        elif not url and node.get("property") == "og:url" and node.get("content"):
            url = node.get("content")
    feeds: list[str] = []
    for link in links:
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if link.tag == "link" and "alternate" in rel and kind in _FEED_TYPES and href:
            title = " ".join((link.get("title") or "").split())
            found = f'"{title}" {urljoin(url or "", href)}' if title else urljoin(url or "", href)
            if found not in feeds:
                feeds.append(found)
    if not feeds:
        what = (
            "an HTML page, not a feed, and it advertises none "
            '(no <link rel="alternate" type="application/rss+xml">)'
        )
    elif len(feeds) == 1:
        what = f"an HTML page, not a feed; it advertises the feed {feeds[0]}"
    else:
        what = f"an HTML page, not a feed; it advertises {len(feeds)} feeds: {', '.join(feeds)}"
    return _finding("html-not-feed", "feed", what)


def _malformed(exc: Any, size: int) -> Finding:
    line, column = exc.position
    reason = re.sub(r", line \d+, column \d+$", "", str(exc.msg))
    if size == 0:
        # The incremental parser says "no element found" at 0:0; say what libxml2 says
        # when it is given the whole (empty) document.
        line, column, reason = 1, 1, "Document is empty"
    where = f"line {line}, column {column}"
    return _finding("xml-malformed", where, f"not well-formed XML: {reason}")


class _Scan:
    """One pass over a feed's XML. Each <item> of the (first) channel is checked when it
    ends and then dropped; the channel when it ends, without its items. Kept across items
    only what rules spanning them need: counts, guids seen, the last pubDate."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.root: _Node | None = None
        self.channels = 0  # <channel> children of the root
        self.items = 0  # <item> children of the first <channel>
        self.channel_findings: list[Finding] = []
        self.item_findings: list[Finding] = []
        self.first_seen: dict[str, int] = {}  # guid -> number of the first item with it
        self.previous_date: datetime | None = None  # of the last item with a valid pubDate
        self.unsorted = 0  # items dated later than the dated item listed before them
        # The first of those: (its place in item_findings, where, its date, the earlier date).
        self.first_unsorted: tuple[int, str, datetime, datetime] | None = None

    def read(self, stream: _CountingReader) -> None:
        # No DTDs, no entity expansion, no network: a feed is untrusted input (XXE, billion
        # laughs).
        events = etree.iterparse(
            stream,
            events=("start", "end"),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        )
        depth = 0
        channel: _Node | None = None  # the first <channel>, the one players read
        for event, element in events:
            node = cast(_Node, element)
            if event == "start":
                if depth == 0:
                    self.root = node
                elif depth == 1 and node.tag == "channel":
                    self.channels += 1
                    if channel is None:
                        channel = node
                depth += 1
                continue
            depth -= 1
            if depth == 2 and node.tag == "item":
                if element.getparent() is channel:
                    self.items += 1
                    if self._is_rss():
                        self._on_item(node)
                _drop_item(element)
            elif depth == 1:
                if node is channel and self._is_rss():
                    self.channel_findings = list(_check_channel(node, _self_url(node)))
                element.clear()  # its items are gone already; the rest is checked now

    def _is_rss(self) -> bool:
        return self.root is not None and self.root.tag == "rss"

    def _on_item(self, item: _Node) -> None:
        number = self.items
        where = _item_where(number, item)
        found = self.item_findings
        found.extend(_check_item(item, where, self.now))
        guid = _child_text(item, "guid")
        if guid:
            if guid in self.first_seen:
                what = f"item {self.first_seen[guid]} has the same guid"
                found.append(_finding("item-guid-duplicate", where, what))
            else:
                self.first_seen[guid] = number
        date = _pubdate(item)
        if date is None:
            return
        previous, self.previous_date = self.previous_date, date
        if previous is not None and date > previous:
            self.unsorted += 1
            if self.first_unsorted is None:
                # Its finding says how many items are out of order: known only at the end.
                self.first_unsorted = (len(found), where, date, previous)

    def findings(self, size: int) -> list[Finding]:
        """All findings in document order, once the whole feed has been read."""
        found: list[Finding] = []
        if self.items > MAX_ITEMS or size > MAX_FILE_BYTES:
            found.append(
                _finding("feed-too-large", "feed", f"{self.items} items in {size:,} bytes")
            )
        root = cast(_Node, self.root)  # a feed that parsed has a root
        if not self._is_rss():
            found.append(
                _finding("rss-root-invalid", "feed", f"the root element is <{_name(root)}>")
            )
            return found
        if root.get("version") != "2.0":
            what = f"<rss> has version={_quote(root.get('version'))}"
            found.append(_finding("rss-root-invalid", "feed", what))
        if self.channels != 1:
            what = f"<rss> has {self.channels} <channel>s"
            found.append(_finding("rss-channel-count", "feed", what))
        if not self.channels:
            return found
        items = self.item_findings
        if self.first_unsorted is not None:
            index, where, date, previous = self.first_unsorted
            what = (
                f"published {date:%Y-%m-%d}, after an item listed before it ({previous:%Y-%m-%d}); "
                f"{plural(self.unsorted, 'item')} out of order"
            )
            items.insert(index, _finding("channel-items-unsorted", where, what))
        return found + self.channel_findings + items


def _drop_item(item: Any) -> None:
    """Free a checked <item> and the emptied one before it: iterparse builds the whole
    tree otherwise."""
    item.clear()
    previous = item.getprevious()
    if previous is not None and previous.tag == "item":
        item.getparent().remove(previous)


# --- the channel -------------------------------------------------------------------------


def _check_channel(channel: _Node, self_url: str | None) -> Iterator[Finding]:
    where = "channel"
    if not _child_text(channel, "title"):
        yield _finding("channel-title-missing", where, _absent(channel, "title"))
    link = _child_text(channel, "link")
    if not link:
        yield _finding("channel-link-missing", where, _absent(channel, "link"))
    elif self_url and link.rstrip("/") == self_url.rstrip("/"):
        yield _finding("channel-link-is-feed", where, f"<link> is the feed URL {link}")
    size = _description_bytes(channel)
    if not size:
        yield _finding("channel-description-missing", where, _absent(channel, "description"))
    elif size > MAX_DESCRIPTION_BYTES:
        yield _finding(
            "channel-description-too-long", where, f"the show description is {size:,} bytes"
        )
    yield from _check_language(channel)
    yield from _check_atom_self(channel)
    yield from _check_channel_image(channel)
    yield from _check_categories(channel)
    explicit = _child(channel, f"{{{ITUNES}}}explicit")
    if explicit is None:
        yield _finding("channel-explicit-missing", where, "no <itunes:explicit>")
    elif _text(explicit) not in ("true", "false"):
        yield _finding(
            "channel-explicit-invalid", where, f"<itunes:explicit> is {_quote(_text(explicit))}"
        )
    if not _child_text(channel, f"{{{ITUNES}}}author"):
        yield _finding("channel-author-missing", where, _absent(channel, f"{{{ITUNES}}}author"))
    owner = _child(channel, f"{{{ITUNES}}}owner")
    if owner is None:
        yield _finding("channel-owner-missing", where, "no <itunes:owner>")
    elif not _child_text(owner, f"{{{ITUNES}}}email"):
        yield _finding("channel-owner-missing", where, "<itunes:owner> has no <itunes:email>")
    show_type = _child_text(channel, f"{{{ITUNES}}}type")
    if show_type is not None and show_type not in ("episodic", "serial"):
        yield _finding("channel-type-invalid", where, f"<itunes:type> is {_quote(show_type)}")
    yield from _check_podcast_channel(channel, self_url)
    for child in channel:
        if child.tag != "item":
            yield from _check_podcast_urls(child, where)


def _description_bytes(node: _Node) -> int:
    """The UTF-8 size of the <description> text (markup in CDATA counts); 0 when absent."""
    return len((_child_text(node, "description") or "").encode("utf-8"))


def _check_language(channel: _Node) -> Iterator[Finding]:
    language = _child_text(channel, "language")
    if not language:
        yield _finding("channel-language-missing", "channel", _absent(channel, "language"))
    elif not _LANGUAGE.fullmatch(language):
        yield _finding("channel-language-invalid", "channel", f"<language> is {_quote(language)}")


def _self_links(channel: _Node) -> list[_Node]:
    return [link for link in _children(channel, f"{{{ATOM}}}link") if link.get("rel") == "self"]


def _self_url(channel: _Node) -> str | None:
    """The feed's own URL from atom:link rel=self, if it is an absolute http(s) URL."""
    for link in _self_links(channel):
        href = (link.get("href") or "").strip()
        if _is_web_url(href):
            return href
    return None


def _check_atom_self(channel: _Node) -> Iterator[Finding]:
    links = _self_links(channel)
    if not links:
        yield _finding("channel-atom-self-missing", "channel", 'no <atom:link rel="self">')
        return
    href, media_type = links[0].get("href"), links[0].get("type")
    if not _is_web_url((href or "").strip()):
        yield _finding(
            "channel-atom-self-invalid", "channel", f"atom:link rel=self has href={_quote(href)}"
        )
    elif media_type != "application/rss+xml":
        yield _finding(
            "channel-atom-self-invalid",
            "channel",
            f"atom:link rel=self has type={_quote(media_type)}",
        )


def _check_channel_image(channel: _Node) -> Iterator[Finding]:
    image = _child(channel, f"{{{ITUNES}}}image")
    href = (image.get("href") or "").strip() if image is not None else ""
    if not href:
        what = "no <itunes:image>" if image is None else "<itunes:image> has no href"
        yield _finding("channel-image-missing", "channel", what)
    elif not _is_web_url(href) or not urlsplit(href).path.lower().endswith(_IMAGE_SUFFIXES):
        yield _finding("channel-image-format", "channel", f"<itunes:image> href is {href}")


def _check_categories(channel: _Node) -> Iterator[Finding]:
    where = "channel"
    categories = _children(channel, f"{{{ITUNES}}}category")
    if not categories:
        yield _finding("channel-category-missing", where, "no <itunes:category>")
    for category in categories:
        text = category.get("text")
        if text is not None and text in APPLE_CATEGORIES:
            for sub in _children(category, f"{{{ITUNES}}}category"):
                yield from _check_subcategory(text, sub.get("text"))
        elif text in _PARENT_OF:
            yield _finding(
                "channel-category-misplaced",
                where,
                f"{_quote(text)} is a subcategory: nest it inside "
                f'<itunes:category text="{_PARENT_OF[text]}">',
            )
        else:
            yield _finding("channel-category-unknown", where, _unknown_category(text))


def _check_subcategory(parent: str, text: str | None) -> Iterator[Finding]:
    if text in APPLE_CATEGORIES[parent]:
        return
    if text in _PARENT_OF:
        what = f"{_quote(text)} belongs under {_quote(_PARENT_OF[text])}, not {_quote(parent)}"
        yield _finding("channel-category-misplaced", "channel", what)
    elif text in APPLE_CATEGORIES:
        what = f"{_quote(text)} is a top-level category, not a subcategory of {_quote(parent)}"
        yield _finding("channel-category-misplaced", "channel", what)
    else:
        yield _finding("channel-category-unknown", "channel", _unknown_category(text))


def _unknown_category(text: str | None) -> str:
    if text is None:
        return "<itunes:category> has no text attribute"
    known = [*APPLE_CATEGORIES, *_PARENT_OF]
    close = difflib.get_close_matches(text, known, n=1)
    hint = f" (did you mean {_quote(close[0])}?)" if close else ""
    return f"{_quote(text)} is not an Apple Podcasts category{hint}"


def _check_podcast_channel(channel: _Node, self_url: str | None) -> Iterator[Finding]:
    where = "channel"
    guid = _podcast_child(channel, "guid")
    if guid is not None:
        value = _text(guid)
        if not _UUID.fullmatch(value):
            yield _finding("podcast-guid-invalid", where, f"<podcast:guid> is {_quote(value)}")
        elif self_url and value.lower() != podcast_guid(self_url):
            yield _finding(
                "podcast-guid-mismatch",
                where,
                f"<podcast:guid> is {value}, but {self_url} gives {podcast_guid(self_url)}",
            )
    locked = _podcast_child(channel, "locked")
    if locked is not None and _text(locked) not in ("yes", "no"):
        yield _finding(
            "podcast-locked-invalid", where, f"<podcast:locked> is {_quote(_text(locked))}"
        )


def _check_podcast_urls(node: _Node, where: str) -> Iterator[Finding]:
    for element in node.iter():
        if _namespace(element) not in PODCAST:
            continue
        for attribute in _PODCAST_URL_ATTRIBUTES:
            value = element.get(attribute)
            if value is not None and not value.strip().lower().startswith("https://"):
                yield _finding(
                    "podcast-url-not-https",
                    where,
                    f"<podcast:{_name(element)}> {attribute} is {_quote(value)}",
                )


# --- the items ---------------------------------------------------------------------------


def _check_item(item: _Node, where: str, now: datetime) -> Iterator[Finding]:
    if not _child_text(item, "title"):
        yield _finding("item-title-missing", where, _absent(item, "title"))
    yield from _check_enclosure(item, where)
    yield from _check_guid(item, where)
    yield from _check_pubdate(item, where, now)
    size = _description_bytes(item)
    if size > MAX_DESCRIPTION_BYTES:
        yield _finding(
            "item-description-too-long", where, f"the episode description is {size:,} bytes"
        )
    yield from _check_itunes_item(item, where)
    yield from _check_transcripts(item, where)
    yield from _check_podcast_urls(item, where)


def _check_enclosure(item: _Node, where: str) -> Iterator[Finding]:
    enclosures = _children(item, "enclosure")
    if not enclosures:
        yield _finding("item-enclosure-missing", where, "no <enclosure>")
        return
    if len(enclosures) > 1:
        yield _finding("item-enclosure-multiple", where, f"{len(enclosures)} <enclosure>s")
    enclosure = enclosures[0]
    url = enclosure.get("url")
    if url is None or not _is_web_url(url.strip()) or re.search(r"\s", url.strip()):
        yield _finding("item-enclosure-url-invalid", where, f"enclosure url is {_quote(url)}")
    length = enclosure.get("length")
    if length is None:
        yield _finding("item-enclosure-length-missing", where, "enclosure has no length")
    elif not length.strip().isdigit() or not length.strip().isascii():
        yield _finding(
            "item-enclosure-length-invalid", where, f"enclosure length is {_quote(length)}"
        )
    elif int(length) == 0:
        yield _finding("item-enclosure-length-zero", where, 'enclosure length is "0"')
    media_type = (enclosure.get("type") or "").strip()
    if not media_type:
        yield _finding("item-enclosure-type-missing", where, "enclosure has no type")
    elif not _MEDIA_TYPE.fullmatch(media_type):
        yield _finding(
            "item-enclosure-type-invalid", where, f"enclosure type is {_quote(media_type)}"
        )
    elif url:
        suffix = _suffix(url)
        expected = _TYPES_BY_SUFFIX.get(suffix)
        if expected is not None and media_type.lower() not in expected:
            yield _finding(
                "item-enclosure-type-mismatch",
                where,
                f"enclosure type {_quote(media_type)} does not fit a {suffix} file "
                f"(expected {' or '.join(sorted(expected))})",
            )


def _check_guid(item: _Node, where: str) -> Iterator[Finding]:
    guid = _child(item, "guid")
    value = _text(guid) if guid is not None else ""
    if guid is None or not value:
        yield _finding("item-guid-missing", where, _absent(item, "guid"))
        return
    misspelled = [k for k in guid.attrib if k.lower() == "ispermalink" and k != "isPermaLink"]
    if misspelled:
        attribute = misspelled[0]
        yield _finding(
            "item-guid-ispermalink-spelling",
            where,
            f'guid has {attribute}="{guid.get(attribute)}"',
        )
    elif not _is_web_url(value) and guid.get("isPermaLink") != "false":
        yield _finding(
            "item-guid-ispermalink",
            where,
            f'guid {_quote(value)} is not a URL and has no isPermaLink="false"',
        )


def _pubdate(item: _Node) -> datetime | None:
    """The item's pubDate as an aware datetime, or None when missing or unparseable."""
    text = _child_text(item, "pubDate")
    return _parse_date(text)[0] if text else None


def _parse_date(text: str) -> tuple[datetime | None, str]:
    """(datetime, "") for an RFC 2822 date, or (None, what is wrong with it)."""
    try:
        date = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, "is not an RFC 2822 date"
    if date.tzinfo is None:
        # email.utils gives a naive datetime both for "-0000" (UTC, zone unknown) and for no zone.
        if not re.search(r"-0000\s*$", text):
            return None, "has no time zone"
        date = date.replace(tzinfo=UTC)
    return date, ""


def _check_pubdate(item: _Node, where: str, now: datetime) -> Iterator[Finding]:
    text = _child_text(item, "pubDate")
    if not text:
        yield _finding("item-pubdate-missing", where, _absent(item, "pubDate"))
        return
    date, problem = _parse_date(text)
    weekday = re.match(r"\s*([A-Za-z]+)\s*,", text)
    if date is None or (weekday and weekday.group(1) not in _WEEKDAYS):
        yield _finding(
            "item-pubdate-invalid",
            where,
            f"pubDate {_quote(text)} {problem or 'has an unknown weekday'}",
        )
        return
    if weekday and weekday.group(1) != _WEEKDAYS[date.weekday()]:
        yield _finding(
            "item-pubdate-weekday",
            where,
            f"pubDate {_quote(text)} says {weekday.group(1)}, "
            f"but {date:%d %b %Y} is a {_WEEKDAYS[date.weekday()]}",
        )
    if date > now:
        yield _finding("item-pubdate-future", where, f"pubDate {_quote(text)} is in the future")


def _check_itunes_item(item: _Node, where: str) -> Iterator[Finding]:
    duration = _child_text(item, f"{{{ITUNES}}}duration")
    if duration is None:
        yield _finding("item-duration-missing", where, "no <itunes:duration>")
    elif not _DURATION.fullmatch(duration):
        yield _finding("item-duration-invalid", where, f"<itunes:duration> is {_quote(duration)}")
    for rule, tag in (("item-episode-invalid", "episode"), ("item-season-invalid", "season")):
        value = _child_text(item, f"{{{ITUNES}}}{tag}")
        if value is not None and not (value.isascii() and value.isdigit() and int(value) > 0):
            yield _finding(rule, where, f"<itunes:{tag}> is {_quote(value)}")
    episode_type = _child_text(item, f"{{{ITUNES}}}episodeType")
    if episode_type is not None and episode_type not in ("full", "trailer", "bonus"):
        yield _finding(
            "item-episode-type-invalid", where, f"<itunes:episodeType> is {_quote(episode_type)}"
        )
    explicit = _child_text(item, f"{{{ITUNES}}}explicit")
    if explicit is not None and explicit not in ("true", "false"):
        yield _finding("item-explicit-invalid", where, f"<itunes:explicit> is {_quote(explicit)}")


def _check_transcripts(item: _Node, where: str) -> Iterator[Finding]:
    for transcript in _podcast_children(item, "transcript"):
        missing = [a for a in ("url", "type") if not (transcript.get(a) or "").strip()]
        if missing:
            yield _finding(
                "item-transcript-invalid",
                where,
                f"<podcast:transcript> has no {' or '.join(missing)}",
            )


# --- small helpers -----------------------------------------------------------------------


def _finding(rule: str, where: str, what: str) -> Finding:
    """A finding whose message says what is wrong, then why it matters (from RULES)."""
    level, why = _RULE_TABLE[rule]
    return Finding(level=level, rule=rule, message=f"{what}; {why}", where=where)


def _children(node: _Node, tag: str) -> list[_Node]:
    return [child for child in node if child.tag == tag]


def _child(node: _Node, tag: str) -> _Node | None:
    return next((child for child in node if child.tag == tag), None)


def _podcast_children(node: _Node, local: str) -> list[_Node]:
    return [c for c in node if _namespace(c) in PODCAST and _name(c) == local]


def _podcast_child(node: _Node, local: str) -> _Node | None:
    found = _podcast_children(node, local)
    return found[0] if found else None


def _text(node: _Node) -> str:
    """The element's text content (CDATA included), stripped."""
    return "".join(node.itertext()).strip()


def _child_text(node: _Node, tag: str) -> str | None:
    """The stripped text of the first child with this tag; None when there is no such child."""
    child = _child(node, tag)
    return None if child is None else _text(child)


def _absent(node: _Node, tag: str) -> str:
    """'no <x>' or '<x> is empty', for a required child that is missing or blank."""
    name = _display_tag(tag)
    return f"<{name}> is empty" if _child(node, tag) is not None else f"no <{name}>"


def _display_tag(tag: str) -> str:
    return tag.replace(f"{{{ITUNES}}}", "itunes:")


def _namespace(node: _Node) -> str | None:
    tag = node.tag
    if isinstance(tag, str) and tag.startswith("{"):
        return tag[1:].partition("}")[0]
    return None


def _name(node: _Node) -> str:
    tag = node.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else "?"


def _is_web_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _suffix(url: str) -> str:
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return ""
    last = path.rpartition("/")[2]
    return "." + last.rpartition(".")[2].lower() if "." in last else ""


def _item_where(number: int, item: _Node) -> str:
    title = _child_text(item, "title")
    guid = _child_text(item, "guid")
    label = f'"{_short(title)}"' if title else "(no title)"
    guid_part = f"(guid {_short(guid)})" if guid else "(no guid)"
    return f"item {number} {label} {guid_part}"


def _short(text: str, limit: int = 80) -> str:
    """Text on one line, at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _quote(value: str | None) -> str:
    return "missing" if value is None else json.dumps(_short(value), ensure_ascii=False)
