"""Site extraction as data: one parametrized test over `cases/<kind>/*.json`.

Each case names a saved page and the complete records it must give:

    {
      "page": "shared:npr/archive-2017-02-28.html"    # ../shared/fixtures/<path>, or
              "local:npr/episode-transcript.html",     # tests/sites/pages/<path>
      "kind": "listing" | "episode" | "params",
      "url": "<the page's URL>",
      "origin": "https://www.npr.org", "params": {...},  # the feed's site definition
      "ref": {...},                                    # episodes: the EpisodeRef given
      "expected": {"item_count": 15, "refs": [...], "skips": [...],     # listings
                   "next_url": ..., "unread": 0,                     # (optional)
                   "from_listing": [<Episode, Skip or null per ref>]} # (optional)
               | {"episode": {...Episode.to_dict()...}} | {"skip": {...}}
               | {"error": {"type": "ExtractError", "match": "<regex>"}}  # both
               | {"param_error": {"key": "listing.item", "match": "<regex>"}}  # params
    }

A "params" case has no page: its definition must be refused, naming the key.

The site kind is the case's folder name. Adding a page needs a case file, no code.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from planetrss.models import Listing, Skip
from planetrss.sites import KINDS, SiteParamError, find, get
from planetrss.store import ref_from_dict

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
PAGES = HERE / "pages"
# The shared fixtures live beside the project, never inside it.
SHARED = HERE.parents[2] / "shared" / "fixtures"

CASE_FILES = sorted(CASES.glob("*/*.json"))


def read_page(spec: str) -> str:
    """The text of a case's page; skips the test when a shared page is absent."""
    origin, _, relative = spec.partition(":")
    if origin == "shared":
        path = SHARED / relative
        if not path.is_file():
            pytest.skip(f"shared fixture {path} is absent (it lives outside the project)")
    elif origin == "local":
        path = PAGES / relative
    else:
        raise ValueError(f"page {spec!r}: expected 'shared:<path>' or 'local:<path>'")
    # Bytes, decoded: no newline translation, the page exactly as it was saved.
    return path.read_bytes().decode("utf-8")


def record_to_json(record: Any) -> Any:
    """A record as the JSON of a case file (dates as ISO 8601 strings)."""
    if isinstance(record, datetime):
        return record.isoformat()
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {
            field.name: record_to_json(getattr(record, field.name))
            for field in dataclasses.fields(record)
        }
    return record


def listing_to_json(listing: Listing) -> dict[str, Any]:
    found = {
        "item_count": listing.item_count,
        "refs": [record_to_json(ref) for ref in listing.refs],
        "skips": [record_to_json(skip) for skip in listing.skips],
    }
    # Only when a page has them, so that cases written before them stay as they are.
    if listing.next_url is not None:
        found["next_url"] = listing.next_url
    if listing.unread:
        found["unread"] = listing.unread
    return found


@pytest.mark.parametrize(
    "case_path", CASE_FILES, ids=[f"{path.parent.name}/{path.stem}" for path in CASE_FILES]
)
def test_site_page(case_path: Path) -> None:
    case = json.loads(case_path.read_text(encoding="utf-8"))
    kind = get(case_path.parent.name)
    expected = case["expected"]
    if case["kind"] == "params":
        with pytest.raises(SiteParamError, match=expected["param_error"]["match"]) as refused:
            kind.from_params(case["origin"], case["params"])
        assert refused.value.key == expected["param_error"]["key"]
        return
    text = read_page(case["page"])
    site = kind.from_params(case["origin"], case["params"])

    if case["kind"] == "listing":
        if "error" in expected:
            with pytest.raises(Exception, match=expected["error"]["match"]) as caught:
                site.parse_listing(case["url"], text)
            assert type(caught.value).__name__ == expected["error"]["type"]
            return
        listing = site.parse_listing(case["url"], text)
        assert listing.url == case["url"]
        found = listing_to_json(listing)
        for name in ("next_url", "unread"):
            if name in expected:
                found[name] = getattr(listing, name)
        if "from_listing" in expected:
            found["from_listing"] = [
                record_to_json(site.episode_from_listing(ref)) for ref in listing.refs
            ]
        assert found == expected
        assert listing.item_count == len(listing.refs) + len(listing.skips)
        return

    assert case["kind"] == "episode", f"{case_path.name}: unknown kind {case['kind']!r}"
    ref = ref_from_dict(case["ref"])
    if "error" in expected:
        error = expected["error"]
        with pytest.raises(Exception, match=error["match"]) as caught:
            site.parse_episode(ref, case["url"], text)
        assert type(caught.value).__name__ == error["type"]
        return
    result = site.parse_episode(ref, case["url"], text)
    if "skip" in expected:
        assert isinstance(result, Skip), result
        assert record_to_json(result) == expected["skip"]
    else:
        assert not isinstance(result, Skip), result
        assert result.to_dict() == expected["episode"]
        assert result.published.tzinfo is not None


def test_there_are_cases_for_every_kind() -> None:
    assert {path.parent.name for path in CASE_FILES} >= set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_example_url_finds_its_kind(kind: str) -> None:
    site = KINDS[kind]
    assert site.kind == kind
    if not site.example:  # chosen by name only (selectors: no URL tells its profile)
        assert site.pattern.search("https://show.example.net/archive") is None
        assert all(find(other.example) is not site for other in KINDS.values() if other.example)
        return
    assert find(site.example) is site


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unknown_param_is_named(kind: str) -> None:
    with pytest.raises(SiteParamError) as caught:
        KINDS[kind].from_params("https://example.org", {"no_such_param": 1})
    assert caught.value.key == "no_such_param"
    assert re.search(r"expected", str(caught.value))
