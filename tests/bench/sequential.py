"""The sequential baseline: what the original one-file scraper did, for `make bench`.

One `httpx.Client`; listing pages fetched one at a time, then each episode page one at
a time, each parsed in full with `BeautifulSoup(html, "lxml")`; the records kept in a
list. No cache, no concurrency, no process pool. It prints one JSON line:

    python -m tests.bench.sequential --origin http://127.0.0.1:40123 --limit 200
    {"listing_pages": 9, "episode_pages": 200, "requests": 209, "episodes": 200, "seconds": 23.4}
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import httpx
from bs4 import BeautifulSoup

PAGE_SIZE = 24


@dataclass(frozen=True)
class Scrape:
    listing_pages: int
    episode_pages: int
    requests: int
    episodes: int
    seconds: float


def _text(soup: BeautifulSoup, selector: str) -> str | None:
    found = soup.select_one(selector)
    return found.get_text(" ", strip=True) if found is not None else None


def scrape(origin: str, podcast_id: str, limit: int) -> Scrape:
    """Fetch and parse the newest `limit` episode pages (and the listing pages naming them)."""
    started = time.perf_counter()
    urls: list[str] = []
    listing_pages = 0
    episodes: list[dict[str, str | None]] = []
    with httpx.Client(timeout=30) as client:
        start = 1
        while len(urls) < limit:
            url = f"{origin}/get/{podcast_id}/render/partial/next?start={start}"
            response = client.get(url)
            response.raise_for_status()
            listing_pages += 1
            soup = BeautifulSoup(response.text, "lxml")
            items = soup.select("article.item")
            for item in items:
                link = item.select_one("h2.title a[href]")
                if link is not None:  # NPR+ exclusives have no public page
                    urls.append(str(link["href"]))
            if len(items) < PAGE_SIZE:
                break
            start += len(items)
        for url in urls[:limit]:
            response = client.get(url)
            response.raise_for_status()
            soup = BeautifulSoup(response.text, "lxml")
            audio = soup.select_one("[data-audio]")
            when = soup.select_one("#story-meta time[datetime]")
            episodes.append(
                {
                    "url": url,
                    "title": _text(soup, "div.storytitle h1"),
                    "published": str(when["datetime"]) if when is not None else None,
                    "audio": str(audio["data-audio"]) if audio is not None else None,
                    "notes": _text(soup, "#storytext"),
                }
            )
    pages = len(urls[:limit])
    return Scrape(
        listing_pages=listing_pages,
        episode_pages=pages,
        requests=listing_pages + pages,
        episodes=sum(1 for e in episodes if e["title"]),
        seconds=time.perf_counter() - started,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.sequential", description=__doc__)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--podcast-id", default="510289")
    parser.add_argument("--limit", type=int, default=200, help="episode pages to fetch")
    args = parser.parse_args(argv)
    print(json.dumps(asdict(scrape(args.origin.rstrip("/"), args.podcast_id, args.limit))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
