"""A damaged cache is a `CacheError` with a one-line message that says how to fix it,
never a traceback; the CLI exits 3 with that line on stderr and the feed is left alone.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planetrss.build import build
from planetrss.cli import app
from planetrss.config import FeedConfig, load_feed
from planetrss.demo import DemoServer, DemoSite
from planetrss.errors import CacheError
from tests.conftest import ROOT
from tests.reliability.conftest import (
    EPISODES,
    PAGE_BYTES,
    VENV_BIN,
    one_line,
    quick_options,
    write_demo_toml,
)

SQLITE_PAGE = 4096
# What a fix looks like: the message must tell the user what to do with the folder.
HOW_TO_FIX = re.compile(r"move it aside|delete|remove|rm -r", re.IGNORECASE)


def _garble(path: Path, keep: int) -> None:
    """Random bytes over `path` from byte `keep` on (deterministic, same size)."""
    data = path.read_bytes()
    # A small database may be shorter than `keep`: then garble its second half, so the
    # damage always reaches records (the 100-byte header and the schema page survive).
    keep = min(keep, max(SQLITE_PAGE, len(data) // 2)) if keep else 0
    noise = random.Random(keep).randbytes(len(data) - keep)
    path.write_bytes(data[:keep] + noise)


CORRUPTIONS = {
    # Nothing recognisable: SQLite refuses to open it.
    "episodes-db-all-garbage": ("episodes", 0),
    # The header and schema survive; the records do not (opens fine, fails on reading).
    "episodes-db-records-garbage": ("episodes", 6 * SQLITE_PAGE),
    "pages-db-records-garbage": ("pages", 6 * SQLITE_PAGE),
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoServer, Path]]:
    """One complete build for the whole module: its folder holds the feed and the cache."""
    folder = tmp_path_factory.mktemp("pristine")
    with DemoServer(DemoSite(episodes=EPISODES, page_bytes=PAGE_BYTES)) as server:
        build(load_feed(write_demo_toml(folder, server.origin)), quick_options(folder / "cache"))
        yield server, folder


def corrupt(pristine: tuple[DemoServer, Path], tmp_path: Path, corruption: str) -> FeedConfig:
    """A copy of the pristine build in tmp_path, its cache damaged as `corruption` says."""
    server, folder = pristine
    shutil.copytree(folder / "cache", tmp_path / "cache")
    shutil.copy2(folder / "demo.xml", tmp_path / "demo.xml")
    config = load_feed(write_demo_toml(tmp_path, server.origin))
    part, keep = CORRUPTIONS[corruption]
    database = tmp_path / "cache" / "demo" / part / "cache.db"
    # Lose the write-ahead log too, or SQLite may serve the damaged pages from it.
    for journal in database.parent.glob("cache.db-*"):
        journal.unlink()
    _garble(database, keep)
    return config


def _check_message(message: str, cache: Path) -> None:
    assert "\n" not in message, message
    assert str(cache / "demo") in message, message
    assert HOW_TO_FIX.search(message), message


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_library_raises_cache_error_with_a_fix(
    pristine: tuple[DemoServer, Path], tmp_path: Path, corruption: str
) -> None:
    config = corrupt(pristine, tmp_path, corruption)
    before = config.output.read_bytes()

    with pytest.raises(CacheError) as caught:
        build(config, quick_options(tmp_path / "cache"))

    assert caught.value.exit_code == 3
    _check_message(str(caught.value), tmp_path / "cache")
    assert config.output.read_bytes() == before


# Each command with damage it has to read through (`episodes` reads the episode records,
# `feeds` only counts them; `build` on damaged records is the subprocess test below).
CLI_CASES = [
    ("episodes-db-all-garbage", "episodes"),
    ("episodes-db-all-garbage", "feeds"),
    ("episodes-db-records-garbage", "episodes"),
    ("pages-db-records-garbage", "build"),
]


@pytest.mark.parametrize(("corruption", "command"), CLI_CASES)
def test_cli_exits_3_with_one_line(
    pristine: tuple[DemoServer, Path], tmp_path: Path, corruption: str, command: str
) -> None:
    config = corrupt(pristine, tmp_path, corruption)
    cache = tmp_path / "cache"
    target = [str(config.path)] if command != "feeds" else []
    args = [command, *target, "--cache-dir", str(cache), "--feeds-dir", str(tmp_path)]

    result = CliRunner().invoke(app, args)

    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}"
    )
    assert result.exit_code == 3, result.output
    line = one_line(result.stderr)
    assert line.startswith("planetrss: error: ")
    _check_message(line, cache)


def test_cli_process_prints_no_traceback(pristine: tuple[DemoServer, Path], tmp_path: Path) -> None:
    config = corrupt(pristine, tmp_path, "episodes-db-records-garbage")
    cache = tmp_path / "cache"

    result = subprocess.run(
        [str(VENV_BIN / "planetrss"), "build", str(config.path), "--cache-dir", str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 3
    _check_message(one_line(result.stderr), cache)
