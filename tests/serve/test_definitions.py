"""The definition keys `planetrss serve` reads: refresh, token, token_file."""

from __future__ import annotations

from pathlib import Path

import pytest

from planetrss.config import format_duration, load_feed, parse_duration
from planetrss.errors import ConfigError
from tests.conftest import write_feed_toml


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("6h", 21600),
        ("30m", 1800),
        ("1d", 86400),
        ("1h30m", 5400),
        ("45s", 45),
        ("1d2h3m4s", 93784),
    ],
)
def test_durations_read_and_print_back(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds
    assert format_duration(seconds) == text


@pytest.mark.parametrize("text", ["", "6", "h", "6 hours", "0s", "1h 30m", "-1h", "1.5h", "30m1h"])
def test_what_is_not_a_duration(text: str) -> None:
    assert parse_duration(text) is None


def test_refresh_and_token_are_read(tmp_path: Path) -> None:
    token = "abcdefghijklmnop_-.~XYZ0123"
    config = load_feed(write_feed_toml(tmp_path, top=f'refresh = "90m"\ntoken = "{token}"'))
    assert config.refresh == 5400 and config.token == token
    assert token not in repr(config)  # never in a log line, nor in the feed inputs' digest
    plain = load_feed(write_feed_toml(tmp_path, "plain"))
    assert plain.refresh is None and plain.token is None


def test_a_token_file_is_read_relative_to_the_definition(tmp_path: Path) -> None:
    (tmp_path / "show.token").write_text("from-a-file-0123456789\n# a comment line\n")
    config = load_feed(write_feed_toml(tmp_path, top='token_file = "show.token"'))
    assert config.token == "from-a-file-0123456789"


@pytest.mark.parametrize(
    ("top", "key", "words"),
    [
        ('refresh = "soon"', "refresh", 'expected a duration like "6h"'),
        ("refresh = 6", "refresh", "expected a string"),
        ('token = "short"', "token", "at least 16"),
        ('token = "has spaces in it 0123456789"', "token", "at least 16"),
        ('token_file = "missing.token"', "token_file", "cannot read"),
        ('token = "abcdefghijklmnop0"\ntoken_file = "x"', "token_file", "not both"),
    ],
)
def test_bad_serve_keys_name_file_key_and_fix(
    tmp_path: Path, top: str, key: str, words: str
) -> None:
    path = write_feed_toml(tmp_path, top=top)
    with pytest.raises(ConfigError) as caught:
        load_feed(path)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{path}: {key}: ")
    assert words in str(caught.value)
