"""§7: NPR's real official feed (2020 copy, 355 items) merged with synthetic archive
listing pages that overlap it, parsed by the npr kind; the match counts are asserted."""

from __future__ import annotations

import html
import json
from pathlib import Path

from planetrss.merge import Candidate, match
from planetrss.sites.npr import NprSite
from planetrss.sites.rss import parse_feed

FEED_URL = "https://feeds.npr.org/510289/podcast.xml"
KINDS = {"official": "rss", "archive": "npr"}


def archive_item(title: str, url: str, day: str, audio: str, duration: int) -> str:
    data = json.dumps({"uid": "", "available": True, "duration": duration, "audioUrl": audio})
    return (
        f'<article class="item"><div class="item-info"><h2 class="title">'
        f'<a href="{html.escape(url)}">{html.escape(title)}</a></h2>'
        f'<p class="teaser"><a href="{html.escape(url)}"><time datetime="{day}"></time>'
        f'Teaser.</a></p></div><div class="audio-module-controls-wrap" '
        f"data-audio='{html.escape(data, quote=False)}'></div></article>"
    )


def test_the_real_official_feed_merges_with_an_overlapping_archive(shared_npr: Path) -> None:
    official = parse_feed(FEED_URL, (shared_npr / "official-feed-2020-11-29.xml").read_bytes())
    assert len(official.episodes) == 355
    items: list[str] = []
    # The archive lacks the 5 newest official items (not scraped yet) and holds the rest:
    # a third by their story page (story id), a third under old blog URLs with the same
    # audio file (audio identity), a third with a re-encoded file (title, day, duration).
    for index, e in enumerate(official.episodes[5:]):
        story = next(v for k, v in _query(e.audio_url) if k == "story")
        path = (
            e.audio_url.split("?")[0].split("edge1.pod.npr.org/")[-1].split("ondemand.npr.org/")[-1]
        )
        day = f"{e.published:%Y-%m-%d}"
        rule = index % 3
        if rule == 0:
            url = f"https://www.npr.org/sections/money/{e.published:%Y/%m/%d}/{story}/x"
            audio = f"https://ondemand.npr.org/{path}?story={story}"
        elif rule == 1:
            url = f"https://www.npr.org/sections/money/{e.published:%Y/%m}/blog-{index}.html"
            audio = f"https://ondemand.npr.org/{path}?d={e.duration}"
        else:
            url = f"https://www.npr.org/sections/money/{e.published:%Y/%m}/blog-{index}.html"
            audio = f"https://ondemand.npr.org/reencoded/{index}.mp3"
        items.append(archive_item(f" {e.title.upper()} ", url, day, audio, (e.duration or 0) + 30))
    # And 40 older episodes only the archive has; one reuses a recent title on another day.
    for n in range(40):
        items.append(
            archive_item(
                f"Old episode {n}",
                f"https://www.npr.org/sections/money/2012/01/{n + 1:02d}/{100000 + n}/old",
                f"2012-01-{n % 28 + 1:02d}",
                f"https://ondemand.npr.org/old/{n}.mp3",
                1200,
            )
        )
    items.append(
        archive_item(
            official.episodes[0].title,
            "https://www.npr.org/x/rerun.html",
            "2015-03-03",
            "https://ondemand.npr.org/rerun.mp3",
            official.episodes[0].duration or 0,
        )
    )
    site = NprSite.from_params("https://www.npr.org", {"podcast_id": 510289})
    listing = site.parse_listing("https://www.npr.org/archive", "\n".join(items))
    assert len(listing.refs) == 350 + 40 + 1

    candidates = [Candidate.of("official", e) for e in official.episodes]
    for ref in listing.refs:
        assert ref.audio is not None and ref.published is not None
        candidates.append(
            Candidate(
                "archive",
                ref.key,
                ref.title,
                ref.published,
                ref.url,
                ref.audio.url,
                ref.audio.duration,
            )
        )
    result = match(candidates, kinds=KINDS)
    assert result.rule_counts() == {
        "site id": 117,
        "audio identity": 117,
        "title, day, duration": 116,
    }
    assert len(result.episodes) == 355 + 40 + 1  # every episode exactly once
    official_guids = {e.key for e in official.episodes}
    assert official_guids <= {m.guid for m in result.episodes}  # under the official guids
    by_sources = [m.sources for m in result.episodes]
    assert by_sources.count(("archive", "official")) == 350
    assert by_sources.count(("official",)) == 5
    assert by_sources.count(("archive",)) == 41


def _query(url: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl, urlsplit

    return parse_qsl(urlsplit(url).query)
