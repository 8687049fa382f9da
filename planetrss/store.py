"""The disk cache: the one place diskcache is used.

Per feed, one folder under the cache directory:

    <cache_dir>/<feed>/episodes/   parsed records, keyed "episode/<schema>/<key>" (JSON text),
                                   "skip/<key>" (items deliberately left out, with why) and
                                   "pending/<key>" (refs whose page failed: retried next run),
                                   "size/<audio url>" (byte lengths found by --probe-sizes)
    <cache_dir>/<feed>/pages/      raw page bodies, Zstandard-compressed, keyed by URL, so a
                                   better parser can re-extract everything offline
    <cache_dir>/<feed>/state       (inside episodes/) the last build's summary
                                   and "published/<guid>": every item a feed was written
                                   with, kept forever, so its guid never changes
    <cache_dir>/<feed>/sources/<name>/   a merged feed's sources, each a store like the above

Records are stored as JSON text, not pickles: a cache written by one version is read
safely by another, and a schema bump simply makes old records invisible (they are
re-extracted from the raw pages, without network).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, overload

import diskcache

from planetrss.errors import CacheError
from planetrss.models import Audio, Episode, EpisodeRef, Published, Skip
from planetrss.packing import pack_page, unpack_page

P = ParamSpec("P")
R = TypeVar("R")

#: Bump when Episode's fields or their meaning change.
SCHEMA = 1

_EPISODE = f"episode/{SCHEMA}/"
_SKIP = "skip/"
_PENDING = "pending/"
_SIZE = "size/"
_PUBLISHED = "published/"
_STATE = "state"
# Never evict: the cache is the archive's only local copy, not a best-effort cache.
_SETTINGS: dict[str, Any] = {
    "eviction_policy": "none",
    "size_limit": 2**62,
    # diskcache's defaults (a 32 MB page cache and a 64 MB memory map per connection)
    # are sized for a hot cache; ours is written once and read once per build.
    "sqlite_cache_size": 256,
    "sqlite_mmap_size": 0,
}


def default_cache_dir() -> Path:
    """`PLANETRSS_CACHE_DIR`, else the platform cache folder (~/.cache/planetrss on Linux)."""
    if env := os.environ.get("PLANETRSS_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "planetrss"


def ref_to_dict(ref: EpisodeRef) -> dict[str, Any]:
    data = asdict(ref)
    data["published"] = ref.published.isoformat() if ref.published else None
    return data


def ref_from_dict(data: dict[str, Any]) -> EpisodeRef:
    fields = dict(data)
    if fields.get("published"):
        fields["published"] = datetime.fromisoformat(fields["published"])
    if fields.get("audio"):
        fields["audio"] = Audio(**fields["audio"])
    return EpisodeRef(**fields)


def _damaged(directory: Path, exc: BaseException) -> CacheError:
    return CacheError(
        f"the cache at {directory} cannot be used ({exc}): check its permissions, or move "
        "it aside (the next build fetches everything again) or use --cache-dir"
    )


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn the disk's and SQLite's errors into a one-line CacheError with the fix."""

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (OSError, sqlite3.Error) as exc:
            store = args[0]
            assert isinstance(store, Store)
            raise _damaged(store.directory, exc) from None

    return guarded


class Store:
    """One feed's cached episodes and raw pages.

    Example:
        with Store(default_cache_dir(), "planetmoney") as store:
            print(len(store.episode_keys()))
    """

    def __init__(self, directory: Path, feed: str, *, source: str | None = None) -> None:
        # A merged feed's sources each have their own namespace inside the feed's folder.
        self.directory = directory / feed / "sources" / source if source else directory / feed
        try:
            self._episodes = diskcache.Cache(str(self.directory / "episodes"), **_SETTINGS)
            self._pages = diskcache.Cache(str(self.directory / "pages"), **_SETTINGS)
        except (OSError, sqlite3.Error) as exc:
            raise _damaged(self.directory, exc) from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_guarded
    def close(self) -> None:
        self._episodes.close()
        self._pages.close()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """The writes made inside, committed together: one transaction per cache (raw
        pages first, then records) instead of one per write, which a cold crawl's
        stream of small writes spends most of its store time on. A crash keeps all of
        a cache's writes in the batch or none."""
        try:
            with self._episodes.transact(), self._pages.transact():
                yield
        except (OSError, sqlite3.Error) as exc:
            raise _damaged(self.directory, exc) from None

    # --- parsed records --------------------------------------------------------------

    def _keys(self, prefix: str) -> Iterator[str]:
        for key in self._episodes.iterkeys():
            if isinstance(key, str) and key.startswith(prefix):
                yield key[len(prefix) :]

    @_guarded
    def episode_keys(self) -> set[str]:
        """Keys of the episodes stored under the current schema."""
        return set(self._keys(_EPISODE))

    @_guarded
    def skip_keys(self) -> set[str]:
        return set(self._keys(_SKIP))

    @_guarded
    def save_episode(self, episode: Episode, ref: EpisodeRef) -> None:
        """Store a parsed episode with the listing ref it came from (for --reparse)."""
        record = {"episode": episode.to_dict(), "ref": ref_to_dict(ref)}
        # A transaction, so a SIGKILL leaves either both writes or neither.
        with self._episodes.transact():
            self._episodes.set(_EPISODE + episode.key, json.dumps(record, sort_keys=True))
            self._episodes.delete(_SKIP + episode.key)
            self._episodes.delete(_PENDING + episode.key)

    @_guarded
    def save_skip(self, skip: Skip) -> None:
        with self._episodes.transact():
            self._episodes.delete(_EPISODE + skip.key)
            self._episodes.set(_SKIP + skip.key, json.dumps(asdict(skip), sort_keys=True))
            self._episodes.delete(_PENDING + skip.key)

    @_guarded
    def skips(self) -> list[Skip]:
        """Every item the site lists that is deliberately left out, and why."""
        found = []
        for key in sorted(self._keys(_SKIP)):
            text = self._episodes.get(_SKIP + key)
            if isinstance(text, str):
                found.append(Skip(**json.loads(text)))
        return found

    @_guarded
    def save_pending(self, ref: EpisodeRef) -> None:
        """Remember an episode whose page failed, so the next run retries it directly."""
        self._episodes.set(_PENDING + ref.key, json.dumps(ref_to_dict(ref), sort_keys=True))

    @_guarded
    def pending_refs(self) -> list[EpisodeRef]:
        found = []
        for key in sorted(self._keys(_PENDING)):
            text = self._episodes.get(_PENDING + key)
            if isinstance(text, str):
                found.append(ref_from_dict(json.loads(text)))
        return found

    def _records(self) -> Iterator[dict[str, Any]]:
        for key in list(self._keys(_EPISODE)):
            text = self._episodes.get(_EPISODE + key)
            if text is None:  # deleted by a concurrent --reparse
                continue
            try:
                yield json.loads(text)
            except (TypeError, ValueError):
                raise CacheError(
                    f"unreadable record {key!r} in {self.directory}: "
                    "rebuild it with `planetrss build --reparse`"
                ) from None

    @_guarded
    def episodes(self, *, probed_sizes: bool = False) -> StoredEpisodes:
        """All stored episodes, newest first (ties broken by key, so the order is stable).

        Read lazily: only each episode's date and key are held in memory, and an episode
        is read from disk when it is reached, so a feed of tens of thousands of episodes
        is rendered in the memory of a few. With `probed_sizes`, an audio size the site
        did not give is filled in from the sizes found by HEAD requests.
        """
        order = []
        for record in self._records():
            try:
                published = datetime.fromisoformat(record["episode"]["published"])
                order.append((published, record["episode"]["key"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise self._mismatch(exc) from None
        order.sort(reverse=True)
        return StoredEpisodes(self, [key for _, key in order], self.sizes() if probed_sizes else {})

    @_guarded
    def all_episodes(self) -> Iterator[Episode]:
        """Every stored episode, read once each, in no particular order."""
        for record in self._records():
            try:
                yield Episode.from_dict(record["episode"])
            except (KeyError, TypeError, ValueError) as exc:
                raise self._mismatch(exc) from None

    @_guarded
    def episode(self, key: str) -> Episode | None:
        """One stored episode, or None when there is none under `key`."""
        text = self._episodes.get(_EPISODE + key)
        if text is None:
            return None
        try:
            return Episode.from_dict(json.loads(text)["episode"])
        except (KeyError, TypeError, ValueError) as exc:
            raise self._mismatch(exc) from None

    def _mismatch(self, exc: Exception) -> CacheError:
        return CacheError(
            f"a cached episode in {self.directory} does not match this version "
            f"({exc}): rebuild with `planetrss build --reparse`"
        )

    @_guarded
    def refs(self) -> list[EpisodeRef]:
        """The listing refs of stored episodes (what --reparse re-extracts from)."""
        return [ref_from_dict(r["ref"]) for r in self._records()]

    @_guarded
    def delete_episode(self, key: str) -> None:
        self._episodes.delete(_EPISODE + key)

    @_guarded
    def save_size(self, url: str, size: int) -> None:
        """Remember an audio file's byte length found by a HEAD request (--probe-sizes)."""
        self._episodes.set(_SIZE + url, size)

    @_guarded
    def sizes(self) -> dict[str, int]:
        found = {}
        for url in self._keys(_SIZE):
            size = self._episodes.get(_SIZE + url)
            if isinstance(size, int):
                found[url] = size
        return found

    # --- published items (guids kept forever) -----------------------------------------

    @_guarded
    def published(self) -> list[Published]:
        """Every item a feed was written with (the registry of guids), sorted by guid."""
        found = []
        for guid in sorted(self._keys(_PUBLISHED)):
            text = self._episodes.get(_PUBLISHED + guid)
            if not isinstance(text, str):
                continue
            try:
                found.append(Published.from_dict(json.loads(text)))
            except (KeyError, TypeError, ValueError) as exc:
                raise self._mismatch(exc) from None
        return found

    @_guarded
    def save_published(self, records: Iterable[Published]) -> int:
        """Record items as published (new ones, and changes to known ones); never removes.

        Returns how many records were written: an unchanged feed writes none.
        """
        written = 0
        with self._episodes.transact():
            for record in records:
                text = json.dumps(record.to_dict(), sort_keys=True)
                if self._episodes.get(_PUBLISHED + record.guid) != text:
                    self._episodes.set(_PUBLISHED + record.guid, text)
                    written += 1
        return written

    # --- raw pages ------------------------------------------------------------------

    @_guarded
    def save_page(self, url: str, text: str) -> None:
        self.save_packed_page(url, pack_page(text))

    @_guarded
    def save_packed_page(self, url: str, packed: bytes) -> None:
        """Store a page already packed by `packing.pack_page` (a parse worker packs it)."""
        self._pages.set(url, packed)

    @_guarded
    def load_page(self, url: str) -> str | None:
        # A damaged body is as good as none: it is fetched again.
        return unpack_page(self._pages.get(url))

    # --- build state ----------------------------------------------------------------

    @_guarded
    def state(self) -> dict[str, Any]:
        text = self._episodes.get(_STATE)
        return json.loads(text) if isinstance(text, str) else {}

    @_guarded
    def save_state(self, state: dict[str, Any]) -> None:
        self._episodes.set(_STATE, json.dumps(state, sort_keys=True))


def remove_cache(directory: Path, feed: str) -> None:
    """Empty a feed's cache (the demo starts from nothing), waiting for a running build."""
    lock = FeedLock(directory, feed)
    lock.acquire(wait=True)
    try:
        for part in ("episodes", "pages"):
            shutil.rmtree(directory / feed / part, ignore_errors=True)
    finally:
        lock.release()


@dataclass(frozen=True)
class CacheSummary:
    """What a feed's cache holds, as `planetrss feeds` shows it."""

    episodes: int
    state: dict[str, Any]


def peek(directory: Path, feed: str) -> CacheSummary | None:
    """A feed's cache, read without creating or changing anything; None when there is none.

    diskcache writes its settings on every open, so it cannot read a cache in a folder
    the user may not write to: this reads its SQLite file directly. With no write-ahead
    log beside it (no build has it open) the file is read as immutable, which writes
    nothing at all; else read-only through the log (which SQLite may need to create its
    shared-memory file for; where it cannot, immutable again, missing at worst what a
    running build has not checkpointed yet).
    """
    db = directory / feed / "episodes" / "cache.db"
    if not db.is_file():
        return None
    problem: Exception | None = None
    wal = db.with_name(db.name + "-wal")
    for flags in ("mode=ro", "immutable=1") if wal.exists() else ("immutable=1",):
        try:
            with contextlib.closing(
                sqlite3.connect(f"{db.resolve().as_uri()}?{flags}", uri=True)
            ) as conn:
                (count,) = conn.execute(
                    "SELECT count(*) FROM Cache WHERE substr(key, 1, ?) = ?",
                    (len(_EPISODE), _EPISODE),
                ).fetchone()
                row = conn.execute("SELECT value FROM Cache WHERE key = ?", (_STATE,)).fetchone()
        except sqlite3.Error as exc:
            problem = exc
            continue
        state = json.loads(row[0]) if row is not None and isinstance(row[0], str) else {}
        return CacheSummary(episodes=int(count), state=state)
    assert problem is not None
    raise _damaged(directory / feed, problem)


class StoredEpisodes(Sequence[Episode]):
    """A store's episodes in a fixed order, each read from disk when it is reached."""

    def __init__(self, store: Store, keys: list[str], sizes: dict[str, int]) -> None:
        self.store = store
        self.keys = keys
        self.sizes = sizes  # probed audio sizes, by URL

    def _read(self, key: str) -> Episode | None:
        episode = self.store.episode(key)
        if episode is None or episode.audio_size is not None:
            return episode
        size = self.sizes.get(episode.audio_url)
        return episode if size is None else replace(episode, audio_size=size)

    def __len__(self) -> int:
        return len(self.keys)

    @overload
    def __getitem__(self, index: int) -> Episode: ...
    @overload
    def __getitem__(self, index: slice) -> StoredEpisodes: ...
    def __getitem__(self, index: int | slice) -> Episode | StoredEpisodes:
        if isinstance(index, slice):
            return StoredEpisodes(self.store, self.keys[index], self.sizes)
        episode = self._read(self.keys[index])
        if episode is None:
            raise CacheError(f"episode {self.keys[index]!r} left the cache while being read")
        return episode

    def __iter__(self) -> Iterator[Episode]:
        for key in self.keys:
            episode = self._read(key)
            if episode is not None:  # deleted meanwhile (by --reparse): skip it
                yield episode


class FeedLock:
    """One build of a feed at a time: an exclusive flock on `<cache_dir>/<feed>/lock`.

    The kernel drops the lock when the process dies, however it dies (SIGKILL too),
    so a crashed build never leaves a stale lock behind.
    """

    def __init__(self, directory: Path, feed: str) -> None:
        self.path = directory / feed / "lock"
        self._fd: int | None = None

    def acquire(self, *, wait: bool) -> bool:
        """Take the lock; False when `wait` is off and another build holds it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CacheError(
                f"cannot create the lock file {self.path}: {exc.strerror or exc}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
