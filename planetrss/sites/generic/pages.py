"""Any podcast site's pages as beautifulsoup4 reads them: the parsing half of `generic`.

Episode pages are read from the signals sites publish for search engines and social
previews, most trusted first (the first that gives a field wins; signals are never
mixed within one audio file):

1. schema.org JSON-LD: a ``PodcastEpisode``, ``RadioEpisode`` or ``Episode`` node (or an
   ``AudioObject``, or an ``Article``/``NewsArticle``/``BlogPosting`` with audio), its
   ``associatedMedia``/``audio`` → ``contentUrl``, ``duration``/``timeRequired``,
   ``datePublished``; ``@graph``, ``@type`` lists and ``@id`` references understood;
2. OpenGraph and Twitter tags: ``og:audio``, ``og:title``, ``og:description``,
   ``og:image``, ``article:published_time``, ``twitter:player:stream``;
3. HTML: ``<audio src>``, ``<source>``, ``<link rel=enclosure>``, links to audio files,
   ``<time datetime>``, ``<h1>``, the post's body for the show notes.

Listings: see `parse_listing`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bs4 import BeautifulSoup
from bs4.element import Tag
from w3lib.html import get_base_url

from planetrss.models import Audio, Episode, EpisodeRef, Listing, Skip
from planetrss.sites.base import ExtractError
from planetrss.sites.extract import (
    JsonLd,
    absolute_url,
    clean_text,
    episode_number,
    first,
    is_audio_url,
    is_date_only,
    ld_types,
    parse_datetime,
    parse_duration,
    positive_int,
    url_key,
)
from planetrss.sites.soup import attr, inner_html, json_ld, metas, soup_of

if TYPE_CHECKING:
    from planetrss.sites.generic import GenericSite

EPISODE_TYPES = ("PodcastEpisode", "RadioEpisode", "Episode")
ARTICLE_TYPES = ("Article", "NewsArticle", "BlogPosting", "ReportageNewsArticle", "WebPage")
MEDIA_KEYS = ("associatedMedia", "audio", "encoding")


# --- episode pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """An audio file and where it was found (its duration only from the same source)."""

    audio: Audio
    source: str


def episode_node(ld: JsonLd, url: str) -> dict[str, Any] | None:
    """The JSON-LD node describing this page's episode, or None.

    Episode types first, then an article with audio, then an ``AudioObject`` alone;
    among several of a kind, the one whose ``url``/``@id`` is this page.
    """
    page = url_key(url)
    for group in (EPISODE_TYPES, ARTICLE_TYPES, ("AudioObject",)):
        nodes = list(ld.of_type(*group))
        if group is ARTICLE_TYPES:
            nodes = [node for node in nodes if ld_audio(ld, node) is not None]
        if not nodes:
            continue
        for node in nodes:
            own = ld.text(node, "url", "@id")
            if own and url_key(absolute_url(url, own) or own) == page:
                return node
        return nodes[0]
    return None


def ld_audio(ld: JsonLd, node: dict[str, Any]) -> Audio | None:
    """The audio a JSON-LD node carries (itself an AudioObject, or its media)."""
    candidates: list[dict[str, Any] | str] = (
        [node] if ld_types(node) & {"AudioObject", "MediaObject"} else []
    )
    for key in MEDIA_KEYS:
        candidates += [value for value in ld.get(node, key) if isinstance(value, dict | str)]
    for media in candidates:
        if isinstance(media, str):
            if is_audio_url(media):
                return Audio(url=media)
            continue
        url = ld.text(media, "contentUrl", "url", "embedUrl")
        if not url or url.startswith("#"):
            continue
        kinds = ld_types(media)
        fmt = (ld.text(media, "encodingFormat") or "").lower()
        if kinds & {"AudioObject"} or fmt.startswith("audio/") or is_audio_url(url):
            return Audio(
                url=url,
                duration=parse_duration(ld.text(media, "duration", "timeRequired")),
                size=positive_int(ld.text(media, "contentSize")),
            )
    return None


def _html_audio(soup: Tag) -> tuple[str, Audio] | None:
    """The first audio file the markup itself names, and how it was found."""
    for link in soup.find_all("link", rel=True, href=True):
        if "enclosure" in (attr(link, "rel") or "").lower().split():
            href = attr(link, "href") or ""
            return "link rel=enclosure", Audio(href, size=positive_int(attr(link, "length")))
    for audio in soup.find_all("audio"):
        duration = parse_duration(attr(audio, "data-duration"))
        if src := attr(audio, "src"):
            return "<audio src>", Audio(src, duration=duration)
        for source in audio.find_all("source"):
            src = attr(source, "src")
            kind = (attr(source, "type") or "").lower()
            if src and (kind.startswith("audio/") or is_audio_url(src) or not kind):
                return "<source>", Audio(src, duration=duration)
    for link in soup.find_all("a", href=True):
        href = attr(link, "href") or ""
        if is_audio_url(href):
            return "audio link", Audio(href)
    return None


def find_audio(
    soup: BeautifulSoup, ld: JsonLd, node: dict[str, Any] | None, meta: dict[str, str], base: str
) -> Found | None:
    """The episode's audio from the most trusted signal that has one."""
    found: Found | None = None
    if node is not None and (audio := ld_audio(ld, node)) is not None:
        found = Found(audio, "json-ld")
    if found is None:
        for audio_audio in ld.of_type("AudioObject"):
            if (audio := ld_audio(ld, audio_audio)) is not None:
                found = Found(audio, "json-ld")
                break
    if found is None:
        og = first(meta.get("og:audio:secure_url"), meta.get("og:audio"), meta.get("og:audio:url"))
        if og:
            found = Found(Audio(og), "og:audio")
        elif stream := meta.get("twitter:player:stream"):
            found = Found(Audio(stream), "twitter:player:stream")
    if found is None and (html := _html_audio(soup)) is not None:
        found = Found(html[1], html[0])
    if found is None:
        return None
    url = absolute_url(base, found.audio.url)
    if url is None:
        return None
    return Found(Audio(url=url, duration=found.audio.duration, size=found.audio.size), found.source)


_DATE_METAS = (
    "article:published_time",
    "og:published_time",
    "og:article:published_time",
    "datepublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "pubdate",
    "publish-date",
    "sailthru.date",
)


def _time_elements(soup: BeautifulSoup) -> Iterable[str]:
    scope = soup.find("article") or soup.find("main") or soup
    for time in scope.find_all("time"):
        value = attr(time, "datetime") or clean_text(time.get_text())
        if value:
            yield value


def pick_date(sources: Iterable[str | None], fallback: datetime | None) -> datetime | None:
    """The most trusted date; a date-only one takes the time of a lower-ranked source
    that names the same day (never a different day: disagreeing signals are not mixed)."""
    best: datetime | None = None
    for raw in sources:
        when = parse_datetime(raw) if raw else None
        if when is None or raw is None:
            continue
        if best is None:
            best = when
            if not is_date_only(raw):
                return best
        elif not is_date_only(raw) and when.date() == best.date():
            return when
    return best or fallback


_NOTES_SELECTORS = (
    "[itemprop=articleBody]",
    ".entry-content",
    ".post-content",
    ".episode-content",
    ".episode-notes",
    ".show-notes",
    "#show-notes",
)


def show_notes(soup: BeautifulSoup, base: str) -> str:
    """The inner HTML of the post's body, chrome removed and links made absolute.

    The body is the first of the names blogs and hosts give it (``itemprop=articleBody``,
    ``.entry-content``, ``.show-notes``...); else the block with the most paragraphs of
    its own (an ``<article>`` often wraps the whole page, players and sharing included).
    """
    body = next((found for sel in _NOTES_SELECTORS if (found := soup.select_one(sel))), None)
    if body is None:
        best = 0
        for block in soup.find_all(["div", "section", "article", "main", "td"]):
            paragraphs = len(block.find_all("p", recursive=False))
            if paragraphs > best:
                body, best = block, paragraphs
    if body is None:
        return ""
    return inner_html(body, base)


def html_text(value: str | None) -> str | None:
    """Plain text from a value that may hold HTML (JSON-LD descriptions often do)."""
    if not value:
        return None
    if "<" in value and ">" in value:
        value = BeautifulSoup(value, "lxml").get_text(" ")
    return clean_text(value) or None


def _node_image(ld: JsonLd, node: dict[str, Any] | None) -> str | None:
    return ld.url(node, "image", "thumbnailUrl") if node is not None else None


def parse_episode(site: GenericSite, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
    """The episode on its page (see the module docstring for the order of signals)."""
    soup = soup_of(text)
    base = get_base_url(text, url)
    ld = json_ld(soup)
    meta = metas(soup)
    node = episode_node(ld, url)
    heading = soup.find("h1")
    page_title = soup.find("title")
    title = first(
        ld.text(node, "name", "headline") if node else None,
        clean_text(meta.get("og:title", "")),
        clean_text(meta.get("twitter:title", "")),
        clean_text(heading.get_text()) if heading else None,
        clean_text(page_title.get_text()) if page_title else None,
        clean_text(ref.title),
    )
    found = find_audio(soup, ld, node, meta, base)
    if title is None:
        raise ExtractError(
            f"{url}: no title (JSON-LD name, og:title, twitter:title, <h1>, <title>) on the "
            "page; is this an episode page?"
        )
    audio = found.audio if found else ref.audio
    if audio is None:
        return Skip(ref.key, url, "no audio on the page (JSON-LD, og:audio, <audio>, audio links)")
    ld_date = ld.text(node, "datePublished", "uploadDate", "dateCreated") if node else None
    published = pick_date(
        [ld_date, *(meta.get(name) for name in _DATE_METAS), *_time_elements(soup)],
        ref.published,
    )
    if published is None:
        return Skip(ref.key, url, "no publication date on the page or in the listing")
    duration = audio.duration
    if (
        duration is None
        and node is not None
        and (found is None or found.source == "json-ld" or not ld_audio(ld, node))
    ):
        duration = parse_duration(ld.text(node, "duration", "timeRequired"))
    if duration is None and found is None and ref.audio is not None:
        duration = ref.audio.duration
    ld_description = ld.text(node, "description", "abstract") if node else None
    notes = show_notes(soup, base)
    if not notes and ld_description and "<" in ld_description:
        notes = inner_html(BeautifulSoup(ld_description, "lxml").body or soup, base)
    number = positive_int(ld.text(node, "episodeNumber")) if node else None
    image = first(
        _node_image(ld, node),
        meta.get("og:image:secure_url"),
        meta.get("og:image"),
        meta.get("twitter:image"),
    )
    return Episode(
        key=ref.key,
        title=title,
        url=url,
        published=published,
        audio_url=audio.url,
        audio_size=audio.size,
        duration=duration,
        summary=first(
            html_text(ld_description),
            html_text(meta.get("og:description")),
            html_text(meta.get("twitter:description")),
            html_text(meta.get("description")),
            clean_text(ref.teaser),
        )
        or "",
        notes_html=notes,
        image_url=absolute_url(base, image) if image else ref.image_url,
        episode_number=number or episode_number(title),
    )


# --- listings -----------------------------------------------------------------------------

# Link texts that lead to older items, with arrows or guillemets around (\u00ab \u2039
# \u2190 before, \u00bb \u203a \u2192 after): "Older posts", "Next page \u00bb", "\u203a".
_NEXT_TEXT = re.compile(
    r"^(?:[\u00ab\u2039\u2190<]\s*)?(?:next|older|older (?:posts|episodes|entries)|next page|"
    r"more (?:posts|episodes)|previous (?:posts|episodes|entries))(?:\s*[\u00bb\u203a\u2192>])?$"
    r"|^[\u00bb\u203a\u2192]$",
    re.IGNORECASE,
)
_HEADINGS = ("h1", "h2", "h3", "h4")


def _in_item(link: Tag) -> bool:
    return any(parent.name in ("article", *_HEADINGS) for parent in link.parents)


def _container(link: Tag, key: str, keys_inside: dict[int, set[str]]) -> Tag:
    """The largest ancestor of `link` that holds links to no other episode."""
    best: Tag = link
    for parent in link.parents:
        if parent.name in ("body", "html", "[document]"):
            break
        if keys_inside.get(id(parent), {key}) - {key}:
            break
        best = parent
    return best


def _item_title(container: Tag, links: list[Tag]) -> str:
    """The heading that links to the episode, else the item's first heading, else the
    longest text of its links (a "Read more" link is shorter than the title)."""
    headings = container.find_all(_HEADINGS)
    linked = [
        heading for heading in headings if any(link in links for link in heading.find_all("a"))
    ]
    for heading in linked + headings:
        text = clean_text(heading.get_text())
        if text:
            return text
    texts = [clean_text(link.get_text()) for link in links]
    texts += [clean_text(attr(link, "title") or "") for link in links]
    return max(texts, key=len, default="")


def _item_date(container: Tag) -> datetime | None:
    """A ``<time>``'s date, else the text of an element whose class names a date
    (``date``, ``postDate``, ``entry-date``...)."""
    for time in container.find_all("time"):
        when = parse_datetime(attr(time, "datetime") or time.get_text())
        if when is not None:
            return when
    for element in container.find_all(class_=re.compile("date", re.IGNORECASE)):
        when = parse_datetime(element.get_text())
        if when is not None:
            return when
    return None


def _item_teaser(container: Tag) -> str:
    for paragraph in container.find_all("p"):
        if paragraph.find_parent(_HEADINGS) is None:
            text = clean_text(paragraph.get_text())
            if len(text) > 20:
                return text
    return ""


def _ld_refs(site: GenericSite, ld: JsonLd, page: str, base: str) -> tuple[list[EpisodeRef], int]:
    """Episodes a listing's JSON-LD names (``ItemList`` entries, episode nodes); and how
    many list entries named no URL (unread)."""
    refs: list[EpisodeRef] = []
    unread = 0
    nodes: list[Any] = []
    for item_list in ld.of_type("ItemList"):
        for element in ld.get(item_list, "itemListElement"):
            entry = element
            if isinstance(element, dict) and "ListItem" in ld_types(element):
                entry = ld.resolve(element.get("item")) or element.get("url")
                if entry is None:
                    entry = element
            nodes.append(entry)
    nodes += [node for node in ld.of_type(*EPISODE_TYPES) if node not in nodes]
    for node in nodes:
        if isinstance(node, str):
            url = absolute_url(base, node)
            node = {}
        else:
            url = absolute_url(base, ld.text(node, "url", "@id"))
        if url is None:
            unread += 1
            continue
        if url_key(url) == url_key(page):
            continue  # the page describing itself
        audio = ld_audio(ld, node) if node else None
        if audio is not None:
            audio_url = absolute_url(base, audio.url)
            audio = (
                Audio(
                    audio_url,
                    audio.duration or parse_duration(ld.text(node, "duration", "timeRequired")),
                    audio.size,
                )
                if audio_url
                else None
            )
        date = ld.text(node, "datePublished", "uploadDate") if node else None
        image = _node_image(ld, node) if node else None
        refs.append(
            EpisodeRef(
                key=url_key(url),
                url=url,
                title=(ld.text(node, "name", "headline") or "") if node else "",
                published=parse_datetime(date) if date else None,
                teaser=html_text(ld.text(node, "description")) or "" if node else "",
                image_url=absolute_url(base, image) if image else None,
                audio=audio,
            )
        )
    return refs, unread


def next_url(soup: BeautifulSoup, base: str) -> str | None:
    """The next (older) listing page: ``rel=next``, else a link whose text says so."""
    for tag in soup.find_all(["link", "a"], href=True):
        if "next" in (attr(tag, "rel") or "").lower().split():
            return absolute_url(base, attr(tag, "href"))
    for link in soup.find_all("a", href=True):
        text = clean_text(link.get_text()) or clean_text(attr(link, "aria-label") or "")
        if _NEXT_TEXT.match(text):
            return absolute_url(base, attr(link, "href"))
    return None


def parse_listing(site: GenericSite, url: str, text: str) -> Listing:
    """The episodes one listing page names, newest first as the page lists them.

    From its JSON-LD (an ``ItemList``, or episode nodes) and from its links: with
    ``episode_pattern``, the links it matches; without, the heuristic of
    `is_episode_url`. Each link's item is its largest ancestor that links to no other
    episode: its heading, ``<time>``, first paragraph, image and audio (``<audio>``,
    ``<source>``, links to audio files) are what the listing tells about the episode.
    """
    soup = soup_of(text)
    base = get_base_url(text, url)
    refs, unread = _ld_refs(site, json_ld(soup), url, base)
    seen = {ref.key for ref in refs}
    links: dict[str, list[Tag]] = {}
    for link in soup.find_all("a", href=True):
        target = absolute_url(base, attr(link, "href"))
        if target is None or not site.is_episode_url(target, _in_item(link)):
            continue
        if url_key(target) == url_key(url):
            continue
        links.setdefault(target, []).append(link)
    keys_inside: dict[int, set[str]] = {}
    for target, anchors in links.items():
        for anchor in anchors:
            for parent in anchor.parents:
                keys_inside.setdefault(id(parent), set()).add(url_key(target))
    for target, anchors in links.items():
        key = url_key(target)
        if key in seen:
            continue
        seen.add(key)
        container = _container(anchors[0], key, keys_inside)
        found = _html_audio(container) if isinstance(container, Tag) else None
        audio_url = absolute_url(base, found[1].url) if found else None
        image = container.find("img")
        image_url = absolute_url(base, attr(image, "src")) if image is not None else None
        refs.append(
            EpisodeRef(
                key=key,
                url=target,
                title=_item_title(container, anchors),
                published=_item_date(container),
                teaser=_item_teaser(container),
                image_url=image_url,
                audio=Audio(audio_url, found[1].duration, found[1].size)
                if found and audio_url
                else None,
            )
        )
    return Listing(
        url=url,
        refs=tuple(refs),
        item_count=len(refs),
        next_url=next_url(soup, base),
        unread=unread,
    )


# --- surveying a page (planetrss init) ----------------------------------------------------


@dataclass(frozen=True)
class Survey:
    """What the generic kind can read on one page (`planetrss init` prints it)."""

    url: str
    site_name: str | None = None  # the show's name: PodcastSeries name or og:site_name
    title: str | None = None  # the page's <title>
    description: str | None = None
    image: str | None = None
    language: str | None = None
    json_ld_types: tuple[str, ...] = ()
    og_audio: str | None = None
    audio_elements: int = 0
    audio_links: int = 0
    episode_links: tuple[str, ...] = ()
    next_url: str | None = None
    feeds: tuple[str, ...] = ()  # RSS/Atom feeds the page advertises
    audio_source: str | None = None  # where an episode page's audio was found
    episode: Episode | Skip | None = None  # the page read as an episode page


_FEED_TYPES = ("application/rss+xml", "application/atom+xml")


def survey(site: GenericSite, url: str, text: str, as_episode: bool = False) -> Survey:
    """The signals on a page; with `as_episode`, the page read as an episode page too."""
    soup = soup_of(text)
    base = get_base_url(text, url)
    ld = json_ld(soup)
    meta = metas(soup)
    series = next(ld.of_type("PodcastSeries", "RadioSeries"), None)
    page_title = soup.find("title")
    html = soup.find("html")
    types = sorted({name for node in ld.nodes for name in ld_types(node)})
    feeds = []
    for link in soup.find_all("link", href=True):
        kind = (attr(link, "type") or "").lower()
        rel = (attr(link, "rel") or "").lower().split()
        feed = absolute_url(base, attr(link, "href"))
        if "alternate" in rel and kind in _FEED_TYPES and feed is not None:
            feeds.append(feed)
    listing = parse_listing(site, url, text)
    found = find_audio(soup, ld, episode_node(ld, url), meta, base) if as_episode else None
    episode = None
    if as_episode:
        ref = EpisodeRef(key=url_key(url), url=url, title="")
        try:
            episode = parse_episode(site, ref, url, text)
        except ExtractError:
            episode = None
    return Survey(
        url=url,
        site_name=first(
            ld.text(series, "name") if series else None,
            clean_text(meta.get("og:site_name", "")),
        ),
        title=clean_text(page_title.get_text()) if page_title else None,
        description=first(
            html_text(ld.text(series, "description")) if series else None,
            html_text(meta.get("og:description")),
            html_text(meta.get("description")),
        ),
        image=first(_node_image(ld, series), meta.get("og:image")),
        language=attr(html, "lang") if html is not None else None,
        json_ld_types=tuple(types),
        og_audio=first(meta.get("og:audio:secure_url"), meta.get("og:audio")),
        audio_elements=len(soup.find_all("audio")),
        audio_links=sum(
            1 for a in soup.find_all("a", href=True) if is_audio_url(attr(a, "href") or "")
        ),
        episode_links=tuple(ref.url for ref in listing.refs),
        next_url=listing.next_url,
        feeds=tuple(dict.fromkeys(feeds)),
        audio_source=found.source if found else None,
        episode=episode,
    )
