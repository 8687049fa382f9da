"""`planetrss init`: look at a podcast site and write a starter `generic` definition.

`discover(url, fetcher)` fetches the page, the next listing page it links, the sitemap
robots.txt names (or /sitemap.xml) and one episode page, and says what the generic
kind can read on each. `starter_definition` turns that into TOML; `write_definition`
writes it, never over an existing file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from planetrss.errors import ConfigError
from planetrss.http import Fetcher, FetchError
from planetrss.models import Skip
from planetrss.sites.generic import GenericSite
from planetrss.sites.generic.pages import Survey, survey
from planetrss.sites.sitemap import parse_sitemap


@dataclass(frozen=True)
class Discovery:
    """What `planetrss init` found on a site."""

    url: str
    start: Survey
    next_page: Survey | None = None
    sitemap: str | None = None
    sitemap_urls: int = 0  # page URLs the sitemap lists (an index: its first files)
    sitemap_episodes: int = 0  # of which look like episodes
    episode_page: Survey | None = None
    episode_pattern: str | None = None
    page_template: str | None = None
    problems: tuple[str, ...] = ()  # pages that could not be fetched, and why


def _segment_pattern(values: list[str]) -> str:
    if len(set(values)) == 1:
        return re.escape(values[0])
    if all(value.isdigit() for value in values):
        lengths = {len(value) for value in values}
        return rf"\d{{{lengths.pop()}}}" if len(lengths) == 1 else r"\d+"
    return "[^/]+"


def infer_pattern(urls: list[str]) -> str | None:
    """A regex matching these episode URLs and their like (``/episodes/[^/]+/?$``), or
    None when they do not share a shape (fewer than two, other hosts, other depths)."""
    if len(urls) < 2:
        return None
    parts = [urlsplit(url) for url in urls]
    if len({(p.scheme, p.netloc) for p in parts}) != 1 or any(p.query for p in parts):
        return None
    paths = [p.path.strip("/").split("/") for p in parts]
    if len({len(path) for path in paths}) != 1:
        return None
    segments = [_segment_pattern(list(column)) for column in zip(*paths, strict=True)]
    if all(not segment.startswith(("[", "\\d")) for segment in segments):
        return None  # one URL, repeated
    slash = "/?" if any(p.path.endswith("/") for p in parts) else ""
    return f"^{re.escape(f'{parts[0].scheme}://{parts[0].netloc}')}/{'/'.join(segments)}{slash}$"


def infer_page_template(start: str, next_url: str) -> str | None:
    """``start``'s second page as a template (``/page/2/`` → ``/page/{page}/``), or None."""
    for match in re.finditer(r"(?<=[/=])2(?=[/&]|$)", next_url):
        template = next_url[: match.start()] + "{page}" + next_url[match.end() :]
        if "{page}" not in start and template.format(page=2) == next_url:
            return template
    return None


async def _text(fetcher: Fetcher, url: str, problems: list[str]) -> str | None:
    try:
        return await fetcher.get_text(url)
    except FetchError as exc:
        problems.append(f"{url}: {exc.reason}")
        return None


async def discover(url: str, fetcher: Fetcher) -> Discovery:
    """Fetch and survey `url`, its next page, its sitemap and one of its episode pages."""
    problems: list[str] = []
    site = GenericSite.from_params(None, {"start": url})
    text = await fetcher.get_text(url)  # the page itself must be there: FetchError
    start = survey(site, url, text)
    next_page = None
    if start.next_url:
        next_text = await _text(fetcher, start.next_url, problems)
        if next_text is not None:
            next_page = survey(site, start.next_url, next_text)
    sitemap, sitemap_urls, sitemap_episodes = await _sitemap(site, fetcher, problems)
    episode_page = None
    if start.episode_links:
        first = start.episode_links[0]
        episode_text = await _text(fetcher, first, problems)
        if episode_text is not None:
            episode_page = survey(site, first, episode_text, as_episode=True)
    links = list(start.episode_links) + list(next_page.episode_links if next_page else ())
    return Discovery(
        url=url,
        start=start,
        next_page=next_page,
        sitemap=sitemap,
        sitemap_urls=sitemap_urls,
        sitemap_episodes=sitemap_episodes,
        episode_page=episode_page,
        episode_pattern=infer_pattern(links),
        page_template=infer_page_template(url, start.next_url) if start.next_url else None,
        problems=tuple(problems),
    )


async def _sitemap(
    site: GenericSite, fetcher: Fetcher, problems: list[str]
) -> tuple[str | None, int, int]:
    """The site's sitemap (robots.txt's ``Sitemap:``, else /sitemap.xml), how many page
    URLs it lists and how many of those look like episodes."""
    origin = site.origin.rstrip("/")
    candidates = []
    robots = await _text(fetcher, origin + "/robots.txt", [])
    for line in (robots or "").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            candidates.append(value.strip())
    candidates = candidates or [origin + "/sitemap.xml"]
    for candidate in candidates:
        try:
            body = await fetcher.get_bytes(candidate)
        except FetchError:
            continue
        found = parse_sitemap(body)
        if found is None:
            continue
        pages = list(found.pages)
        for child in found.sitemaps[:5]:  # an index: enough of it to count episodes
            try:
                child_found = parse_sitemap(await fetcher.get_bytes(child))
            except FetchError as exc:
                problems.append(f"{child}: {exc.reason}")
                continue
            if child_found is not None:
                pages += child_found.pages
        episodes = sum(1 for page in pages if site.ref_from_url(page) is not None)
        return candidate, len(pages), episodes
    return None, 0, 0


def _toml(value: str) -> str:
    """A TOML string: literal ('...') for regexes when possible, else basic (JSON-escaped)."""
    if "\\" in value and "'" not in value and "\n" not in value:
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


_NAME = re.compile(r"[^a-z0-9]+")


def show_title(discovery: Discovery) -> str | None:
    """The show's name: a PodcastSeries name or og:site_name (of the page, else of the
    episode page), else the page's <title>."""
    episode = discovery.episode_page
    return (
        discovery.start.site_name
        or (episode.site_name if episode else None)
        or discovery.start.title
    )


def default_name(discovery: Discovery) -> str:
    """A feed name from the show's title, else the site's host (``the-workshop-hour``)."""
    for candidate in (show_title(discovery), urlsplit(discovery.url).hostname):
        name = _NAME.sub("-", (candidate or "").lower()).strip("-")[:40].strip("-")
        if name and not name.replace("-", "").isdigit():
            return name
    return "podcast"


def starter_definition(discovery: Discovery, now: datetime | None = None) -> str:
    """A `generic` definition for the discovered site, commented where it guesses."""
    now = now or datetime.now(UTC)
    parts = urlsplit(discovery.url)
    origin = f"{parts.scheme}://{parts.netloc}"
    start = discovery.start
    lines = [
        f"# Written by `planetrss init {discovery.url}` on {now:%Y-%m-%d}.",
        "# Check it, then build it: planetrss build <name>",
        'site = "generic"',
        f"origin = {_toml(origin)}",
        "",
        "[params]",
    ]
    episodes = len(start.episode_links)
    if episodes == 0 and discovery.sitemap and discovery.sitemap_episodes:
        lines.append(f"start = {_toml(discovery.sitemap)}   # the sitemap lists the episodes")
    else:
        lines.append(f"start = {_toml(discovery.url)}")
    if discovery.episode_pattern:
        lines.append(f"episode_pattern = {_toml(discovery.episode_pattern)}")
    else:
        lines.append(
            "# episode_pattern = '...'   # a regex on episode URLs (none could be inferred)"
        )
    if discovery.page_template:
        lines.append(f"page_template = {_toml(discovery.page_template)}")
    elif start.next_url is None and episodes:
        lines.append("# page_template = '.../page/{page}/'   # no next page was found")
    if discovery.sitemap and episodes:
        lines.append(
            f"# start = {_toml(discovery.sitemap)}   # or the sitemap: "
            f"{discovery.sitemap_episodes} episode pages"
        )
    lines += ["# max_pages = 500", "", "[channel]"]
    lines.append(f"title = {_toml(show_title(discovery) or default_name(discovery))}")
    lines.append(f"description = {_toml(start.description or f'Episodes from {origin}')}")
    lines.append(f"link = {_toml(origin + '/')}")
    image = start.image or (discovery.episode_page.image if discovery.episode_page else None)
    if image:
        lines.append(f"image = {_toml(image)}")
    else:
        lines.append('# image = "https://..."   # show art, 1400-3000 px square (none found)')
    language = (start.language or "").lower()
    if re.fullmatch(r"[a-z]{2,3}(-[a-z]{2,8})?", language):
        lines.append(f'language = "{language}"')
    return "\n".join(lines) + "\n"


def write_definition(path: Path, text: str) -> None:
    """Create `path` with `text`; an existing file is never overwritten (ConfigError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise ConfigError(
            str(path), None, "already exists; init never overwrites: pick another --name"
        ) from None


def _clock(seconds: int | None) -> str:
    if not seconds:
        return "?"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _signals(page: Survey) -> str:
    found = []
    if page.json_ld_types:
        found.append("JSON-LD " + ", ".join(page.json_ld_types))
    if page.og_audio:
        found.append(f"og:audio {page.og_audio}")
    if page.audio_elements:
        found.append(f"{page.audio_elements} <audio>")
    if page.audio_links:
        found.append(f"{page.audio_links} links to audio files")
    return "; ".join(found) or "no JSON-LD, og:audio, <audio> or audio links"


def describe(found: Discovery) -> list[str]:
    """What `planetrss init` prints: one line per thing looked at."""
    start = found.start
    lines = [
        f"page:       {found.url}" + (f" ({title})" if (title := show_title(found)) else ""),
        f"  signals:  {_signals(start)}",
    ]
    if start.episode_links:
        lines.append(f"  episodes: {len(start.episode_links)} links, e.g. {start.episode_links[0]}")
    else:
        lines.append("  episodes: no episode links found (try the site's episode list page)")
    if start.next_url:
        more = f", {len(found.next_page.episode_links)} episode links" if found.next_page else ""
        lines.append(f"next page:  {start.next_url}{more}")
    else:
        lines.append('next page:  none (no rel="next", no next/older link)')
    if found.page_template:
        lines.append(f"  numbered: {found.page_template}")
    if found.sitemap:
        lines.append(
            f"sitemap:    {found.sitemap}: {found.sitemap_urls} pages, "
            f"{found.sitemap_episodes} look like episodes"
        )
    else:
        lines.append("sitemap:    none (robots.txt names none; no /sitemap.xml)")
    for feed in start.feeds:
        lines.append(f"RSS feed:   {feed} (the site's own; it may hold only recent episodes)")
    page = found.episode_page
    if page is not None:
        lines.append(f"episode:    {page.url}")
        lines.append(f"  signals:  {_signals(page)}")
        episode = page.episode
        if episode is None:
            lines.append("  read:     nothing: no title on the page")
        elif isinstance(episode, Skip):
            lines.append(f"  read:     skipped: {episode.reason}")
        else:
            lines.append(
                f"  read:     {episode.title!r}, {episode.published:%Y-%m-%d %H:%M %z}, "
                f"{_clock(episode.duration)}, audio ({page.audio_source}) {episode.audio_url}"
            )
    lines += [f"could not fetch: {problem}" for problem in found.problems]
    return lines
