"""The command line: documented, thin, and clear about errors (one line, right exit status)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from planetrss import __version__
from planetrss.cli import app
from planetrss.models import EpisodeRef
from planetrss.store import Store
from tests.conftest import ROOT, make_episode, write_feed_toml

runner = CliRunner()
COMMANDS = sorted(c.name or "" for c in app.registered_commands)


def test_commands_are_the_documented_ones() -> None:
    assert COMMANDS == ["build", "check", "demo", "episodes", "feeds", "init", "serve"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: planetrss " + command in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"planetrss {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0 and result.output == f"planetrss {__version__}\n"


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_help_has_a_short_form_and_no_raw_type_names(command: str) -> None:
    args = [command] if command else []
    long, short = runner.invoke(app, [*args, "--help"]), runner.invoke(app, [*args, "-h"])
    assert long.exit_code == short.exit_code == 0
    assert long.output == short.output
    # Metavars say what to type (FEED..., FILE, N), never a Python type or click's braces.
    assert not re.search(r"<[a-z][a-z\[\] ]*>|\{[A-Z|]+\}", long.output), long.output


def test_planetrss_alone_prints_the_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "planetrss"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Usage: planetrss [OPTIONS] COMMAND [ARGS]...")
    assert "planetrss: error" not in result.stderr


def test_build_with_an_unknown_feed_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "nope", "--feeds-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"planetrss: error: nope: no feed definition of that name; looked for nope.toml in "
        f"{tmp_path}/ and the built-in ones "
        "(known: demo, demo-blog, demo-blog-css, demo-hosted, demo-merged)"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build"], "name at least one feed, or --all (see planetrss build --help)"),
        (["build", "x", "-c", "0"], "invalid value for '--concurrency' / '-c': "),
        (["episodes"], "missing argument 'FEED' (see planetrss episodes --help)"),
        (["biuld"], "no such command 'biuld'. Did you mean 'build'? (see planetrss --help)"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "planetrss", *args], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith("planetrss: error: " + message), line


def test_build_with_a_bad_definition_names_file_and_key(tmp_path: Path) -> None:
    write_feed_toml(tmp_path, top="colour = 1")
    result = runner.invoke(
        app, ["build", "show", "--feeds-dir", str(tmp_path), "--cache-dir", str(tmp_path / "c")]
    )
    assert result.exit_code == 2
    assert f"{tmp_path}/show.toml: colour: unknown key" in result.output
    assert not (tmp_path / "c").exists()  # failed before touching cache or network


def test_build_all_without_definitions_says_where_it_looked(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "--all", "--feeds-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert f"--all: no feed definitions found (looked in {tmp_path}/)" in result.output


def test_feeds_lists_definitions_and_cache_state_and_creates_nothing(tmp_path: Path) -> None:
    write_feed_toml(tmp_path, "alpha")
    (tmp_path / "broken.toml").write_text("site = 1\n")
    cache = tmp_path / "c"
    with Store(cache, "alpha") as store:
        store.save_episode(make_episode(1), EpisodeRef(key=make_episode(1).key, url="u", title="t"))
        store.save_state({"last_build": "2026-01-02T03:04:05+00:00", "episodes_in_feed": 1})
    before = sorted(p.name for p in cache.rglob("*"))
    result = runner.invoke(app, ["feeds", "--feeds-dir", str(tmp_path), "--cache-dir", str(cache)])
    assert result.exit_code == 0, result.output
    assert (
        "alpha: 'Test Show' (npr): 1 episode in feed, 1 cached; "
        f"last build 2026-01-02T03:04:05+00:00; output {tmp_path}/alpha.xml [{tmp_path}/alpha.toml]"
        in result.output
    )
    assert "broken: invalid:" in result.output
    assert "demo: 'Planet Demo' (npr at http://127.0.0.1:8765): never built; output " in (
        result.output
    )
    assert sorted(p.name for p in cache.rglob("*")) == before  # no cache made for demo


def test_feeds_only_reads_so_an_unwritable_cache_folder_is_fine(tmp_path: Path) -> None:
    # A regular file where the cache folder should be: nothing can be created under it.
    blocked = tmp_path / "cache"
    blocked.write_text("")
    result = runner.invoke(
        app, ["feeds", "--feeds-dir", str(tmp_path), "--cache-dir", str(blocked / "x")]
    )
    assert result.exit_code == 0, result.output
    assert "demo: 'Planet Demo' (npr at http://127.0.0.1:8765): never built" in result.output


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
    code = "import sys; from planetrss.cli import app; print(sorted(m for m in ('httpx','bs4','feedgen','diskcache','lxml','starlette','uvicorn') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_check_refuses_other_schemes_and_reads_file_urls(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "ftp://example.org/feed.xml"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "planetrss: error: ftp://example.org/feed.xml: unsupported scheme 'ftp': "
        "give a file, or an http(s) URL"
    ]
    good = ROOT / "tests" / "check" / "feeds" / "good.xml"
    result = runner.invoke(app, ["check", good.as_uri()])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(": 0 errors, 0 warnings")


def test_check_counts_in_words(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><head></head><body></body></html>")
    result = runner.invoke(app, ["check", str(page)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"{page}: 1 error, 0 warnings"


def test_building_the_demo_without_its_site_says_which_command_starts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8765)) == 0:
            pytest.skip("something is serving on 127.0.0.1:8765 (a demo site?)")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    result = runner.invoke(app, ["build", "demo", "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        "planetrss: error: demo: the demo site is not running at http://127.0.0.1:8765: "
        "`planetrss demo` serves it and builds this feed (`planetrss demo --serve` keeps it "
        f"up); {tmp_path}/data/planetrss/demo.xml left as it was"
    ]


def test_shell_completion_completes_commands_and_feed_names(tmp_path: Path) -> None:
    write_feed_toml(tmp_path, "alpha")
    env = {
        **os.environ,
        "_PLANETRSS_COMPLETE": "complete_bash",
        "PLANETRSS_FEEDS_DIR": str(tmp_path),
    }
    complete = [sys.executable, "-m", "planetrss"]

    def words(line: str) -> list[str]:
        parts = line.split()
        run_env = {**env, "COMP_WORDS": line, "COMP_CWORD": str(len(parts) - 1)}
        result = subprocess.run(complete, env=run_env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert words("planetrss bu") == ["build"]
    assert words("planetrss build al") == ["alpha"]
    built_in = ["demo", "demo-blog", "demo-blog-css", "demo-hosted", "demo-merged"]
    assert words("planetrss episodes de") == built_in  # the built-in ones
    script = subprocess.run(
        [*complete, "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in env.items() if k != "_PLANETRSS_COMPLETE"},
    )
    assert script.returncode == 0, script.stderr
    assert "_PLANETRSS_COMPLETE=complete_bash" in script.stdout
    assert "complete -o default -F _planetrss_completion planetrss" in script.stdout


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """`planetrss episodes demo | head -3`: no traceback, no "internal error", the
    status a SIGPIPE death gives."""
    (tmp_path / "feeds").mkdir()
    write_feed_toml(tmp_path / "feeds", "show")
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes its first line
    try:
        result = subprocess.run(
            [sys.executable, "-m", "planetrss", "feeds", "--feeds-dir", str(tmp_path / "feeds")],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (141, "")
