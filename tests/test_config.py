"""Feed definitions: valid ones load; every invalid one fails naming file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from planetrss.build import make_site, make_sources
from planetrss.config import (
    BUILTIN_FEEDS,
    feed_dirs,
    feeds_home,
    find_feed,
    list_feeds,
    load_feed,
)
from planetrss.errors import ConfigError
from tests.conftest import CHANNEL, ROOT, write_feed_toml


@pytest.mark.parametrize("path", list_feeds(ROOT / "feeds"), ids=lambda p: p.stem)
def test_shipped_definitions_load_and_make_a_site(path: Path) -> None:
    config = load_feed(path)
    assert config.name == path.stem
    assert config.output == path.with_suffix(".xml")
    assert make_site(config).kind == config.site


@pytest.mark.parametrize("path", sorted(BUILTIN_FEEDS.glob("*.toml")), ids=lambda p: p.stem)
def test_builtin_definitions_write_to_the_user_data_folder(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    config = load_feed(path)
    assert make_site(config).kind == config.site
    # Never into the installed package's folder.
    assert config.output == tmp_path / "planetrss" / f"{path.stem}.xml"


def test_unknown_keys_suggest_the_closest_known_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_feed(write_feed_toml(tmp_path, top="probe_size = true"))
    assert str(caught.value) == (
        f"{tmp_path}/show.toml: probe_size: unknown key; did you mean probe_sizes?"
    )
    with pytest.raises(ConfigError, match=r"colour: unknown key \(misspelt\?\)$"):
        load_feed(write_feed_toml(tmp_path, top="colour = 1"))
    channel = CHANNEL.replace('title = "Test Show"', 'titel = "Test Show"')
    with pytest.raises(ConfigError, match=r"channel\.titel: unknown key; did you mean title\?$"):
        load_feed(write_feed_toml(tmp_path, channel=channel))


@pytest.mark.parametrize(("name", "podcast_id"), [("planetmoney", 510289), ("indicator", 510325)])
def test_shipped_npr_definitions_merge_the_official_feed_and_the_archive(
    name: str, podcast_id: int
) -> None:
    config = load_feed(ROOT / "feeds" / f"{name}.toml")
    official, archive = config.sources
    assert (official.site, official.url) == (
        "rss",
        f"https://feeds.npr.org/{podcast_id}/podcast.xml",
    )
    assert (archive.site, archive.origin) == ("npr", "https://www.npr.org")
    assert archive.params["podcast_id"] == podcast_id
    assert config.channel.image.endswith(".jpg?s=1400")
    assert [site.kind for _, site in make_sources(config)] == ["rss", "npr"]


SOURCES = """
[[sources]]
site = "rss"
url = "official.xml"

[[sources]]
site = "npr"
origin = "https://www.npr.org"
[sources.params]
podcast_id = 510289
"""


def write_sources(folder: Path, sources: str = SOURCES, extra: str = "") -> Path:
    path = folder / "merged.toml"
    path.write_text(f"{extra}\n{sources}\n{CHANNEL}", encoding="utf-8")
    return path


def test_sources_are_read_with_names_paths_and_precedence(tmp_path: Path) -> None:
    extra = ""
    path = write_sources(tmp_path, SOURCES + '\n[precedence]\nnotes = ["rss", "*"]\n', extra)
    config = load_feed(path)
    assert config.merged
    assert [(s.name, s.site, s.where) for s in config.sources] == [
        ("rss", "rss", "sources[0]"),
        ("npr", "npr", "sources[1]"),
    ]
    assert config.sources[0].url == str(tmp_path / "official.xml")  # beside the definition
    assert dict(config.precedence) == {"notes": ("rss", "*")}
    # The one-source form has no sources: its cache stays where it always was.
    assert not load_feed(write_feed_toml(tmp_path)).merged


SOURCE_ERRORS = [
    (SOURCES.replace("podcast_id = 510289", "podcast_idd = 1"), "sources[1].params.podcast_idd"),
    (SOURCES.replace('site = "npr"', 'site = "nope"'), "sources[1].site"),
    (SOURCES.replace('url = "official.xml"', ""), "sources[0].url"),
    (
        SOURCES.replace('url = "official.xml"', 'url = "a.xml"\norigin = "https://x.org"'),
        "sources[0].origin",
    ),
    (
        SOURCES.replace('site = "npr"', 'site = "rss"\nurl = "b.xml"').replace(
            'origin = "https://www.npr.org"\n[sources.params]\npodcast_id = 510289', ""
        ),
        "sources[1].name",
    ),
    (SOURCES + '\n[precedence]\nnotes = ["archive"]\n', "precedence.notes"),
    (SOURCES + '\n[precedence]\nnote = ["npr"]\n', "precedence.note"),
    ('site = "npr"\n' + SOURCES, "site"),
]


@pytest.mark.parametrize(("sources", "key"), SOURCE_ERRORS)
def test_source_errors_name_the_file_and_the_key(tmp_path: Path, sources: str, key: str) -> None:
    path = write_sources(tmp_path, sources)
    with pytest.raises(ConfigError) as caught:
        make_sources(load_feed(path))
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{path}: {key}: ")


def test_defaults(tmp_path: Path) -> None:
    config = load_feed(write_feed_toml(tmp_path))
    # No origin in the file: the npr kind (and only it) defaults to npr.org.
    assert config.origin is None
    assert make_site(config).origin == "https://www.npr.org"
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
    ("", ('title = "Test Show"\n', "title = 5\n"), "channel.title", "expected a string"),
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
    with pytest.raises(ConfigError) as caught:
        find_feed("beta", tmp_path)
    assert str(caught.value) == (
        f"beta: no feed definition of that name; looked for beta.toml in {tmp_path}/ "
        "and the built-in ones (known: alpha, demo, demo-blog, demo-blog-css, demo-hosted, "
        "demo-merged)"
    )


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory outside the checkout, with a config home of its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANETRSS_FEEDS_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def test_definitions_are_searched_for_in_order(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = elsewhere / "config" / "planetrss" / "feeds"
    local = elsewhere / "feeds"
    assert feed_dirs() == [Path("feeds"), user, BUILTIN_FEEDS]
    built_in = ["demo", "demo-blog", "demo-blog-css", "demo-hosted", "demo-merged"]
    assert [p.stem for p in list_feeds(builtin=True)] == built_in  # from anywhere
    assert list_feeds() == []  # --all leaves the built-in ones out
    assert find_feed("demo") == BUILTIN_FEEDS / "demo.toml"
    user.mkdir(parents=True)
    write_feed_toml(user, "alpha")
    write_feed_toml(user, "beta")
    local.mkdir()
    write_feed_toml(local, "alpha")
    write_feed_toml(local, "demo")  # a definition of one's own shadows the built-in one
    assert list_feeds() == [Path("feeds/alpha.toml"), user / "beta.toml", Path("feeds/demo.toml")]
    assert find_feed("alpha") == Path("feeds/alpha.toml")
    assert find_feed("beta") == user / "beta.toml"
    assert find_feed("demo") == Path("feeds/demo.toml")
    assert feeds_home() == Path("feeds")
    # --feeds-dir, or PLANETRSS_FEEDS_DIR, replaces ./feeds and the config folder.
    assert feed_dirs(user) == [user, BUILTIN_FEEDS]
    monkeypatch.setenv("PLANETRSS_FEEDS_DIR", str(user))
    assert find_feed("alpha") == user / "alpha.toml"
    assert feeds_home() == user


def test_new_definitions_go_to_the_config_folder_without_a_local_one(elsewhere: Path) -> None:
    assert feeds_home() == Path("feeds")  # neither exists: ./feeds, the first place searched
    (elsewhere / "config" / "planetrss" / "feeds").mkdir(parents=True)
    assert feeds_home() == elsewhere / "config" / "planetrss" / "feeds"


def test_a_five_line_definition_is_enough(tmp_path: Path) -> None:
    path = tmp_path / "workshop.toml"
    path.write_text(
        'site = "generic"\norigin = "https://workshop.example"\n[params]\n'
        'start = "https://workshop.example/episodes/"\n'
        "episode_pattern = '^https://workshop\\.example/episodes/[^/]+$'\n",
        encoding="utf-8",
    )
    config = load_feed(path)
    assert (config.channel.title, config.channel.link, config.channel.image) == ("", "", "")
    site = make_site(config)
    assert site.kind == "generic"
