"""Shared test helpers: feed definitions written on the fly, the shared NPR fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from planetrss.config import BUILTIN_FEEDS, FeedConfig, load_feed
from planetrss.models import Episode

ROOT = Path(__file__).resolve().parent.parent
#: The demo's feed definition, shipped inside the package.
DEMO_TOML = BUILTIN_FEEDS / "demo.toml"
SHARED_NPR = ROOT.parent / "shared" / "fixtures" / "npr"

CHANNEL = """
[channel]
title = "Test Show"
description = "A show for tests."
link = "https://example.org/show"
image = "https://example.org/art.jpg?s=1400"
language = "en-us"
category = ["News", "Business News"]
author = "Tester"

[channel.owner]
name = "Tester"
email = "tester@example.org"
"""


def write_feed_toml(
    folder: Path,
    name: str = "show",
    *,
    top: str = "",
    params: str = "podcast_id = 510289",
    channel: str = CHANNEL,
) -> Path:
    """Write a feed definition; `top` adds top-level keys (before any table)."""
    path = folder / f"{name}.toml"
    path.write_text(f'site = "npr"\n{top}\n[params]\n{params}\n{channel}', encoding="utf-8")
    return path


@pytest.fixture
def feed_config(tmp_path: Path) -> FeedConfig:
    return load_feed(write_feed_toml(tmp_path, top='origin = "http://test.invalid"'))


def make_episode(n: int, **changes: object) -> Episode:
    """A plausible episode number `n` (newer for larger n)."""
    fields: dict[str, object] = {
        "key": f"{500000000 + n}",
        "title": f"Episode {n}: Title {n}",
        "url": f"https://example.org/2020/01/01/{500000000 + n}/episode-{n}",
        "published": datetime(2020, 1, 1, 9, 0, tzinfo=UTC) + timedelta(days=n),
        "audio_url": f"https://cdn.example.org/audio/{n}.mp3?d=1200&size=1000",
        "audio_size": 1000 + n,
        "duration": 1200 + n,
        "summary": f"Summary of episode {n}.",
        "notes_html": f"<p>Notes for <a href='https://example.org/{n}'>episode {n}</a>.</p>",
        "image_url": f"https://example.org/img/{n}.jpg?s=1400",
        "transcript_url": f"https://example.org/transcripts/{n}",
        "episode_number": n,
    }
    fields.update(changes)
    return Episode(**fields)  # type: ignore[arg-type]


@pytest.fixture
def shared_npr() -> Path:
    if not SHARED_NPR.is_dir():
        pytest.skip(f"the shared NPR fixtures are not at {SHARED_NPR}")
    return SHARED_NPR
