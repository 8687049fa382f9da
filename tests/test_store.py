"""The disk cache: records survive a reopen, raw pages round-trip, damage is reported."""

from __future__ import annotations

import concurrent.futures
import zlib
from pathlib import Path

import pytest

from planetrss.errors import CacheError
from planetrss.models import Audio, EpisodeRef, Skip
from planetrss.packing import pack_page, unpack_page
from planetrss.store import SCHEMA, Store, default_cache_dir, ref_from_dict, ref_to_dict
from tests.conftest import make_episode


def ref_for(n: int) -> EpisodeRef:
    episode = make_episode(n)
    return EpisodeRef(
        key=episode.key,
        url=episode.url,
        title=episode.title,
        published=episode.published,
        audio=Audio(episode.audio_url, 1200, None, True),
    )


def test_episodes_survive_reopen_newest_first(tmp_path: Path) -> None:
    with Store(tmp_path, "show") as store:
        for n in (3, 1, 2):
            store.save_episode(make_episode(n), ref_for(n))
    with Store(tmp_path, "show") as store:
        assert store.episode_keys() == {make_episode(n).key for n in (1, 2, 3)}
        assert [e.key for e in store.episodes()] == [make_episode(n).key for n in (3, 2, 1)]
        assert store.episodes()[0] == make_episode(3)
        assert ref_for(1) in store.refs()


def test_feeds_are_kept_apart(tmp_path: Path) -> None:
    with Store(tmp_path, "one") as store:
        store.save_episode(make_episode(1), ref_for(1))
    with Store(tmp_path, "two") as store:
        assert store.episode_keys() == set()


def test_skip_and_pending_bookkeeping(tmp_path: Path) -> None:
    ref = ref_for(5)
    with Store(tmp_path, "show") as store:
        store.save_pending(ref)
        assert store.pending_refs() == [ref]
        store.save_skip(Skip(ref.key, ref.url, "no audio"))
        assert store.pending_refs() == []
        assert store.skip_keys() == {ref.key}
        store.save_pending(ref)
        store.save_episode(make_episode(5), ref)
        # A stored episode is neither skipped nor pending any more.
        assert store.skip_keys() == set()
        assert store.pending_refs() == []
        store.save_skip(Skip(ref.key, ref.url, "audio withdrawn"))
        assert store.episode_keys() == set()


def test_raw_pages_are_compressed_and_round_trip(tmp_path: Path) -> None:
    page = "<html>" + "é episode " * 10_000 + "</html>"
    with Store(tmp_path, "show") as store:
        store.save_page("https://example.org/a", page)
        assert store.load_page("https://example.org/a") == page
        assert store.load_page("https://example.org/missing") is None
        raw = store._pages.get("https://example.org/a")
        assert len(raw) < len(page.encode()) / 10


def test_records_are_keyed_by_schema(tmp_path: Path) -> None:
    with Store(tmp_path, "show") as store:
        store.save_episode(make_episode(1), ref_for(1))
        keys = [k for k in store._episodes.iterkeys() if k.startswith("episode/")]
    assert keys == [f"episode/{SCHEMA}/{make_episode(1).key}"]


def test_state_round_trips(tmp_path: Path) -> None:
    with Store(tmp_path, "show") as store:
        assert store.state() == {}
        store.save_state({"episodes": 3})
    with Store(tmp_path, "show") as store:
        assert store.state() == {"episodes": 3}


def test_pages_an_older_cache_packed_with_zlib_are_still_read(tmp_path: Path) -> None:
    page = "<html>" + "é episode " * 1_000 + "</html>"
    with Store(tmp_path, "show") as store:
        store.save_packed_page("https://example.org/old", zlib.compress(page.encode(), 1))
        assert store.load_page("https://example.org/old") == page


@pytest.mark.parametrize("blob", [b"not packed", b"\x28\xb5\x2f\xfd broken frame", "text"])
def test_a_damaged_page_reads_as_none(tmp_path: Path, blob: object) -> None:
    with Store(tmp_path, "show") as store:
        store._pages.set("https://example.org/bad", blob)
        assert store.load_page("https://example.org/bad") is None


def test_damaged_record_is_reported_with_the_fix(tmp_path: Path) -> None:
    with Store(tmp_path, "show") as store:
        store._episodes.set(f"episode/{SCHEMA}/1", "{not json")
        with pytest.raises(CacheError, match="--reparse"):
            store.episodes()


def test_unopenable_cache_is_a_cache_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError, match=r"cannot be used .*move it aside"):
        Store(blocker, "show")


def test_ref_serialisation_round_trips() -> None:
    ref = ref_for(7)
    assert ref_from_dict(ref_to_dict(ref)) == ref
    bare = EpisodeRef(key="1", url="u", title="t")
    assert ref_from_dict(ref_to_dict(bare)) == bare


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLANETRSS_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("PLANETRSS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "planetrss"


def test_pages_pack_and_unpack_in_many_threads_at_once() -> None:
    # (A compressor shared by threads failed or crashed here in most runs.)
    pages = [f"<html>{n} " + "episode " * 5_000 + "</html>" for n in range(256)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        packed = list(pool.map(pack_page, pages))
        assert list(pool.map(unpack_page, packed)) == pages


def test_a_batch_is_kept_whole_or_not_at_all(tmp_path: Path) -> None:
    with Store(tmp_path, "show") as store:
        with store.batch():
            store.save_packed_page("https://example.org/1", pack_page("<p>one</p>"))
            store.save_episode(make_episode(1), ref_for(1))
        with pytest.raises(RuntimeError), store.batch():
            store.save_packed_page("https://example.org/2", pack_page("<p>two</p>"))
            store.save_episode(make_episode(2), ref_for(2))
            raise RuntimeError("the build died mid-batch")
    with Store(tmp_path, "show") as store:
        assert store.episode_keys() == {make_episode(1).key}
        assert store.load_page("https://example.org/1") == "<p>one</p>"
        assert store.load_page("https://example.org/2") is None
