"""The command line: documented, thin, and clear about errors (one line, right exit status)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planetrss.cli import app
from tests.conftest import ROOT, write_feed_toml

runner = CliRunner()
COMMANDS = sorted(c.name or "" for c in app.registered_commands)


def test_commands_are_the_documented_ones() -> None:
    assert COMMANDS == ["build", "check", "demo", "episodes", "feeds"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: planetrss " + command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"planetrss {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("planetrss ")


def test_build_with_an_unknown_feed_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "nope", "--feeds-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"planetrss: error: {tmp_path}/nope.toml: no feed named 'nope' (known: none)"
    ]


def test_build_with_a_bad_definition_names_file_and_key(tmp_path: Path) -> None:
    write_feed_toml(tmp_path, top="colour = 1")
    result = runner.invoke(
        app, ["build", "show", "--feeds-dir", str(tmp_path), "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 2
    assert f"{tmp_path}/show.toml: colour: unknown key" in result.output
    assert not (tmp_path / "c").exists()  # failed before touching cache or network


def test_build_needs_a_feed(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "--feeds-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "name at least one feed, or --all" in result.output


def test_feeds_lists_definitions_and_cache_state(tmp_path: Path) -> None:
    write_feed_toml(tmp_path, "alpha")
    (tmp_path / "broken.toml").write_text("site = 1\n")
    result = runner.invoke(
        app, ["feeds", "--feeds-dir", str(tmp_path), "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 0
    assert (
        "alpha: 'Test Show' (npr at https://www.npr.org); 0 episodes cached; last build never"
        in result.output
    )
    assert "broken: invalid:" in result.output


def test_check_reports_and_exits_1_on_errors(tmp_path: Path) -> None:
    good = ROOT / "tests" / "check" / "feeds" / "good.xml"
    result = runner.invoke(app, ["check", str(good)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 errors, 0 warnings")
    bad = tmp_path / "bad.xml"
    bad.write_bytes(
        good.read_bytes().replace(
            b"<itunes:explicit>false</itunes:explicit>", b"<itunes:explicit>no</itunes:explicit>", 1
        )
    )
    result = runner.invoke(app, ["check", str(bad), "--json"])
    assert result.exit_code == 1
    assert '"rule": "channel-explicit-invalid"' in result.output


def test_help_starts_fast() -> None:
    # Not a timing test: it checks that --help does not import the heavy libraries.
    code = "import sys; from planetrss.cli import app; print(sorted(m for m in ('httpx','bs4','feedgen','diskcache','lxml') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
