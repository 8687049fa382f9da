"""A parser bug looks like a parser bug, never like a changed site (issue 8, section 1).

`ExtractError` is a site's one way to say "this page does not match": the page is
recorded as failed (or, for a listing, the build refuses with exit 3) and the crawl goes
on. Any other exception from a parse function is a bug: it stops the build and reaches
the caller as itself, whether the parse ran in a thread or in a parse worker process,
and the previous feed is left as it was.

The faulty kinds below are the real `npr` kind with one parse hook broken for one page.
They live at module level so that parse workers (separate processes, which receive the
hook by pickle) can import them as the build's own process does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

import pytest

from planetrss import sites
from planetrss.build import build
from planetrss.config import FeedConfig
from planetrss.demo import DemoServer, DemoSite
from planetrss.errors import NothingUsableError, PlanetrssError
from planetrss.models import Episode, EpisodeRef, Listing, Skip
from planetrss.sites.base import ExtractError
from planetrss.sites.npr import NprSite
from tests.conftest import ROOT
from tests.reliability.conftest import (
    EPISODES,
    PAGE_BYTES,
    feed_guids,
    in_feed,
    page_fetched,
    quick_options,
    write_demo_toml,
)

# The demo site is deterministic: the same episode has the same path on every server.
_DEMO = DemoSite(episodes=EPISODES, page_bytes=PAGE_BYTES)
FAULTY = next(e for e in sorted(_DEMO.episodes(), key=lambda e: -e.index)[5:] if page_fetched(e))
_DEMO.add_episodes(8)
#: The newest episode once the site has published 8 more (a page an incremental build reads).
FAULTY_NEW = max(_DEMO.episodes(), key=lambda e: e.index)
BUG_MESSAGE = "a bug in the parser (not a changed page)"


def _bug() -> Exception:
    return KeyError(BUG_MESSAGE)


def _mismatch() -> Exception:
    return ExtractError("no episode title on the page; has the layout changed?")


@dataclass(frozen=True)
class _FaultyNpr(NprSite):
    """The npr kind, but the hook named by `broken` raises `fault()` on one page."""

    broken: ClassVar[str] = ""
    faulty_path: ClassVar[str] = FAULTY.path

    @staticmethod
    def fault() -> Exception:
        raise NotImplementedError

    def parse_listing(self, url: str, text: str) -> Listing:
        if self.broken == "listing" and url.endswith("start=1"):
            raise self.fault()
        return super().parse_listing(url, text)

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        if self.broken == "episode" and urlsplit(url).path == self.faulty_path:
            raise self.fault()
        return super().parse_episode(ref, url, text)


@dataclass(frozen=True)
class EpisodeBug(_FaultyNpr):
    kind: ClassVar[str] = "npr-episode-bug"
    broken: ClassVar[str] = "episode"
    fault = staticmethod(_bug)


@dataclass(frozen=True)
class NewEpisodeBug(_FaultyNpr):
    kind: ClassVar[str] = "npr-new-episode-bug"
    broken: ClassVar[str] = "episode"
    faulty_path: ClassVar[str] = FAULTY_NEW.path
    fault = staticmethod(_bug)


@dataclass(frozen=True)
class EpisodeMismatch(_FaultyNpr):
    kind: ClassVar[str] = "npr-episode-mismatch"
    broken: ClassVar[str] = "episode"
    fault = staticmethod(_mismatch)


@dataclass(frozen=True)
class ListingBug(_FaultyNpr):
    kind: ClassVar[str] = "npr-listing-bug"
    broken: ClassVar[str] = "listing"
    fault = staticmethod(_bug)


@dataclass(frozen=True)
class ListingMismatch(_FaultyNpr):
    kind: ClassVar[str] = "npr-listing-mismatch"
    broken: ClassVar[str] = "listing"
    fault = staticmethod(_mismatch)


FAULTY_KINDS = [EpisodeBug, NewEpisodeBug, EpisodeMismatch, ListingBug, ListingMismatch]


@pytest.fixture(autouse=True)
def faulty_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind in FAULTY_KINDS:
        monkeypatch.setitem(sites.KINDS, kind.kind, kind)


def _with_kind(config: FeedConfig, kind: type[_FaultyNpr]) -> FeedConfig:
    return replace(config, site=kind.kind)


def _only_the_bug(raised: BaseException) -> KeyError:
    """The KeyError a build raised, alone or as the one exception of a group."""
    if isinstance(raised, BaseExceptionGroup):
        found = raised.subgroup(KeyError)
        assert found is not None, raised
        leaves = list(found.exceptions)
        while leaves and isinstance(leaves[0], BaseExceptionGroup):
            leaves = list(leaves[0].exceptions)
        assert len(leaves) == 1, raised
        raised = leaves[0]
    assert isinstance(raised, KeyError), raised
    return raised


@pytest.fixture
def built(server: DemoServer, config: FeedConfig, tmp_path: Path) -> bytes:
    """A first, complete build with the plain npr kind; returns the feed's bytes."""
    report = build(config, quick_options(tmp_path / "cache"))
    assert report.failed == () and report.episodes_in_feed == len(in_feed(server.site))
    return config.output.read_bytes()


@pytest.mark.parametrize("workers", [0, 1], ids=["thread", "worker-process"])
def test_a_bug_in_parse_episode_stops_the_build_as_itself(
    server: DemoServer, config: FeedConfig, tmp_path: Path, workers: int
) -> None:
    with pytest.raises(BaseException) as caught:
        build(
            _with_kind(config, EpisodeBug),
            replace(quick_options(tmp_path / "cache"), parse_workers=workers),
        )

    assert not isinstance(caught.value, PlanetrssError)  # not "the site has changed"
    assert _only_the_bug(caught.value).args == (BUG_MESSAGE,)
    assert not config.output.exists()  # no feed from a build that hit a bug


def test_a_bug_keeps_the_previous_feed_and_the_next_good_build_completes_it(
    server: DemoServer, config: FeedConfig, tmp_path: Path, built: bytes
) -> None:
    cache = tmp_path / "cache"
    server.site.add_episodes(8)  # new episodes, one of which hits the bug
    assert max(server.site.episodes(), key=lambda e: e.index).path == FAULTY_NEW.path
    new_keys = {e.key for e in in_feed(server.site)} - set(feed_guids(config.output))
    assert FAULTY_NEW.key in new_keys

    with pytest.raises(BaseException) as caught:
        build(_with_kind(config, NewEpisodeBug), quick_options(cache))
    _only_the_bug(caught.value)
    assert config.output.read_bytes() == built

    # The bug fixed (the plain kind again): the next build finds every new episode.
    report = build(config, quick_options(cache))
    assert report.failed == ()
    assert new_keys <= set(feed_guids(config.output))


def test_extract_error_on_an_episode_page_is_one_recorded_failure(
    server: DemoServer, config: FeedConfig, tmp_path: Path
) -> None:
    report = build(_with_kind(config, EpisodeMismatch), quick_options(tmp_path / "cache"))

    (failure,) = report.failed
    assert failure.url == FAULTY.url.replace(_DEMO.origin, server.origin)
    assert failure.reason.startswith("could not extract: no episode title")
    guids = set(feed_guids(config.output))
    assert FAULTY.key not in guids
    assert guids == {e.key for e in in_feed(server.site)} - {FAULTY.key}


def test_a_bug_in_parse_listing_stops_the_build_as_itself(
    server: DemoServer, config: FeedConfig, tmp_path: Path, built: bytes
) -> None:
    with pytest.raises(BaseException) as caught:
        build(_with_kind(config, ListingBug), quick_options(tmp_path / "cache", full=True))

    assert not isinstance(caught.value, PlanetrssError)
    assert _only_the_bug(caught.value).args == (BUG_MESSAGE,)
    assert config.output.read_bytes() == built


def test_extract_error_on_a_listing_page_is_a_changed_site(
    server: DemoServer, config: FeedConfig, tmp_path: Path, built: bytes
) -> None:
    with pytest.raises(NothingUsableError) as caught:
        build(_with_kind(config, ListingMismatch), quick_options(tmp_path / "cache", full=True))

    assert caught.value.exit_code == 3
    assert "the site's pages have changed" in str(caught.value)
    assert "no episode title" in str(caught.value)
    assert config.output.read_bytes() == built


# The real command, in a process of its own, with a faulty kind registered first.
_RUN_CLI = """
import sys
from planetrss import sites
from tests.reliability import test_seam_bugs as t
for kind in t.FAULTY_KINDS:
    sites.KINDS[kind.kind] = kind
from planetrss.cli import main
sys.argv = ["planetrss", *sys.argv[1:]]
main()
"""


def _cli(definition: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANETRSS_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", _RUN_CLI, "build", str(definition), "--cache-dir", str(cache)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.parametrize(
    ("kind", "statuses"),
    [
        # A bug: Python's own exit status for an uncaught exception, with its traceback;
        # not "built" (0), not a bad definition (2), not a changed site (3).
        pytest.param(EpisodeBug, None, id="bug"),
        pytest.param(EpisodeMismatch, {1}, id="extract-error"),
    ],
)
def test_the_command_tells_a_bug_from_a_page_that_does_not_match(
    server: DemoServer, tmp_path: Path, kind: type[_FaultyNpr], statuses: set[int] | None
) -> None:
    definition = write_demo_toml(tmp_path, server.origin)
    text = definition.read_text(encoding="utf-8")
    definition.write_text(text.replace('site = "npr"', f'site = "{kind.kind}"'), "utf-8")
    assert f'site = "{kind.kind}"' in definition.read_text(encoding="utf-8")

    done = _cli(definition, tmp_path / "cache")

    if statuses is not None:
        assert done.returncode in statuses, done.stderr
        assert "could not extract: no episode title" in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        return
    assert done.returncode == 70, done.stderr  # a bug's own status, never 1 ("pages failed")
    assert "planetrss: internal error (a bug, please report it)" in done.stderr
    assert "KeyError" in done.stderr and BUG_MESSAGE in done.stderr
    assert "pages have changed" not in done.stdout + done.stderr
