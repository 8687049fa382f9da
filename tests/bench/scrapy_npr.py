"""The same job done with Scrapy, written as an expert would, for `make bench` to compare.

One spider crawls the benchmark's NPR-style archive: it asks how many episodes there are
(`remainingCount`), then requests every listing page at once, then every episode page a
listing names (NPR+ exclusives have no page; items whose audio is not available yet are
left, as planetrss leaves them), and extracts the fields planetrss extracts — title, date,
audio URL, duration, image, summary, show notes as HTML, transcript link — with Scrapy's
own selectors (parsel, on lxml). Raw pages are kept in Scrapy's HTTP cache (for
incremental re-runs), items go to a JSON-lines file, concurrency is 16 per host.
Scrapy is a bench-only dependency (the `bench` extra). It prints one JSON line:

    python -m tests.bench.scrapy_npr --origin http://127.0.0.1:40123 --workdir /tmp/s
    {"requests": 1720, "items": 1632, "listing_pages": 71, "seconds": 14.9, ...}
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import math
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

PAGE_SIZE = 24


def _audio_url(value: str) -> str | None:
    """data-audio's audioUrl: plain, or base64-encoded on some pages."""
    if value.startswith(("http://", "https://")):
        return value
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, ValueError):
        return None
    return decoded if decoded.startswith(("http://", "https://")) else None


class NprArchiveSpider(scrapy.Spider):
    name = "npr_archive"

    def __init__(self, origin: str, podcast_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.origin = origin.rstrip("/")
        self.podcast_id = podcast_id

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(
            f"{self.origin}/get/{self.podcast_id}/remainingCount?start=1",
            callback=self.parse_count,
        )

    def parse_count(self, response: Response) -> Iterator[scrapy.Request]:
        total = int(response.text.strip())
        self.crawler.stats.set_value("bench/listing_pages", math.ceil(total / PAGE_SIZE))
        for start in range(1, total + 1, PAGE_SIZE):  # every listing page at once
            yield scrapy.Request(
                f"{self.origin}/get/{self.podcast_id}/render/partial/next?start={start}",
                callback=self.parse_listing,
            )

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        for item in response.css("article.item"):
            href = item.css("h2.title a::attr(href)").get()
            if href is None:
                continue  # an NPR+ exclusive: no public page
            data = item.css("div.audio-module-controls-wrap::attr(data-audio)").get()
            if data is not None and json.loads(data).get("available") is False:
                continue  # not playable yet: looked at again next run
            yield response.follow(
                href,
                callback=self.parse_episode,
                cb_kwargs={"listed": item.css("time::attr(datetime)").get()},
            )

    def parse_episode(self, response: Response, listed: str | None) -> Iterator[dict[str, Any]]:
        data = response.css("div.audio-module-controls-wrap::attr(data-audio)").get()
        audio = json.loads(data) if data else {}
        audio_url = _audio_url(audio.get("audioUrl") or "")
        if audio_url is None or audio.get("available") is False:
            return
        meta = response.css
        yield {
            "url": response.url,
            "title": meta('meta[property="og:title"]::attr(content)').get()
            or response.css("div.storytitle h1::text").get("").strip(),
            "published": response.css("div.dateblock time::attr(datetime)").get()
            or meta('meta[name="date"]::attr(content)').get()
            or listed,
            "audio_url": audio_url,
            "duration": audio.get("duration"),
            "image": meta('meta[property="og:image"]::attr(content)').get(),
            "summary": meta('meta[property="og:description"]::attr(content)').get(),
            "notes_html": "\n".join(response.css("div#storytext > p").getall()),
            "transcript": response.css("li.audio-tool-transcript a::attr(href)").get(),
        }


def crawl(origin: str, podcast_id: str, concurrency: int, workdir: Path) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    settings = {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "USER_AGENT": "planetrss-bench-scrapy (+https://pypi.org/project/planetrss/)",
        # The raw pages, kept for incremental re-runs (planetrss keeps them too).
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_DIR": str(workdir / "httpcache"),
        "HTTPCACHE_EXPIRATION_SECS": 0,
        "FEEDS": {str(workdir / "items.jsonl"): {"format": "jsonlines", "overwrite": True}},
    }
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(NprArchiveSpider)
    started = time.perf_counter()
    process.crawl(crawler, origin=origin, podcast_id=podcast_id)
    process.start()
    seconds = time.perf_counter() - started
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return {
        "requests": int(stats.get("downloader/request_count", 0)),
        "items": int(stats.get("item_scraped_count", 0)),
        "listing_pages": int(stats.get("bench/listing_pages", 0)),
        "errors": int(stats.get("log_count/ERROR", 0)),
        "seconds": seconds,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.scrapy_npr", description=__doc__)
    parser.add_argument("--origin", required=True)
    parser.add_argument("--podcast-id", default="510289")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workdir", type=Path, required=True, help="HTTP cache and items")
    args = parser.parse_args(argv)
    result = crawl(args.origin, args.podcast_id, args.concurrency, args.workdir)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
