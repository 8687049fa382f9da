"""Feed definitions: valid ones load; every invalid one fails naming file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from planetrss.build import make_site
from planetrss.config import find_feed, list_feeds, load_feed
from planetrss.errors import ConfigError
from tests.conftest import CHANNEL, ROOT, write_feed_toml


@pytest.mark.parametrize("path", list_feeds(ROOT / "feeds"), ids=lambda p: p.stem)
def test_shipped_definitions_load_and_make_a_site(path: Path) -> None:
    config = load_feed(path)
    assert config.name == path.stem
    assert config.output == path.with_suffix(".xml")
    assert make_site(config).kind == config.site


def test_planetmoney_definition() -> None:
    config = load_feed(ROOT / "feeds" / "planetmoney.toml")
    assert config.site == "npr"
    assert config.params["podcast_id"] == 510289
    assert config.origin == "https://www.npr.org"
    assert config.channel.image.endswith(".jpg?s=1400")


def test_defaults(tmp_path: Path) -> None:
    config = load_feed(write_feed_toml(tmp_path))
    assert config.origin == "https://www.npr.org"
    assert config.channel.category == ("News", "Business News")
    assert config.channel.explicit is False
    assert config.channel.owner is not None and config.channel.owner.email == "tester@example.org"
    assert config.max_items is None


BAD_CASES = [
    # (top-level lines, channel edit (old, new), expected key, expected words)
    ('titel = "x"', None, "titel", "unknown key"),
    ('origin = "ftp://x"', None, "origin", "http"),
    ("max_items = 0", None, "max_items", "positive integer"),
    ("max_items = true", None, "max_items", "expected an integer"),
    ('public_url = "example.org/feed.xml"', None, "public_url", "absolute"),
    ("", ('title = "Test Show"\n', ""), "channel.title", "missing"),
    ("", ('language = "en-us"', 'language = "English"'), "channel.language", "ISO 639"),
    (
        "",
        ('category = ["News", "Business News"]', "category = [1]"),
        "channel.category",
        "Category",
    ),
    ("", ('author = "Tester"', 'autor = "Tester"'), "channel.autor", "unknown key"),
    ("", ('email = "tester@example.org"', 'email = "nope"'), "channel.owner.email", "email"),
    (
        "",
        ('image = "https://example.org/art.jpg?s=1400"', "image = 5"),
        "channel.image",
        "expected a string",
    ),
    (
        "",
        ('category = ["News", "Business News"]', 'category = "Economics"'),
        "channel.category",
        "Apple's categories",
    ),
    (
        "",
        ('category = ["News", "Business News"]', 'category = ["Business", "Daily News"]'),
        "channel.category",
        "subcategory of Business",
    ),
    ('include = ["(unclosed"]', None, "include", "invalid regular expression"),
    ("exclude = [1]", None, "exclude", "regular expressions"),
    ("probe_sizes = 1", None, "probe_sizes", "true or false"),
    (
        "",
        ('author = "Tester"', 'author = "Tester"\nnew_feed_url = "nope"'),
        "channel.new_feed_url",
        "absolute",
    ),
]


@pytest.mark.parametrize(("top", "edit", "key", "words"), BAD_CASES, ids=[c[2] for c in BAD_CASES])
def test_invalid_definitions_name_file_key_and_fix(
    tmp_path: Path, top: str, edit: tuple[str, str] | None, key: str, words: str
) -> None:
    channel = CHANNEL.replace(*edit) if edit else CHANNEL
    path = write_feed_toml(tmp_path, top=top, channel=channel)
    with pytest.raises(ConfigError) as caught:
        load_feed(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert words in message
    assert "\n" not in message


def test_optional_keys(tmp_path: Path) -> None:
    top = 'max_items = 10\ninclude = ["^Episode"]\nexclude = ["Classic"]\nprobe_sizes = true\npublic_url = "https://e.org/f.xml"'
    channel = CHANNEL.replace(
        'author = "Tester"',
        'author = "Tester"\nlocked = true\nnew_feed_url = "https://e.org/new.xml"',
    )
    config = load_feed(write_feed_toml(tmp_path, top=top, channel=channel))
    assert (config.max_items, config.include, config.exclude, config.probe_sizes) == (
        10,
        ("^Episode",),
        ("Classic",),
        True,
    )
    assert config.public_url == "https://e.org/f.xml"
    assert config.channel.locked is True and config.channel.new_feed_url == "https://e.org/new.xml"


def test_missing_site_and_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("[channel]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"x\.toml: site: missing"):
        load_feed(path)
    path.write_text("site = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_feed(path)
    with pytest.raises(ConfigError, match="no such feed definition"):
        load_feed(tmp_path / "absent.toml")


def test_site_kind_and_params_are_checked_before_network(tmp_path: Path) -> None:
    config = load_feed(write_feed_toml(tmp_path, params='podcast_id = "abc"'))
    with pytest.raises(ConfigError, match=r"show\.toml: params\.podcast_id: "):
        make_site(config)
    config = load_feed(write_feed_toml(tmp_path, params="podcast_id = 1\ncolour = 2"))
    with pytest.raises(ConfigError, match=r"params\.colour"):
        make_site(config)
    path = tmp_path / "other.toml"
    path.write_text(write_feed_toml(tmp_path).read_text().replace('site = "npr"', 'site = "nope"'))
    with pytest.raises(ConfigError, match=r"other\.toml: site: .*unknown site kind 'nope'"):
        make_site(load_feed(path))


def test_find_feed_by_name_or_path(tmp_path: Path) -> None:
    path = write_feed_toml(tmp_path, "alpha")
    assert find_feed("alpha", tmp_path) == path
    assert find_feed(str(path), Path("/nonexistent")) == path
    with pytest.raises(ConfigError, match=r"no feed named 'beta' \(known: alpha\)"):
        find_feed("beta", tmp_path)
