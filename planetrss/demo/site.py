"""The demo site: a deterministic generator of an NPR-style podcast website (pure, no I/O).

`DemoSite` answers request targets (`respond("/get/510289/render/partial/next?start=25")`)
with pages rendered on demand from the episode index: nothing is stored per episode, and
the same arguments always give the same bytes. `episode(i)` gives the truth about episode
`i` (1 = oldest) so tests can hold a built feed against it.

URL scheme (paths on the demo server's origin):

    /get/<podcast id>/render/partial/next?start=N[&count=C]   listing fragment, 24 items, newest first
    /get/<podcast id>/remainingCount?start=N                   plain integer
    /sections/money/YYYY/MM/DD/<story id>/<slug>               episode page (numeric ids)
    /YYYY/MM/DD/nx-s1-<7 digits>/<slug>                        episode page (newest 5%)
    /transcripts/<story id>                                    transcript page (about half)
    /media/<story id>.mp3                                      audio: silent MP3 of the declared size
    /feeds/<podcast id>/podcast.xml                            the official-style feed: the newest
                                                               `official_items` episodes
    /track/<id>/<host>/<path>                                  a tracker: redirects to http://<host>/<path>
    /podcasts/<podcast id>/planet-money                        the show's page
    /robots.txt

Example:

    >>> site = DemoSite(episodes=30, page_bytes=20_000)
    >>> site.respond("/get/510289/remainingCount?start=25").body
    b'6'
    >>> site.episode(30).key == site.episode(30).url.split("/")[-2]
    True
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import html
import json
import math
import re
import struct
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache, partial
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlsplit

from planetrss.demo import _chrome

PAGE_SIZE: Final = 24
"""Items on a full listing page."""

HTML: Final = "text/html; charset=utf-8"
SHOW_TITLE: Final = "Planet Money"
SHOW_SLUG: Final = "planet-money"
DEFAULT_ORIGIN: Final = "http://127.0.0.1"

Kind = Literal["listing", "count", "episode", "transcript", "media", "other"]
KINDS: Final[tuple[Kind, ...]] = ("listing", "count", "episode", "transcript", "media", "other")

# The initial episodes are spread evenly over this span, the newest near its end; episodes
# added later continue at the same pace, so adding episodes never moves an existing one.
_START: Final = datetime(2008, 9, 5, 16, 0, tzinfo=UTC)
_END: Final = datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
_EDT: Final = timezone(timedelta(hours=-4))
_EST: Final = timezone(timedelta(hours=-5))

# Story ids live in disjoint bins (one per episode index), so they are unique and a
# story id maps back to its episode without any table: 9 digits for the first 22,500.
_ID_BASE: Final = 100_000_000
_ID_STRIDE: Final = 40_000
_NX_BASE: Final = 1_000_000
_NX_STRIDE: Final = 300
_MEDIA_HOST: Final = "https://media.npr.org/assets/img"

_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Word lists for titles and notes: apostrophes, ampersands, quotes and non-ASCII letters
# are in on purpose, so that escaping is exercised on every page.
_ADJECTIVES: Final = (
    "Invisible", "Secret", "Great", "Last", "Hidden", "Strange", "Tiny", "Broken", "Lost",
    "Golden", "Free", "Cheap", "Unlikely", "Accidental", "Big", "Little", "Perfect", "Fake",
    "Sticky", "Phantom", "Rogue", "Lonely", "Frozen", "Borrowed", "Forgotten", "Impossible",
)  # fmt: skip
_NOUNS: Final = (
    "Store", "Bank", "Dollar", "Economy", "Tariff", "Mortgage", "Bubble", "Market", "Factory",
    "Algorithm", "Coupon", "Loan", "Pension", "Auction", "Strike", "Patent", "Mattress",
    "Banana", "Lobster", "Café", "Piñata", "Spreadsheet", "Invoice", "Subsidy", "Wage",
    "Landlord", "Lottery", "Barrel", "Egg", "Cow", "Toaster", "Container", "Port", "Trucker",
    "Receipt", "Vending Machine", "Penny", "Gold Bar", "Stock", "Bond",
)  # fmt: skip
_PREFIXES: Final = ("Anti-", "Mega-", "Un-", "Post-", "Super-", "Pre-")
_PLACES: Final = (
    "Ukraine", "Iceland", "Ohio", "Bangladesh", "Nigeria", "Texas", "Chile", "Japan",
    "Wall Street", "Detroit", "Greece", "Kenya", "Peru", "Zürich", "São Paulo", "Kansas",
)  # fmt: skip
_VERBS: Final = ("Sell", "Buy", "Price", "Fix", "Break", "Build", "Steal", "Tax", "Print", "Ship")
_PAST: Final = ("Bought", "Sold", "Broke", "Saved", "Fooled", "Robbed", "Taxed", "Cornered")
_TITLES: Final = (
    "The {prefix}{Noun}",
    "The {Adj} {Noun}",
    "The {Noun}'s {Noun2}",
    "How To {Verb} A {Noun}",
    "{Noun} & {Noun2}",
    "Rough Translation In {Place}",
    "The {Noun} That {Past} {Place}",
    "{Place}'s {Noun} Problem",
    'The "{Adj}" {Noun}',
    "Who Owns The {Noun}?",
    "Bring Back The {Noun}",
    "A {Adj} Guide To The {Noun}",
)
_TEASERS: Final = (
    "{Place} has a {noun} problem. Today on the show: how it got there, and who pays for it.",
    "Nobody wanted to buy the {noun}. Then, almost overnight, everybody did.",
    "It's the story of a {adj} {noun}, a {noun2} & the people who bet on both.",
    "Economists said the {noun} couldn't work. In {Place}, somebody tried it anyway.",
    'What happens when a "{adj}" {noun} meets the real economy? We went to {Place} to find out.',
)
_SENTENCES: Final = (
    "It used to be that if you ran a {noun}, you wanted to make things easy for your customers.",
    "In {Place}, a {adj} {noun} turned into one of the strangest markets we have ever seen.",
    "The numbers looked fine on paper. The {noun2}, it turned out, told a different story.",
    "We called everyone we could find who had ever tried to {verb} a {noun}.",
    "Some of them got rich. Most of them didn't, and they're still a little mad about it.",
    "Today on the show: why the {noun} costs what it costs, and who decided that.",
    "Along the way there's a {adj} {noun2}, a court case and one very patient accountant.",
)
_PEOPLE: Final = (
    "Ada Lindqvist", "Marcus Oyelaran", "Priya Castellano", "Tomás Ferreira",
    "June Halvorsen", "Dev Okafor", "Lena Marsh", "Sam Ibarra",
)  # fmt: skip
_SONGS: Final = ("Heatwave", "Paper Money", "Supply Side", "Bull Run", "Small Change")


# Every random choice about an episode has a slot in one digest of (seed, index), so an
# episode costs one hash, and no choice depends on the order others are made in.
_SALTS: Final = (
    "id", "nx", "time", "noun", "noun2", "adj", "prefix", "place", "verb", "past",
    "title", "numbered", "teaser", "rerun", "rerun-of", "paragraphs", "sentences",
    "duration", "size", "size-in-url", "transcript", "media", "host1", "host2", "guest",
    "photo", "double", "bytes", "song", "t0", "t1", "t2", "t3", "t4", "t5",
)  # fmt: skip
_SLOTS: Final = {salt: slot for slot, salt in enumerate(_SALTS)}


def _draws(seed: int, index: int) -> tuple[int, ...]:
    """Episode `index`'s random numbers (32 bits each), one per `_SLOTS` entry, stable across runs."""
    digest = hashlib.shake_256(f"planetrss-demo:{seed}:{index}".encode()).digest(4 * len(_SLOTS))
    return struct.unpack(f">{len(_SLOTS)}I", digest)


def _eastern(utc: datetime) -> datetime:
    """`utc` in US Eastern time (the 2007+ daylight-saving rules), as a fixed offset."""
    year = utc.year
    march_first = datetime(year, 3, 1, tzinfo=UTC)
    second_sunday = 1 + (6 - march_first.weekday()) % 7 + 7
    november_first = datetime(year, 11, 1, tzinfo=UTC)
    first_sunday = 1 + (6 - november_first.weekday()) % 7
    dst_start = datetime(year, 3, second_sunday, 7, tzinfo=UTC)
    dst_end = datetime(year, 11, first_sunday, 6, tzinfo=UTC)
    return utc.astimezone(_EDT if dst_start <= utc < dst_end else _EST)


def npr_json(value: Any) -> str:
    """JSON as NPR's pages carry it: compact, ASCII, `\\/`-escaped, no quote or tag characters.

    Safe inside a single-quoted HTML attribute and inside a `<script>`:
    `npr_json({"a": "x/y's"}) == '{"a":"x\\\\/y\\\\u0027s"}'`.
    """
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return (
        text.replace("/", "\\/")
        .replace("'", "\\u0027")
        .replace("<", "\\u003C")
        .replace(">", "\\u003E")
    )


def slugify(title: str) -> str:
    """NPR-style URL slug: `slugify("Episode 443: Don't Believe") == "episode-443-dont-believe"`."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower().replace("'", "")).strip("-")


def iso_duration(seconds: int) -> str:
    """The `time.audio-module-duration` form: `iso_duration(1337) == "P22M,17S"`."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"P{hours}H," if hours else "P") + f"{minutes}M,{secs}S"


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _long_date(when: datetime) -> str:
    return f"{_MONTHS[when.month - 1]} {when.day}, {when.year}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True, slots=True)
class DemoEpisode:
    """The truth about one demo episode: what a correct crawl must find for it.

    `url`, `audio_url` and `transcript_url` are absolute on the site's origin.
    `audio_url` is the decoded URL (also when the page carries it base64-encoded);
    `size` is the file's true length, whether or not the URL's `size=` says it
    (`size_in_url`). `image_url` is the page's `og:image`. Exclusive (NPR+) episodes
    have no public page or audio; unavailable ones say `"available":false`.
    """

    index: int  # 1 = oldest
    key: str  # the story id
    number: int | None  # the "Episode N:" number, when the title has one
    title: str
    slug: str
    path: str
    url: str
    published: datetime  # aware, US Eastern offset
    teaser: str
    notes_html: str
    image_url: str
    audio_url: str
    duration: int  # seconds
    size: int  # bytes
    size_in_url: bool
    transcript_url: str | None
    media_id: str
    exclusive: bool
    available: bool
    base64_audio: bool  # data-audio's audioUrl is base64-encoded
    listing_audio: bool  # the listing item carries the audio module
    double_audio: bool  # the episode page carries the audio module twice
    ld_json: bool  # the episode page has a JSON-LD block
    byline: tuple[str, ...]

    @property
    def in_feed(self) -> bool:
        """Whether a correct build puts this episode in the feed."""
        return not self.exclusive and self.available


@dataclass(frozen=True, slots=True)
class Response:
    """One answer of the site. `length`, when set, means an MP3 file of that many bytes
    (planetrss.demo.audio), which the server generates as it sends it."""

    status: int
    kind: Kind
    body: bytes = b""
    content_type: str = HTML
    headers: tuple[tuple[str, str], ...] = ()
    length: int | None = None

    @property
    def content_length(self) -> int:
        return len(self.body) if self.length is None else self.length


_LISTING = re.compile(r"/get/(?P<pid>[^/]+)/render/partial/next/?")
_COUNT = re.compile(r"/get/(?P<pid>[^/]+)/remainingCount/?")
_EPISODE = re.compile(
    r"(?:/sections/money)?/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<key>\d+|nx-s1-\d+)(?:/(?P<slug>[^/]*))?/?"
)
_TRANSCRIPT = re.compile(r"/transcripts/(?P<key>[^/]+)/?")
_MEDIA = re.compile(r"/media/(?:NPR)?(?P<key>[^/]+)\.mp3")
_OFFICIAL = re.compile(r"/feeds/(?P<pid>[^/]+)/podcast\.xml")
_TRACKER = re.compile(r"/track/[^/]+/(?P<target>[^/]+/.+)")
_SHOW = re.compile(r"/podcasts/(?P<pid>[^/]+)(?:/[^/]*)?/?")


class DemoSite:
    """A deterministic NPR-style podcast site of `episodes` episodes (1 = oldest).

    Pages are rendered on request from the episode index; the same arguments give the
    same bytes. Episode pages are padded with page chrome to `page_bytes` ± 15%.
    Set `origin` (the server does) before reading URLs: they are absolute, like NPR's.
    """

    def __init__(
        self,
        episodes: int = 300,
        podcast_id: str = "510289",
        seed: int = 0,
        page_bytes: int = 90_000,
        origin: str = DEFAULT_ORIGIN,
        official_items: int = 40,
    ) -> None:
        if episodes < 0:
            raise ValueError(f"episodes must be >= 0, not {episodes}")
        self.podcast_id = podcast_id
        self.seed = seed
        self.page_bytes = page_bytes
        self.origin = origin.rstrip("/")
        self.official_items = official_items
        self._initial = episodes
        self._count = episodes
        self._gap = (_END - _START) / max(episodes, 1)
        # The newest 5% of the initial episodes (and all added later) are 2024-style pages.
        self._nx_from = episodes - math.ceil(episodes * 0.05) + 1
        self._draws = lru_cache(maxsize=4096)(partial(_draws, seed))
        # Listing misbehaviour seen on npr.org, for the crawler's tests: items whose
        # </article> is missing (an HTML parser then nests the rest of the page inside
        # the first item), and pages holding fewer items than a full one (by 1-based
        # start offset: how many of the page's items are served).
        self.unclosed_articles = False
        self.short_pages: dict[int, int] = {}

    def __repr__(self) -> str:
        return (
            f"DemoSite(episodes={self._count}, podcast_id={self.podcast_id!r}, "
            f"seed={self.seed}, page_bytes={self.page_bytes})"
        )

    def __len__(self) -> int:
        return self._count

    @property
    def episode_count(self) -> int:
        """Episodes on the site, exclusive and unavailable ones included."""
        return self._count

    def add_episodes(self, n: int) -> None:
        """Publish `n` newer episodes (they appear at the top of listing page 1)."""
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        self._count += n

    # -- the truth ---------------------------------------------------------------------

    def _h(self, index: int, salt: str) -> int:
        return self._draws(index)[_SLOTS[salt]]

    def _pick(self, options: tuple[str, ...], index: int, salt: str) -> str:
        return options[self._h(index, salt) % len(options)]

    def _key(self, index: int) -> str:
        if index >= self._nx_from:
            return (
                f"nx-s1-{_NX_BASE + (index - 1) * _NX_STRIDE + self._h(index, 'nx') % _NX_STRIDE}"
            )
        return str(_ID_BASE + (index - 1) * _ID_STRIDE + self._h(index, "id") % _ID_STRIDE)

    def _published(self, index: int) -> datetime:
        jitter = (self._h(index, "time") % 1000) / 1000 * 0.6
        when = _END - self._gap * (self._initial - index + jitter)
        return _eastern(when.replace(second=0, microsecond=0))

    def _words(self, index: int) -> dict[str, str]:
        noun = self._pick(_NOUNS, index, "noun")
        noun2 = self._pick(_NOUNS, index, "noun2")
        if noun2 == noun:
            noun2 = _NOUNS[(_NOUNS.index(noun) + 1) % len(_NOUNS)]
        adj = self._pick(_ADJECTIVES, index, "adj")
        return {
            "Noun": noun,
            "Noun2": noun2,
            "noun": noun.lower(),
            "noun2": noun2.lower(),
            "Adj": adj,
            "adj": adj.lower(),
            "prefix": self._pick(_PREFIXES, index, "prefix"),
            "Place": self._pick(_PLACES, index, "place"),
            "Verb": self._pick(_VERBS, index, "verb"),
            "verb": self._pick(_VERBS, index, "verb").lower(),
            "Past": self._pick(_PAST, index, "past"),
        }

    def _title(self, index: int) -> tuple[str, int | None]:
        base = self._pick(_TITLES, index, "title").format(**self._words(index))
        if index < self._nx_from and self._h(index, "numbered") % 100 < 85:
            return f"Episode {index}: {base}", index
        return base, None

    def _path(self, index: int) -> str:
        when = self._published(index)
        title, _ = self._title(index)
        day = f"{when.year:04d}/{when.month:02d}/{when.day:02d}"
        prefix = "" if index >= self._nx_from else "/sections/money"
        return f"{prefix}/{day}/{self._key(index)}/{slugify(title)}"

    def _notes(self, index: int, words: dict[str, str]) -> str:
        paragraphs: list[str] = []
        if index > 50 and self._h(index, "rerun") % 8 == 0:
            original = 1 + self._h(index, "rerun-of") % (index - 1)
            year = self._published(original).year
            paragraphs.append(
                f'<p><em>Note: This episode originally ran in <a href="{self.origin}'
                f'{self._path(original)}" target="_blank">{year}</a>.</em></p>'
            )
        count = 2 + self._h(index, "paragraphs") % 3
        order = self._h(index, "sentences")
        for n in range(count):
            first, second = (
                _SENTENCES[(order + k) % len(_SENTENCES)].format(**words)
                for k in (2 * n, 2 * n + 1)
            )
            text = _esc(f"{first} {second}")
            if n == 1:
                link = f"https://example.com/{words['noun'].replace(' ', '-')}/{index}"
                text += f' <a href="{link}">Read the <em>{_esc(words["noun"])}</em> report.</a>'
            paragraphs.append(f"<p>{text}</p>")
        song = self._pick(_SONGS, index, "song")
        paragraphs.append(
            f'<p><em>Music: "</em><a href="https://example.com/music/{slugify(song)}">'
            f'<em>{song}</em></a><em>." Find us: </em>'
            '<a href="https://twitter.com/planetmoney" target="_blank"><em>Twitter</em></a>'
            '<em> / </em><a href="https://www.facebook.com/planetmoney" target="_blank">'
            "<em>Facebook</em></a><em>.</em></p>"
        )
        paragraphs.append(
            '<p><em>Subscribe to our show on </em><a href="https://podcasts.apple.com/us/'
            'podcast/planet-money/id290783428" target="_blank"><em>Apple Podcasts</em></a>'
            "<em> or wherever you get your podcasts.</em></p>"
        )
        return "   ".join(paragraphs)

    def episode(self, index: int) -> DemoEpisode:
        """The truth about episode `index` (1 = oldest, `len(site)` = newest)."""
        if not 1 <= index <= self._count:
            raise IndexError(f"episode {index} is not on the site (1..{self._count})")
        key = self._key(index)
        words = self._words(index)
        title, number = self._title(index)
        published = self._published(index)
        path = self._path(index)
        s = self.seed
        exclusive = (index + 7 * s + 13) % 50 == 0
        available = exclusive or (index + 3 * s + 29) % 100 != 0
        duration = 900 + self._h(index, "duration") % 1501
        size = duration * 16_000 + self._h(index, "size") % 48_000
        size_in_url = self._h(index, "size-in-url") % 100 >= 20
        query = f"d={duration}" + (f"&size={size}" if size_in_url else "")
        audio_url = f"{self.origin}/media/{key}.mp3?{query}&p={self.podcast_id}&e={key}&t=podcast"
        img_hash = hashlib.sha1(f"{s}:{index}:image".encode()).hexdigest()
        img_name = slugify(words["noun"]).replace("-", "") + f"{index % 1000:03d}"
        day = f"{published.year:04d}/{published.month:02d}/{published.day:02d}"
        has_transcript = not exclusive and self._h(index, "transcript") % 2 == 0
        nx = index >= self._nx_from
        media = (
            f"nx-s1-{_NX_BASE + self._h(index, 'media') % 8_000_000}"
            if nx
            else str(int(key) + 1 + self._h(index, "media") % 30_000)
        )
        first, second = self._pick(_PEOPLE, index, "host1"), self._pick(_PEOPLE, index, "host2")
        return DemoEpisode(
            index=index,
            key=key,
            number=number,
            title=title,
            slug=path.rsplit("/", 1)[1],
            path=path,
            url=self.origin + path,
            published=published,
            teaser=self._pick(_TEASERS, index, "teaser").format(**words),
            notes_html=self._notes(index, words),
            image_url=f"{_MEDIA_HOST}/{day}/{img_name}_wide-{img_hash}.jpg?s=1400",
            audio_url=audio_url,
            duration=duration,
            size=size,
            size_in_url=size_in_url,
            transcript_url=f"{self.origin}/transcripts/{key}" if has_transcript else None,
            media_id=media,
            exclusive=exclusive,
            available=available,
            base64_audio=not exclusive and (index + s) % 10 == 3,
            listing_audio=not exclusive and (not available or (index + s) % 10 not in (1, 4, 8)),
            double_audio=self._h(index, "double") % 10 == 0,
            ld_json=nx,
            byline=(first,) if first == second else (first, second),
        )

    def episodes(self) -> Iterator[DemoEpisode]:
        """Every episode, oldest first."""
        for index in range(1, self._count + 1):
            yield self.episode(index)

    def find(self, key: str) -> int | None:
        """The index of the episode whose story id is `key`, or None."""
        try:
            if key.startswith("nx-s1-"):
                index = (int(key[6:]) - _NX_BASE) // _NX_STRIDE + 1
            else:
                index = (int(key) - _ID_BASE) // _ID_STRIDE + 1
        except ValueError:
            return None
        if 1 <= index <= self._count and self._key(index) == key:
            return index
        return None

    # -- URLs ----------------------------------------------------------------------------

    def listing_url(self, start: int = 1) -> str:
        """The listing fragment starting at 1-based offset `start` (1, 25, 49, ...)."""
        return f"{self.origin}/get/{self.podcast_id}/render/partial/next?start={start}"

    def count_url(self, start: int = 1) -> str:
        return f"{self.origin}/get/{self.podcast_id}/remainingCount?start={start}"

    @property
    def show_url(self) -> str:
        return f"{self.origin}/podcasts/{self.podcast_id}/{SHOW_SLUG}"

    def listing_pages(self) -> int:
        """How many listing pages hold items (the next one is empty)."""
        return -(-self._count // PAGE_SIZE)

    def remaining(self, start: int) -> int:
        """Items from 1-based offset `start` to the end (what remainingCount answers)."""
        return max(0, self._count - max(start, 1) + 1)

    # -- rendering -------------------------------------------------------------------------

    def _data_audio(self, ep: DemoEpisode) -> str:
        audio_url = ep.audio_url
        if ep.base64_audio:
            audio_url = base64.b64encode(audio_url.encode()).decode()
        data = {
            "uid": f"{ep.key}:{ep.media_id}",
            "available": ep.available,
            "duration": ep.duration,
            "title": ep.title,
            "audioUrl": audio_url,
            "storyUrl": ep.url,
            "slug": "planet money",
            "program": SHOW_TITLE,
            "affiliation": "",
            "song": "",
            "artist": "",
            "album": "",
            "track": 0,
            "type": "segment",
            "subtype": "other",
        }
        if ep.ld_json:
            data["skipSponsorship"] = False
            data["hasAdsWizz"] = True
        return npr_json(data)

    def _audio_module(self, ep: DemoEpisode) -> str:
        download = _esc(ep.audio_url + "&dl=1")
        title = _esc(ep.title)
        clock = _clock(ep.duration)
        transcript = ""
        if ep.transcript_url:
            transcript = (
                '\n                <li class="audio-tool audio-tool-transcript">\n'
                f'                  <a href="{ep.transcript_url}"  data-metrics=\'{{"category":'
                f'"audio actions","action":"click transcript","label":"{ep.key}"}}\' >\n'
                '                    <b class="icn-transcript"></b>\n'
                '                    <b class="audio-tool-label">Transcript</b>\n'
                "                  </a>\n                </li>"
            )
        return f"""<article id="res{ep.media_id}" class="bucketwrap resaudio" aria-label="audio-module"><div class="audio-module">
      <h2 class="audio-module-title">{title}</h2>
   <div class="audio-module-controls-wrap" data-audio='{self._data_audio(ep)}' data-audio-metrics='[]'>
        <div class="audio-module-controls">
            <a class="audio-module-listen" href="{download}">
                <b class="audio-module-listen-inner">
                    <b class="audio-module-listen-icon icn-play"></b>
                    <b class="audio-module-listen-text">
                        <b class="audio-module-cta">Listen</b>
                        <b class="audio-module-listen-duration">
                            <span>&middot; </span>
                            <span>{clock}</span>
                        </b>
                    </b>
                </b>
            </a>

            <time class="audio-module-duration" datetime="{iso_duration(ep.duration)}">{clock}</time>
        </div>
</div>
    <div class="audio-module-tools">
        <button class="audio-module-tools-toggle"><b class="icn-toggle"></b><b class="label">Toggle more options</b></button>
        <ul class="audio-module-more-tools">
                <li class="audio-tool audio-tool-download"><a href="{download}"><b class="icn-download"></b><b class="audio-tool-label">Download</b></a>
                </li>
                <li class="audio-tool audio-tool-embed"><button data-embed-url="www.npr.org/player/embed/{ep.key}/{ep.media_id}"><b class="button-inner"><b class="icn-embed"></b><b class="audio-tool-label">Embed</b></b></button>
                </li>{transcript}
        </ul>
    </div>
</div>
</article>"""

    def _caption(self, ep: DemoEpisode) -> tuple[str, str]:
        words = self._words(ep.index)
        caption = f"A {words['adj']} {words['noun']} in {words['Place']}."
        credit = f"{self._pick(_PEOPLE, ep.index, 'photo')}/NPR"
        return _esc(caption), _esc(credit)

    def _listing_item(self, ep: DemoEpisode) -> str:
        base = ep.image_url.removesuffix(".jpg?s=1400")
        title = _esc(ep.title)
        caption, credit = self._caption(ep)
        date = ep.published.date().isoformat()
        date_span = f'<time datetime="{date}"><span class="date">{_long_date(ep.published)} &#149; </span></time>'
        img = (
            f'<img src="{base}-s300-c15.jpg" data-original="{base}-s300.jpg" '
            f'class="respArchListImg lazyOnLoad"  alt="{title}" />'
        )
        if ep.exclusive:
            image = img
            heading = f'<h2 class="title">{title}</h2>'
            teaser = f'<p class="teaser">{date_span}{_esc(ep.teaser)}</p>'
        else:
            image = f'<a href="{ep.url}" data-metrics=\'{{"action":"Click Story Image"}}\' >\n        {img}\n    </a>'
            heading = (
                f'<h2 class="title"><a href="{ep.url}"  data-metrics=\'{{"action":'
                f'"Click Story Title","category":"Story List"}}\' >{title}</a></h2>'
            )
            teaser = f'<p class="teaser"><a href="{ep.url}">{date_span}{_esc(ep.teaser)}</a></p>'
        audio = self._audio_module(ep) if ep.listing_audio else ""
        return f"""<article class="item has-image">
    <div class="item-image">
        <div class="imagewrap" data-crop-type="wide">
    {image}
</div>
<div class="credit-caption">
    <div class="caption-wrap">
        <div class="caption" aria-label="Image caption">
            <p>
                {caption}
                <b class="credit" aria-label="Image credit">{credit}</b>
                <b class="hide-caption"><b>hide caption</b></b>
            </p>
        </div>
            <b class="toggle-caption"><b>toggle caption</b></b>
    </div>
    <span class="credit" aria-label="Image credit">{credit}</span>
</div>
    </div>

    <div class="item-info">
        <div class="slug-wrap">
            <h3 class="slug"><a href="{self.origin}/sections/money/127413729/podcast/">Podcast</a></h3>
        </div>

        {heading}

        {teaser}
    </div>

    {audio}

</article>"""

    def listing(self, start: int = 1, count: int = PAGE_SIZE) -> bytes:
        """The listing fragment: up to `count` items from 1-based offset `start`, newest first.

        Past the end it is empty (NPR answers 200 with an empty body).
        """
        first = self._count - max(start, 1) + 1  # the newest episode on this page
        last = max(first - min(count, self.short_pages.get(start, count)) + 1, 1)
        items = [self._listing_item(self.episode(i)) for i in range(first, last - 1, -1)]
        page = "\n            ".join(items)
        return (page.replace("</article>", "") if self.unclosed_articles else page).encode()

    def _head(self, ep: DemoEpisode) -> str:
        title = _esc(ep.title)
        teaser = _esc(ep.teaser)
        when = ep.published
        server_vars = {
            "storyId": ep.key,
            "blog": SHOW_TITLE,
            "theme": "93559255",
            "aggIds": ["93559255", "127413729"],
            "byline": list(ep.byline),
            "pubDate": f"{when.year:04d}{when.month:02d}{when.day:02d}{when.hour:02d}",
            "pageTypeId": "1",
            "title": ep.title,
        }
        ld = ""
        if ep.ld_json:
            ld_data = {
                "@context": "http://schema.org",
                "@type": "NewsArticle",
                "headline": ep.title,
                "datePublished": when.isoformat(),
                "dateModified": when.isoformat(),
                "description": ep.teaser,
                "image": {"@type": "ImageObject", "url": ep.image_url},
                "author": {"@type": "Person", "name": list(ep.byline)},
                "publisher": {"@type": "Organization", "name": "NPR"},
                "mainEntityOfPage": {"@type": "WebPage", "@id": ep.url},
            }
            ld = f'<script type="application/ld+json">{npr_json(ld_data)}</script>'
        return (
            f'<!doctype html><html class="no-js" lang="en"><head><title>{title} : '
            f"{SHOW_TITLE} : NPR</title>{_chrome.HEAD_META}"
            f'<meta name="date" content="{when.date().isoformat()}" />'
            f'<link rel="canonical" href="{ep.url}" />'
            f'<meta name="description" content="{teaser}" />'
            f'<link rel="alternate" type="application/rss+xml" title="{SHOW_TITLE}" '
            f'href="/rss/rss.php?id=93559255" />'
            f'<meta property="og:title" content="{title}" />'
            f'<meta property="og:url" content="{ep.url}" />'
            '<meta property="og:type" content="article" />'
            f'<meta property="og:description" content="{teaser}" />'
            f'<meta property="og:image" content="{ep.image_url}" />'
            f"{_chrome.HEAD_TAIL}"
            f'<meta name="twitter:image:src" content="{ep.image_url}" />{ld}'
            '<script id="npr-vars">\n   window.NPR = window.NPR || {};\n'
            f"{_chrome.SERVER_CONSTANTS}\nNPR.serverVars = {npr_json(server_vars)};\n</script>\n"
            f"{_chrome.HEAD_SCRIPTS}</head>"
        )

    def _body(self, ep: DemoEpisode) -> str:
        title = _esc(ep.title)
        when = ep.published
        hour = when.hour % 12 or 12
        clock = f"{hour}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'} ET"
        base = ep.image_url.removesuffix("?s=1400").removesuffix(".jpg").replace("_wide", "")
        caption, credit = self._caption(ep)
        module = self._audio_module(ep)
        bylines = "".join(
            f'<div class="byline byline--block" aria-label="Byline"><p class="byline__name '
            f'byline__name--block"><a href="{self.origin}/people/{slugify(name)}" rel="author">'
            f"{_esc(name)}</a></p></div>"
            for name in ep.byline
        )
        second_module = f"\n{module}" if ep.double_audio else ""
        return f"""<body id="news" class="news tmplBlogNewsStory story-layout blog catId127413729 id{ep.key}">{_chrome.HEADER}<main aria-label="main content"><div id="wrapper">
<section id="main-section">{_chrome.BRANDING}<article class="story story-blogpost"><a id="mainContent"></a><div class="slug-wrap">
    <h3 class="slug"><a href="{self.origin}/sections/money/127413729/podcast/">Podcast</a></h3>
</div>
 <!--googleon: index--><div class="storytitle">
      <h1>{title}</h1>
   <input type="hidden" id="title{ep.key}" value="{title}" />
   <input type="hidden" id="modelFullUrl{ep.key}" value="{ep.url}" />
</div>
<div class="story-tools">
      <div id="primaryaudio" class="storylocation linkLocation">
            <div id="res{ep.media_id}-promo" class="bucketwrap internallink mediapromo primary">
                  <h4 class="internallink__slug">{SHOW_TITLE}</h4>
         {module}
      </div>
   </div>
</div>
<div id="story-meta" class="story-meta has-byline">
      <div class="story-meta__one">
            <div class="dateblock">
    <time datetime="{when.isoformat()}">
            <span class="date">{_long_date(when)}</span><span class="time">{clock}</span>
    </time>
</div>
   </div>
   <div class="story-meta__two"><div id="storybyline" class="storybyline-wrap linkLocation">{bylines}</div></div>
</div>
<div id="storytext" class="storytext storylocation linkLocation">
      <div id="res{ep.key}-image" class="bucketwrap image large">
            <div class="imagewrap" data-crop-type="">
    <img src="{base}-s1100-c15.jpg" data-original="{base}-s1100.jpg" class="img lazyOnLoad"  alt="" />
</div>
<div class="credit-caption">
    <div class="caption-wrap"><div class="caption" aria-label="Image caption"><p>{caption}<b class="credit" aria-label="Image credit">{credit}</b></p></div></div>
</div>
   </div>
   {ep.notes_html}{second_module}
</div>
<aside id="end-of-story-recommendations-mount" class="recommended-stories" aria-label="recommended stories"></aside>
</article></section></div></main>{_chrome.FOOTER}"""

    def episode_page(self, index: int) -> bytes:
        """Episode `index`'s page, padded with chrome to about `page_bytes` (± 15%)."""
        ep = self.episode(index)
        head = self._head(ep).encode()
        body = self._body(ep).encode()
        target = int(
            self.page_bytes * (0.85 + 0.30 * (self._h(index, "bytes") % 100_000) / 100_000)
        )
        frame = len(_chrome.FILLER_OPEN) + len(_chrome.FILLER_CLOSE) + len(b"</body></html>")
        pad = target - len(head) - len(body) - frame
        filler = _chrome.filler(int(self.page_bytes * 1.2))[: max(pad, 0)]
        return b"".join(
            (head, body, _chrome.FILLER_OPEN, filler, _chrome.FILLER_CLOSE, b"</body></html>")
        )

    def transcript_page(self, index: int) -> bytes:
        """A small transcript page (for episodes that have one)."""
        ep = self.episode(index)
        words = self._words(index)
        host, guest = ep.byline[0], self._pick(_PEOPLE, index, "guest")
        lines = []
        for n in range(6):
            speaker = host if n % 2 == 0 else guest
            sentence = _SENTENCES[self._h(index, f"t{n}") % len(_SENTENCES)].format(**words)
            lines.append(f"<p>{_esc(speaker.upper())}: {_esc(sentence)}</p>")
        title = _esc(ep.title)
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8" /><title>{title} : '
            f'{SHOW_TITLE} : NPR</title><link rel="canonical" href="{ep.transcript_url}" />'
            f'</head><body class="transcript"><div class="storytitle"><h1>{title}</h1></div>'
            f'<div class="transcript storytext">{"".join(lines)}'
            '<p class="disclaimer">Copyright © NPR. All rights reserved.</p></div></body></html>'
        ).encode()

    def show_page(self) -> bytes:
        """The show's page: its metadata and the newest listing page."""
        image = f"{_MEDIA_HOST}/2018/08/02/pm_new_tile_2022_sq-{'0' * 40}.jpg?s=1400"
        description = "The economy explained. Imagine you could call up a friend and say, Meet me at the bar and tell me what's going on with the economy."
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8" />'
            f"<title>{SHOW_TITLE} : NPR</title>"
            f'<link rel="canonical" href="{self.show_url}" />'
            f'<meta property="og:title" content="{SHOW_TITLE}" />'
            f'<meta property="og:description" content="{_esc(description)}" />'
            f'<meta property="og:image" content="{image}" />'
            f'<meta property="og:url" content="{self.show_url}" /></head>'
            f'<body class="podcast"><h1 class="podcast-title">{SHOW_TITLE}</h1>'
            f'<div class="podcast-section episode-list" data-podcast-id="{self.podcast_id}">'
            f"{self.listing(1).decode()}</div>"
            f'<button class="options__load-more" data-start="{PAGE_SIZE + 1}">Load more episodes'
            "</button></body></html>"
        ).encode()

    # -- routing -------------------------------------------------------------------------

    # -- the official-style feed ------------------------------------------------------------

    @property
    def official_url(self) -> str:
        return f"{self.origin}/feeds/{self.podcast_id}/podcast.xml"

    def official_guid(self, index: int) -> str:
        """The UUID the official feed gives episode `index` (unrelated to its story id)."""
        return str(uuid.UUID(hashlib.md5(f"{self.seed}:{index}:guid".encode()).hexdigest()))

    def official_episodes(self) -> list[DemoEpisode]:
        """The episodes the official feed lists: the newest `official_items` playable ones."""
        found: list[DemoEpisode] = []
        for index in range(self._count, 0, -1):
            if len(found) >= self.official_items:
                break
            episode = self.episode(index)
            if episode.in_feed:
                found.append(episode)
        return found

    def official_audio_url(self, ep: DemoEpisode) -> str:
        """Through a tracker on this site; a third of them name the story, a third are a
        re-encoded file (another name: only title, day and duration match it)."""
        host = urlsplit(self.origin).netloc
        name = f"NPR{ep.key}" if ep.index % 3 == 2 else ep.key
        query = f"?awEpisodeId={ep.key}&e={ep.key}" if ep.index % 3 == 0 else ""
        return f"{self.origin}/track/demo-{self.podcast_id}/{host}/media/{name}.mp3{query}"

    def official_feed(self) -> bytes:
        """An NPR-style official feed: UUID guids (half with NPR's misspelt isPermalink),
        exact lengths, durations, yes/no explicit, HTML in descriptions, a tracking
        prefix the site's own audio URLs lack, and <link> on a third of the items."""
        items = []
        for ep in self.official_episodes():
            guid_attr = ' isPermalink="false"' if ep.index % 2 else ""
            link = f"\n      <link>{_esc(ep.url)}</link>" if ep.index % 3 == 0 else ""
            number = f"\n      <itunes:episode>{ep.number}</itunes:episode>" if ep.number else ""
            newsletter = (
                ' | Subscribe to our weekly newsletter <a href="https://www.npr.org/newsletter/'
                'money?utm_source=rss_feed_copy&utm_medium=podcast">here</a>.'
            )
            items.append(
                f"""    <item>
      <title>{_esc(ep.title)} </title>
      <description><![CDATA[{ep.teaser}{newsletter}]]></description>
      <pubDate>{email.utils.format_datetime(ep.published)}</pubDate>
      <guid{guid_attr}>{self.official_guid(ep.index)}</guid>{link}
      <itunes:title>{_esc(ep.title)}</itunes:title>{number}
      <itunes:image href="{_esc(ep.image_url)}"/>
      <itunes:duration>{ep.duration}</itunes:duration>
      <itunes:explicit>no</itunes:explicit>
      <itunes:episodeType>full</itunes:episodeType>
      <enclosure url="{_esc(self.official_audio_url(ep))}" length="{ep.size}" type="audio/mpeg"/>
    </item>"""
            )
        newest = (
            email.utils.format_datetime(self.episode(self._count).published) if self._count else ""
        )
        body = "\n".join(items)
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>{SHOW_TITLE}</title>
    <link>{_esc(self.show_url)}</link>
    <description><![CDATA[The economy explained (the demo site's official feed).]]></description>
    <language>en</language>
    <itunes:explicit>no</itunes:explicit>
    <lastBuildDate>{newest}</lastBuildDate>
{body}
  </channel>
</rss>
""".encode()

    def classify(self, target: str) -> Kind:
        """The kind of request `target` is (for the server's counters), without rendering."""
        path = urlsplit(target).path
        if _LISTING.fullmatch(path):
            return "listing"
        if _COUNT.fullmatch(path):
            return "count"
        if _EPISODE.fullmatch(path):
            return "episode"
        if _TRANSCRIPT.fullmatch(path):
            return "transcript"
        if _MEDIA.fullmatch(path) or _TRACKER.fullmatch(path):
            return "media"
        return "other"

    def respond(self, target: str) -> Response:
        """The response to a GET of `target` (a path with an optional query string)."""
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if m := _LISTING.fullmatch(path):
            if m["pid"] != self.podcast_id:
                return _not_found("listing")
            start, count = _int(query, "start", 1), _int(query, "count", PAGE_SIZE)
            if start is None or count is None:
                return _bad_request("listing", "start and count must be integers")
            return Response(200, "listing", self.listing(start, max(1, min(count, 100))))
        if m := _COUNT.fullmatch(path):
            start = _int(query, "start", 1)
            if m["pid"] != self.podcast_id:
                return _not_found("count")
            if start is None:
                return _bad_request("count", "start must be an integer")
            return Response(200, "count", str(self.remaining(start)).encode())
        if m := _EPISODE.fullmatch(path):
            index = self.find(m["key"])
            if index is None or self.episode(index).exclusive:
                return _not_found("episode")
            if path != self._path(index):
                location = self.origin + self._path(index)
                return Response(301, "episode", _moved(location), headers=(("Location", location),))
            return Response(200, "episode", self.episode_page(index))
        if m := _TRANSCRIPT.fullmatch(path):
            index = self.find(m["key"])
            if index is None or self.episode(index).transcript_url is None:
                return _not_found("transcript")
            return Response(200, "transcript", self.transcript_page(index))
        if m := _MEDIA.fullmatch(path):
            index = self.find(m["key"])
            if index is None or not self.episode(index).in_feed:
                return _not_found("media")
            size = self.episode(index).size
            return Response(200, "media", content_type="audio/mpeg", length=size)
        if (m := _OFFICIAL.fullmatch(path)) and m["pid"] == self.podcast_id:
            body = self.official_feed()
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            return Response(
                200,
                "other",
                body,
                "application/rss+xml; charset=utf-8",
                headers=(("ETag", etag),),
            )
        if m := _TRACKER.fullmatch(path):
            location = f"http://{m['target']}" + (f"?{parts.query}" if parts.query else "")
            return Response(302, "media", _moved(location), headers=(("Location", location),))
        if (m := _SHOW.fullmatch(path)) and m["pid"] == self.podcast_id:
            return Response(200, "other", self.show_page())
        if path == "/robots.txt":
            return Response(200, "other", b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8")
        return _not_found("other")


def _int(query: dict[str, list[str]], name: str, default: int) -> int | None:
    values = query.get(name)
    if not values:
        return default
    try:
        return int(values[0])
    except ValueError:
        return None


def _not_found(kind: Kind) -> Response:
    return Response(404, kind, b"<!doctype html><title>404 Not Found</title><h1>Not Found</h1>")


def _bad_request(kind: Kind, why: str) -> Response:
    return Response(
        400, kind, f"<!doctype html><title>400 Bad Request</title><p>{why}</p>".encode()
    )


def _moved(location: str) -> bytes:
    return f'<!doctype html><title>Moved</title><a href="{_esc(location)}">Moved</a>'.encode()
