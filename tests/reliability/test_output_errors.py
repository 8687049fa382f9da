"""A feed that cannot be written where it is to go: one line naming the place, exit 2,
nothing fetched, the previous feed untouched, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from planetrss import build as build_module
from planetrss.build import build
from planetrss.demo import DemoServer, DemoSite
from planetrss.errors import ConfigError
from tests.conftest import ROOT
from tests.reliability.conftest import demo_config, quick_options

PLANETMONEY = ROOT / "feeds" / "planetmoney.toml"
OLD_FEED = b"<rss>the previous feed</rss>"


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A read-only folder holding a previous feed: a read-only bind mount as root (whom
    permission bits do not stop), a folder without write permission otherwise."""
    folder = tmp_path / "published"
    folder.mkdir()
    (folder / "feed.xml").write_bytes(OLD_FEED)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mount = ["mount", "--bind", str(folder), str(folder)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("cannot make a read-only folder here: running as root without mount")
    try:
        remount = ["mount", "-o", "remount,bind,ro", str(folder)]
        subprocess.run(remount, check=True, capture_output=True)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True, capture_output=True)


def run_build(tmp_path: Path, output: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "planetrss", "build", str(PLANETMONEY)]
    command += ["--output", str(output), "--cache-dir", str(tmp_path / "cache")]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)


def assert_refused(result: subprocess.CompletedProcess[str], tmp_path: Path, line: str) -> None:
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    assert result.stderr.splitlines() == [f"planetrss: error: {line}"]
    assert not (tmp_path / "cache").exists()  # refused before any cache or network use


def test_output_an_existing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "somewhere"
    folder.mkdir()
    result = run_build(tmp_path, folder)
    assert_refused(
        result,
        tmp_path,
        f"{folder}: cannot write the feed there: it is a folder; name a file in it, "
        f"e.g. {folder}/planetmoney.xml",
    )


def test_output_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("")
    output = tmp_path / "plain" / "sub" / "feed.xml"
    result = run_build(tmp_path, output)
    assert_refused(
        result, tmp_path, f"{output}: cannot write the feed there: {output.parents[1]} is a file"
    )


def test_output_into_a_read_only_folder(tmp_path: Path, read_only: Path) -> None:
    output = read_only / "feed.xml"
    result = run_build(tmp_path, output)
    assert_refused(
        result, tmp_path, f"{output}: cannot write the feed there: {read_only} is not writable"
    )
    assert output.read_bytes() == OLD_FEED


def test_output_into_a_missing_folder_under_a_read_only_one(
    tmp_path: Path, read_only: Path
) -> None:
    output = read_only / "new" / "feed.xml"
    result = run_build(tmp_path, output)
    assert_refused(
        result, tmp_path, f"{output}: cannot write the feed there: {read_only} is not writable"
    )


def test_a_folder_that_turns_read_only_during_the_build(
    tmp_path: Path, read_only: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check before the crawl passed (the folder was writable then); the write fails.
    monkeypatch.setattr(build_module, "check_output", lambda config: None)
    output = read_only / "feed.xml"
    with DemoServer(DemoSite(episodes=30)) as server:
        config = demo_config(server.origin, output)
        with pytest.raises(ConfigError) as caught:
            build(config, quick_options(tmp_path / "cache"))
    message = str(caught.value)
    assert message.startswith(f"{output}: cannot write the feed there: "), message
    assert message.endswith("; the previous feed is left as it was"), message
    assert output.read_bytes() == OLD_FEED
    assert sorted(p.name for p in read_only.iterdir()) == ["feed.xml"]
