"""The generic and selectors kinds on hostile pages: any JSON in a JSON-LD script, any
text in any attribute or element. A page either gives records (an episode with an
absolute http(s) audio URL and an aware date, a skip, a listing) or an ExtractError
("this page does not match"): anything else would be a parser bug that stops a crawl.
"""

from __future__ import annotations

import contextlib
import html
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planetrss.models import Episode, EpisodeRef, Listing
from planetrss.sites.base import ExtractError
from planetrss.sites.generic import GenericSite
from planetrss.sites.selectors import SelectorsSite

URL = "https://show.example/episodes/7-slug/"
GENERIC = GenericSite.from_params(None, {"start": "https://show.example/episodes/"})
SELECTORS = SelectorsSite.from_params(
    None,
    {
        "start": "https://show.example/episodes/",
        "date_format": "%d.%m.%Y",
        "listing": {"item": "article", "link": "h2 a @href", "title": "h2", "date": "time"},
        "episode": {
            "audio": "audio @src",
            "duration": {"select": ".length", "regex": r"(\d+:\d+)"},
            "notes": ".notes",
        },
    },
)
REF = EpisodeRef(key="/episodes/7-slug", url=URL, title="From the listing")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["@type", "@id", "@graph", "name", "url", "contentUrl", "associatedMedia",
             "audio", "duration", "timeRequired", "datePublished", "description", "image",
             "episodeNumber", "itemListElement", "item", "encodingFormat", "contentSize"]
        ) | st.text(max_size=8),
        children,
        max_size=6,
    ),
    max_leaves=30,
)  # fmt: skip
texts = st.text(max_size=80)


def page(ld: Any, value: str) -> str:
    attr = html.escape(value, quote=True)
    body = html.escape(value)
    return (
        f"<html><head><title>{body}</title>"
        f'<script type="application/ld+json">{json.dumps(ld)}</script>'
        f'<meta property="og:audio" content="{attr}"><meta property="og:title" content="{attr}">'
        f'<meta property="article:published_time" content="{attr}"></head><body>'
        f'<article><h2><a href="{attr}">{body}</a></h2><time datetime="{attr}">{body}</time>'
        f'<audio src="{attr}"><source src="{attr}"></audio><a href="{attr}.mp3">{body}</a>'
        f'<span class="length">{body}</span><div class="notes"><p>{body}</p></div></article>'
        f'<a rel="next" href="{attr}">{body}</a></body></html>'
    )


def check_episode(result: object) -> None:
    if isinstance(result, Episode):
        assert result.audio_url.startswith(("http://", "https://"))
        assert result.published.tzinfo is not None
        assert result.title


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ld=json_values, value=texts)
def test_hostile_pages_give_records_or_an_extract_error(ld: Any, value: str) -> None:
    text = page(ld, value)
    for site in (GENERIC, SELECTORS):
        with contextlib.suppress(ExtractError):
            check_episode(site.parse_episode(REF, URL, text))
        try:
            listing = site.parse_listing("https://show.example/episodes/", text)
        except ExtractError:
            continue
        assert isinstance(listing, Listing)
        for ref in listing.refs:
            assert ref.url.startswith(("http://", "https://"))
            check_episode(site.episode_from_listing(ref))


def test_json_nested_past_what_json_reads_is_no_json() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = f'<script type="application/ld+json">{deep}</script><h1>Title</h1><audio src="/a.mp3">'
    result = GENERIC.parse_episode(REF, URL, text)
    assert not isinstance(result, Episode)  # no date anywhere: a skip, not a crash
