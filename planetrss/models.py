"""The records that cross module boundaries: frozen dataclasses, stdlib only.

A listing page yields `EpisodeRef`s (enough to decide whether an episode is new);
an episode page turns a ref into an `Episode` (everything a feed item needs) or a
`Skip` (a reason it cannot be in the feed). Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Audio:
    """An episode's audio file as the site describes it."""

    url: str
    duration: int | None = None  # seconds
    size: int | None = None  # bytes, when the site says; never guessed
    available: bool = True


@dataclass(frozen=True, slots=True)
class EpisodeRef:
    """An episode as a listing page names it.

    `key` is the episode's stable id on its site (NPR's story id): the store keys on
    it and the feed's guid is made from it, so it must never depend on titles, dates
    or tracking query strings.
    """

    key: str
    url: str
    title: str
    published: datetime | None = None
    teaser: str = ""
    image_url: str | None = None
    audio: Audio | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """An item that is deliberately not in the feed, and why (counted in the report)."""

    key: str
    url: str
    reason: str


@dataclass(frozen=True, slots=True)
class Listing:
    """What one listing page holds.

    `item_count` counts every item on the page, skipped ones included. `next_url` is the
    page a "next"/"older" link leads to (paging by next links). `unread` counts items the
    markup holds that could not be read: the crawl reports them as a failure, never
    drops them silently, and never takes such a page for the end of the listing.
    """

    url: str
    refs: tuple[EpisodeRef, ...] = ()
    skips: tuple[Skip, ...] = ()
    item_count: int = 0
    next_url: str | None = None
    unread: int = 0


@dataclass(frozen=True, slots=True)
class FeedPage:
    """What one feed document (a source that is itself a feed) holds: complete episodes,
    the items left out, and the next page of a paged feed (RFC 5005)."""

    url: str
    episodes: tuple[Episode, ...] = ()
    skips: tuple[Skip, ...] = ()
    next_url: str | None = None
    item_count: int = 0


@dataclass(frozen=True, slots=True)
class Episode:
    """Everything a feed item needs, extracted from a site's pages."""

    key: str
    title: str
    url: str
    published: datetime  # timezone-aware
    audio_url: str
    audio_size: int | None = None
    duration: int | None = None
    summary: str = ""  # plain text
    notes_html: str = ""  # the show notes as HTML (sanitized when rendered)
    image_url: str | None = None
    transcript_url: str | None = None
    episode_number: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (dates as ISO 8601 strings)."""
        data = dataclasses.asdict(self)
        data["published"] = self.published.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Episode:
        """The inverse of `to_dict`; unknown keys are an error, not silently dropped."""
        fields = dict(data)
        fields["published"] = datetime.fromisoformat(fields["published"])
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class Published:
    """An item as a feed once published it: its guid is fixed forever.

    `members` are the (source, key) pairs the item was made of, when known (the store's
    registry knows them; an item read back from an old feed file does not). The other
    fields are what matching needs to recognise the item again, and `published` is the
    pubDate listeners already have.
    """

    guid: str
    title: str
    published: datetime  # timezone-aware
    url: str = ""
    audio_url: str = ""
    duration: int | None = None
    members: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["published"] = self.published.isoformat()
        data["members"] = [list(member) for member in self.members]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Published:
        fields = dict(data)
        fields["published"] = datetime.fromisoformat(fields["published"])
        fields["members"] = tuple((str(s), str(k)) for s, k in fields.get("members", ()))
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class Failure:
    """A page that could not be fetched or understood in this build (retried next run)."""

    url: str
    reason: str


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What one build did: the CLI prints it, tests assert on it."""

    feed: str
    output: str | None
    episodes_in_feed: int = 0
    new: int = 0
    cached: int = 0
    skipped: tuple[Skip, ...] = ()
    failed: tuple[Failure, ...] = ()
    requests: int = 0
    listing_pages: int = 0
    bytes_written: int = 0
    written: bool = False  # False when the file already had these exact bytes
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LastBuild:
    """What the last completed build of a feed left behind (read back from its cache):
    what `planetrss serve` shows for a feed before it has built it itself."""

    when: datetime  # when the build finished, UTC
    episodes_in_feed: int
    new: int  # episodes that build added
    failed: int  # pages that failed in it (retried by the next one)
    feed_sha256: str | None  # of the file it wrote (or found current)
