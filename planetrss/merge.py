"""One feed from several sources: match their episodes, pick each field, keep every guid.

Pure functions of data (no I/O), so the rules are tested as data and the result does not
depend on the order sources, episodes or published items arrive in.

Matching (`match`): every source's episode is a `Candidate`; every item an earlier build
published is a `Published` anchor whose guid must never change. Two of them are the same
episode when one of these keys joins them, strongest first:

0. **published member** — the anchor was made of this very (source, key); for an item
   read back from an old feed file (its members unknown), the anchor's guid is this
   episode's key;
1. **same guid** — equal keys in two sources (AntennaPod's first duplicate rule);
2. **shared site id** — an NPR story id found in the episode's link
   (``/2020/11/27/939513137/slug``, ``/2024/05/01/nx-s1-5012345/slug``) or in its audio
   URL's query (``story=``, ``e=``, ``awEpisodeId=``);
3. **audio identity** — the audio URL without scheme, host, query and tracking prefixes
   (see `audio_identity`): ``play.podtrac.com/npr-510289/edge1.pod.npr.org/a/b.mp3`` and
   ``ondemand.npr.org/a/b.mp3?d=1`` are both ``a/b.mp3``;
4. **title, day and duration** — AntennaPod's rule for feeds that mess up their guids:
   the same normalised title (see `normalise_title`), the same calendar day (each date in
   the time zone its source states), durations known and less than 10 minutes apart.

Joins are made strongest first (ties: the closer duration, then the closer time, then
the ids), and a join is refused when it would put two episodes of one source, or two
published guids, into one episode: a source lists an episode once, and two items a
listener already has stay two items. What matches nothing stays an episode of its own.

Guids (`Merged.guid`): an anchored episode keeps its anchor's guid; a new one takes the
key of the member first in the "guid" precedence (by default an `rss` source's, so an
episode in the official feed gets the official guid from its first build on).

Fields (`combine`): each field comes from the first member, in that field's precedence,
that has a value (`DEFAULT_PRECEDENCE`, overridable per feed). The pubDate of an anchored
episode is the one its listeners already have.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from itertools import product
from urllib.parse import parse_qsl, unquote, urlsplit

from planetrss.models import Episode, Published

#: A source is named in precedence lists by its name or its kind; "*" is every other one.
OTHERS = "*"

#: Which source each field comes from, first choice first. An `rss` source is an
#: official feed: exact byte lengths, durations, episode numbers, the guid and pubDate
#: its listeners already have; the other kinds scrape the show's site: full show notes,
#: transcripts, images, the episode page.
DEFAULT_PRECEDENCE: Mapping[str, tuple[str, ...]] = {
    "guid": ("rss", OTHERS),
    "published": ("rss", OTHERS),
    "title": ("rss", OTHERS),
    "audio": ("rss", OTHERS),  # the enclosure URL with its byte length: one file
    "duration": ("rss", OTHERS),
    "episode_number": ("rss", OTHERS),
    "link": (OTHERS, "rss"),
    "summary": (OTHERS, "rss"),
    "notes": (OTHERS, "rss"),
    "image": (OTHERS, "rss"),
    "transcript": (OTHERS, "rss"),
}
FIELDS = tuple(DEFAULT_PRECEDENCE)

#: Rules, strongest first (the numbers in the module docstring).
RULES = ("published member", "same guid", "site id", "audio identity", "title, day, duration")

#: AntennaPod: durations "within 10 minutes" (strictly less than).
DURATION_SLACK = 10 * 60


# --- the keys --------------------------------------------------------------------------

_STORY_ID = re.compile(r"^(?:\d{5,}|nx-s1-\d+)$")
_STORY_PATH = re.compile(r"/\d{4}/\d{2}/\d{2}/(\d{5,}|nx-s1-\d+)(?:/|$)")
_STORY_PARAMS = ("story", "e", "awepisodeid")
# A host inside a URL's path (a tracker's redirect): a dotted name ending in a letters-only
# top-level domain, or an IPv4 address; a port may follow. "anon.npr-mp3" and
# "redirect.mp3" are not hosts.
_HOST = re.compile(
    r"^(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,24}|\d{1,3}(?:\.\d{1,3}){3}|localhost)"
    r"(?::\d+)?$",
    re.IGNORECASE,
)


def site_ids(url: str, audio_url: str) -> frozenset[str]:
    """NPR story ids an episode carries: in its link's path and its audio URL's query.

    >>> sorted(site_ids("https://www.npr.org/2020/11/27/939513137/hot-dog",
    ...                 "https://x.org/a.mp3?story=939513137&e=939513137"))
    ['939513137']
    """
    found = set()
    if match := _STORY_PATH.search(urlsplit(url).path):
        found.add(match.group(1))
    for name, value in parse_qsl(urlsplit(audio_url).query):
        if name.lower() in _STORY_PARAMS and _STORY_ID.match(value.strip()):
            found.add(value.strip())
    return frozenset(found)


def audio_identity(url: str) -> str | None:
    """An audio file's identity across tracking prefixes, CDN edges and query strings.

    Scheme, host, query and fragment are dropped, and so is everything up to the last
    host name that sits inside the path (a tracker's redirect target, however many
    trackers are chained: podtrac, swap.fm, chartable, ...).

    >>> audio_identity("https://play.podtrac.com/npr-510289/edge1.pod.npr.org/anon.npr-mp3/"
    ...                "npr/pmoney/2020/11/x.mp3?size=1&e=2")
    'anon.npr-mp3/npr/pmoney/2020/11/x.mp3'
    >>> audio_identity("https://ondemand.npr.org/anon.npr-mp3/npr/pmoney/2020/11/x.mp3")
    'anon.npr-mp3/npr/pmoney/2020/11/x.mp3'
    """
    parts = urlsplit(url.strip())
    segments = [s for s in unquote(parts.path).split("/") if s]
    hosts = [i for i, segment in enumerate(segments[:-1]) if _HOST.match(segment)]
    if hosts:
        segments = segments[hosts[-1] + 1 :]
    return "/".join(segments) or None


# Curly double and single quotes, en and em dashes: written as escapes, they look alike.
_QUOTES = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u2013": "-",
        "\u2014": "-",
    }
)


def normalise_title(title: str) -> str:
    """Titles compared as AntennaPod compares them (trimmed; curly quotes and dashes made
    plain), and also without case or repeated whitespace.

    >>> normalise_title("  Swamp Gravy — The “Update” ")
    'swamp gravy - the "update"'
    """
    text = unicodedata.normalize("NFKC", title).translate(_QUOTES)
    return " ".join(text.split()).casefold()


def local_day(moment: datetime) -> date:
    """The calendar day in the time zone the date was given in (its own offset)."""
    return moment.date()


# --- matching --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """One source's episode, reduced to what matching needs."""

    source: str  # the source's name
    key: str  # the episode's key in that source (its guid there)
    title: str
    published: datetime
    url: str = ""
    audio_url: str = ""
    duration: int | None = None

    @classmethod
    def of(cls, source: str, episode: Episode) -> Candidate:
        return cls(
            source=source,
            key=episode.key,
            title=episode.title,
            published=episode.published,
            url=episode.url,
            audio_url=episode.audio_url,
            duration=episode.duration,
        )

    @property
    def member(self) -> tuple[str, str]:
        return (self.source, self.key)


@dataclass(frozen=True)
class Merged:
    """One episode of the merged feed: its guid and the source episodes it is made of.

    `members` are sorted by source name; `anchor` is the published item it continues
    (None for an episode not published before); `rule` is the strongest rule that joined
    its members (None when it has one member and no anchor).
    """

    guid: str
    members: tuple[Candidate, ...]
    anchor: Published | None = None
    rules: tuple[str, ...] = ()

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(c.source for c in self.members)


@dataclass(frozen=True)
class MergeResult:
    """The merged episodes (sorted by guid) and the published items nothing matched now."""

    episodes: tuple[Merged, ...]
    unmatched_published: tuple[Published, ...] = ()

    def rule_counts(self) -> dict[str, int]:
        """How many joins each rule made (a cluster of n members made n-1, plus its anchor)."""
        counts: dict[str, int] = defaultdict(int)
        for merged in self.episodes:
            for rule in merged.rules:
                counts[rule] += 1
        return dict(counts)


_Node = Candidate | Published


def _node_id(node: _Node) -> tuple[str, str]:
    # Published anchors sort before candidates and never collide with them.
    return ("", node.guid) if isinstance(node, Published) else node.member


@dataclass
class _Cluster:
    nodes: list[_Node]
    sources: set[str]
    anchor: Published | None
    rules: list[str] = field(default_factory=list)


class _Clusters:
    """Union-find with the two rules no join may break."""

    def __init__(self, nodes: Iterable[_Node]) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}
        self.cluster: dict[tuple[str, str], _Cluster] = {}
        for node in nodes:
            nid = _node_id(node)
            self.parent[nid] = nid
            if isinstance(node, Published):
                self.cluster[nid] = _Cluster([node], set(), node)
            else:
                self.cluster[nid] = _Cluster([node], {node.source}, None)

    def root(self, nid: tuple[str, str]) -> tuple[str, str]:
        while self.parent[nid] != nid:
            self.parent[nid] = self.parent[self.parent[nid]]
            nid = self.parent[nid]
        return nid

    def join(self, a: tuple[str, str], b: tuple[str, str], rule: str) -> bool:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return False
        ca, cb = self.cluster[ra], self.cluster[rb]
        if ca.sources & cb.sources:
            return False  # one source lists an episode once
        if ca.anchor is not None and cb.anchor is not None:
            return False  # two guids listeners have stay two items
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        merged = _Cluster(
            ca.nodes + cb.nodes,
            ca.sources | cb.sources,
            ca.anchor or cb.anchor,
            [*ca.rules, *cb.rules, rule],
        )
        self.parent[gone] = keep
        self.cluster[keep] = merged
        del self.cluster[gone]
        return True


def _fuzzy_key(node: _Node) -> tuple[str, date] | None:
    title = normalise_title(node.title)
    return (title, local_day(node.published)) if title else None


def _edges(nodes: Sequence[_Node]) -> list[tuple[tuple[object, ...], int, _Node, _Node]]:
    """Every pair some rule joins, as (sort key, rule, a, b)."""
    edges: list[tuple[tuple[object, ...], int, _Node, _Node]] = []
    candidates = [n for n in nodes if isinstance(n, Candidate)]
    anchors = [n for n in nodes if isinstance(n, Published)]

    def add(rule: int, a: _Node, b: _Node, *metric: float) -> None:
        ia, ib = sorted((_node_id(a), _node_id(b)))
        edges.append(((rule, *metric, ia, ib), rule, a, b))

    # 0: the anchor's own members, or its guid as a key.
    by_member = {c.member: c for c in candidates}
    by_key: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        by_key[c.key].append(c)
    for anchor in anchors:
        # Members known (the registry): they alone. Unknown (an old feed file's item):
        # the episodes keyed by its guid.
        if anchor.members:
            found = [by_member[m] for m in anchor.members if m in by_member]
        else:
            found = list(by_key.get(anchor.guid, ()))
        for c in found:
            add(0, anchor, c)

    def buckets(rule: int, groups: Iterable[Sequence[_Node]]) -> None:
        for group in groups:
            for a, b in _joinable_pairs(group):
                if rule == 4:  # same title and day: durations must be close too
                    assert a.duration is not None and b.duration is not None
                    if abs(a.duration - b.duration) >= DURATION_SLACK:
                        continue
                add(rule, a, b, *_closeness(a, b))

    # 1: equal keys in two sources.
    buckets(1, by_key.values())
    # 2: shared site ids; 3: audio identity (anchors take part: an old feed's items).
    ids: dict[str, list[_Node]] = defaultdict(list)
    audio: dict[str, list[_Node]] = defaultdict(list)
    for node in nodes:
        for sid in site_ids(node.url, node.audio_url):
            ids[sid].append(node)
        if node.audio_url and (identity := audio_identity(node.audio_url)):
            audio[identity].append(node)
    buckets(2, ids.values())
    buckets(3, audio.values())
    # 4: same normalised title and day, durations known and close.
    titled: dict[tuple[str, date], list[_Node]] = defaultdict(list)
    for node in nodes:
        if node.duration is not None and (key := _fuzzy_key(node)):
            titled[key].append(node)
    buckets(4, titled.values())
    edges.sort(key=lambda edge: edge[0])
    return edges


def _joinable_pairs(group: Sequence[_Node]) -> Iterator[tuple[_Node, _Node]]:
    """The pairs of a bucket that a join could ever accept: across two sources, or an
    episode and a published item. (A source that repeats one key on many items, a feed
    giving every item the same enclosure, costs nothing: its own pairs are never made.)"""
    sides: dict[str, list[_Node]] = defaultdict(list)
    for node in group:
        sides["" if isinstance(node, Published) else node.source].append(node)
    anchors = sides.pop("", [])
    names = sorted(sides)
    for i, name in enumerate(names):
        for other in names[i + 1 :]:
            yield from product(sides[name], sides[other])
        yield from product(anchors, sides[name])


def _closeness(a: _Node, b: _Node) -> tuple[float, float]:
    """Tie-breakers between joins of one rule: closer durations, then closer times."""
    duration = abs((a.duration or 0) - (b.duration or 0))
    if a.duration is None or b.duration is None:
        duration = DURATION_SLACK
    return (float(duration), abs((a.published - b.published).total_seconds()))


def match(
    candidates: Iterable[Candidate],
    published: Iterable[Published] = (),
    *,
    kinds: Mapping[str, str] | None = None,
    precedence: Mapping[str, Sequence[str]] | None = None,
) -> MergeResult:
    """Group the sources' episodes into the feed's episodes and give each its guid.

    `kinds` maps source names to their site kinds (for precedence lists that name kinds);
    `precedence["guid"]` decides whose key a new episode's guid is. The result is the same
    whatever order `candidates` and `published` come in. Duplicate (source, key) pairs and
    duplicate guids are kept once.
    """
    nodes: dict[tuple[str, str], _Node] = {}
    everything: list[_Node] = [*candidates, *published]
    for node in everything:
        nodes.setdefault(_node_id(node), node)
    ordered = [nodes[nid] for nid in sorted(nodes)]
    clusters = _Clusters(ordered)
    for _, rule, a, b in _edges(ordered):
        clusters.join(_node_id(a), _node_id(b), RULES[rule])

    rank = Precedence(kinds or {}, precedence or {})
    merged: list[Merged] = []
    unmatched: list[Published] = []
    fresh: list[_Cluster] = []
    taken = {n.guid for n in ordered if isinstance(n, Published)}
    for cluster in sorted(clusters.cluster.values(), key=lambda c: min(map(_node_id, c.nodes))):
        members = tuple(
            sorted((n for n in cluster.nodes if isinstance(n, Candidate)), key=_node_id)
        )
        if cluster.anchor is not None:
            if not members:
                unmatched.append(cluster.anchor)
                continue
            merged.append(
                Merged(cluster.anchor.guid, members, cluster.anchor, tuple(cluster.rules))
            )
        else:
            fresh.append(cluster)
    # New episodes take their preferred member's key, unless an item already has it.
    for cluster in fresh:
        members = tuple(
            sorted((n for n in cluster.nodes if isinstance(n, Candidate)), key=_node_id)
        )
        guid = _new_guid(rank.order("guid", members), taken)
        taken.add(guid)
        merged.append(Merged(guid, members, None, tuple(cluster.rules)))
    merged.sort(key=lambda m: m.guid)
    return MergeResult(tuple(merged), tuple(sorted(unmatched, key=lambda p: p.guid)))


def _new_guid(members: Sequence[Candidate], taken: set[str]) -> str:
    for member in members:
        if member.key not in taken:
            return member.key
    # Every key is some other item's guid already: qualify it by its source (stable).
    first = members[0]
    return f"{first.key}#{first.source}"


# --- fields ----------------------------------------------------------------------------


class Precedence:
    """Orders a merged episode's members for each field (see DEFAULT_PRECEDENCE).

    `kinds` maps source names to kinds; a precedence list names sources by name or kind,
    and "*" stands for the ones it does not name. Ties go by source name, so the order
    sources are listed in never matters.
    """

    def __init__(
        self, kinds: Mapping[str, str], overrides: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.kinds = kinds
        self.lists = {**DEFAULT_PRECEDENCE, **(overrides or {})}

    def _rank(self, field: str, source: str) -> tuple[int, str]:
        order = list(self.lists.get(field, (OTHERS,)))
        for label in (source, self.kinds.get(source, "")):
            if label and label in order:
                return (order.index(label), source)
        return (order.index(OTHERS) if OTHERS in order else len(order), source)

    def order(self, field: str, members: Sequence[Candidate]) -> list[Candidate]:
        return sorted(members, key=lambda c: self._rank(field, c.source))


def combine(
    merged: Merged, episodes: Mapping[tuple[str, str], Episode], precedence: Precedence
) -> Episode:
    """The feed's episode: each field from the first member (in its precedence) having it.

    `episodes` holds the members' full episodes by (source, key). The audio URL and its
    byte length travel together (they describe one file); a length missing there is taken
    from another member whose audio is the same file.
    """

    def ordered(name: str) -> list[Episode]:
        return [episodes[c.member] for c in precedence.order(name, merged.members)]

    def first(name: str, attribute: str) -> object:
        for episode in ordered(name):
            value = getattr(episode, attribute)
            if value not in (None, ""):
                return value
        return getattr(ordered(name)[0], attribute)

    audio_from = next((e for e in ordered("audio") if e.audio_url), ordered("audio")[0])
    size = audio_from.audio_size
    if size is None:
        same_file = audio_identity(audio_from.audio_url)
        size = next(
            (
                e.audio_size
                for e in ordered("audio")
                if e.audio_size is not None and audio_identity(e.audio_url) == same_file
            ),
            None,
        )
    published = merged.anchor.published if merged.anchor else first("published", "published")
    base = ordered("title")[0]
    return replace(
        base,
        key=merged.guid,
        title=str(first("title", "title")),
        url=str(first("link", "url")),
        published=published,  # type: ignore[arg-type]
        audio_url=audio_from.audio_url,
        audio_size=size,
        duration=first("duration", "duration"),  # type: ignore[arg-type]
        summary=str(first("summary", "summary")),
        notes_html=str(first("notes", "notes_html")),
        image_url=first("image", "image_url"),  # type: ignore[arg-type]
        transcript_url=first("transcript", "transcript_url"),  # type: ignore[arg-type]
        episode_number=first("episode_number", "episode_number"),  # type: ignore[arg-type]
    )


def published_record(merged: Merged, episode: Episode) -> Published:
    """What the registry keeps of an item once it is in a written feed.

    The pubDate of an anchored item stays the one first published; the members grow as
    sources are added, and the matching fields follow the sources.
    """
    members = {c.member for c in merged.members}
    if merged.anchor is not None:
        members |= set(merged.anchor.members)
    return Published(
        guid=merged.guid,
        title=episode.title,
        published=merged.anchor.published if merged.anchor else episode.published,
        url=episode.url,
        audio_url=episode.audio_url,
        duration=episode.duration,
        members=tuple(sorted(members)),
    )
