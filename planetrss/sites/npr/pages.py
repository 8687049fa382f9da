"""NPR pages as beautifulsoup4 reads them: the parsing half of the `npr` site kind.

Kept apart from the package's `__init__` (the site's URLs and paging) so that only the
processes that parse pages import beautifulsoup4: the crawler's own process needs the
site's URLs, not its soup.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup
from bs4.element import Comment, Tag
from bs4.filter import SoupStrainer

from planetrss.models import Audio, Episode, EpisodeRef, Listing, Skip
from planetrss.sites.base import ExtractError
from planetrss.sites.extract import (
    attr_text,
    clean_text,
    first,
    is_date_only,
    iso_duration,
    json_ld_objects,
    ld_image,
    ld_str,
    meta_contents,
)
from planetrss.sites.narrow import Narrowing, classes, narrow
from planetrss.sites.npr import (
    audio_from_data,
    drop_chrome_blocks,
    episode_number,
    parse_data_audio,
    parse_date,
    story_id_from_uid,
    story_id_from_url,
)
from planetrss.sites.soup import Tags, children_html

# --- parsing only what is needed --------------------------------------------------------


class _Keep(SoupStrainer):
    """Keeps the outermost elements that `accept(name, attrs)` likes, with their subtrees.

    Beautiful Soup asks the strainer only about elements outside every kept one, and
    creates no objects for the rest: on a 90 KB episode page that is ~150 of ~1,000
    elements, which more than halves the parse time.
    """

    def __init__(self, accept: Callable[[str, Mapping[Any, Any]], bool]) -> None:
        super().__init__()  # no rules: "tags only", so top-level strings are dropped
        self._accept = accept

    def allow_tag_creation(
        self, nsprefix: str | None, name: str, attrs: Mapping[Any, Any] | None
    ) -> bool:
        return self._accept(name, attrs or {})


def _classes(attrs: Mapping[Any, Any]) -> list[str]:
    value = attrs.get("class") or ""
    return value.split() if isinstance(value, str) else list(value)


def _is_listing_item(name: str, attrs: Mapping[Any, Any]) -> bool:
    return name == "article" and "item" in _classes(attrs)


_EPISODE_DIV_CLASSES = frozenset({"storytitle", "dateblock", "audio-module-controls-wrap"})


def _is_episode_part(name: str, attrs: Mapping[Any, Any]) -> bool:
    if name == "meta":
        return True
    if name == "script":
        kind = str(attrs.get("type") or "").strip().lower()
        return attrs.get("id") == "npr-vars" or kind == "application/ld+json"
    if name == "div":
        return attrs.get("id") == "storytext" or not _EPISODE_DIV_CLASSES.isdisjoint(
            _classes(attrs)
        )
    if name == "li":
        return "audio-tool-transcript" in _classes(attrs)
    return False


_LISTING_PARTS = _Keep(_is_listing_item)
_EPISODE_PARTS = _Keep(_is_episode_part)


def _soup(text: str, parts: SoupStrainer, narrowing: Narrowing) -> BeautifulSoup:
    """The `parts` of `text`, parsed; never a warning from Beautiful Soup's guesses.

    Beautiful Soup is given only what `narrowing` cuts out of the page (a tenth of an
    npr.org page's elements), or, when the markup is too odd to cut safely, the page
    without its site-wide header, navigation and footer.

    A body without any tag holds nothing to extract (and a short one would make bs4 warn
    that it "looks like a URL"); an XML declaration (XHTML pages, or a feed served where
    a page was expected) would make it warn about XML, and means nothing to HTML.
    """
    if "<" not in text:
        text = ""
    elif text.startswith("<?xml"):
        text = text[text.find(">") + 1 :]
    narrowed = narrow(text, narrowing)
    if narrowed is None:
        narrowed = drop_chrome_blocks(text)
    return BeautifulSoup(narrowed, "lxml", parse_only=parts)


def _attr(tag: Tag | None, name: str) -> str | None:
    """An attribute as a control-free, stripped string; None when absent or empty."""
    return attr_text(tag.get(name)) if tag is not None else None


def _module_audio(module: Tag) -> tuple[Audio | None, dict[str, Any] | None]:
    """The audio of one ``div.audio-module-controls-wrap`` (and its data-audio JSON).

    The duration falls back to the module's ``time.audio-module-duration`` (some 2013
    items say ``"duration": 0`` and their URL has no ``d=``).
    """
    raw = _attr(module, "data-audio")
    data = parse_data_audio(raw) if raw else None
    audio = audio_from_data(data) if data else None
    if audio is not None and audio.duration is None:
        time = module.find("time", class_="audio-module-duration")
        duration = iso_duration(_attr(time, "datetime") or "")
        if duration is not None:
            audio = dataclasses.replace(audio, duration=duration)
    return audio, data


def _page_audio(tags: Tags) -> tuple[Audio | None, dict[str, Any] | None]:
    """The first data-audio module among `tags` that decodes to audio (and its JSON)."""
    for module in tags.all("div", class_="audio-module-controls-wrap"):
        audio, data = _module_audio(module)
        if audio is not None:
            return audio, data
    return None, None


# --- listings ---------------------------------------------------------------------------


def _item_image(base: str, tags: Tags) -> str | None:
    for img in tags.all("img"):
        src = first(_attr(img, "data-original"), _attr(img, "src"))
        if src and not src.startswith("data:"):
            return urljoin(base, src)
    return None


def _item_teaser(teaser: Tag | None) -> tuple[datetime | None, str]:
    """The date and the text of a listing item's ``p.teaser``."""
    if teaser is None:
        return None, ""
    time = teaser.find("time", datetime=True)
    published = parse_date(_attr(time, "datetime") or "") if time else None
    # The date is repeated as text ("February 10, 2017 • ") inside the <time>.
    parents = [teaser]
    while parents:
        for child in list(parents.pop().contents):
            if isinstance(child, Tag):
                if child.name == "time" or (
                    child.name == "span" and "date" in child.get_attribute_list("class")
                ):
                    child.decompose()
                else:
                    parents.append(child)
    return published, clean_text(teaser.get_text()).lstrip("\u2022\u00b7\u0095-\u2013\u2014 ")


_NO_TITLE = "listing item without a title (h2.title)"


def _listing_item(base: str, item: Tag) -> EpisodeRef | Skip:
    tags = Tags(item)
    heading = tags.first("h2", class_="title")
    link = heading.find("a", href=True) if heading else None
    title = clean_text(heading.get_text()) if heading else ""
    module = tags.first("div", class_="audio-module-controls-wrap")
    audio, data = _module_audio(module) if module else (None, None)
    uid_story = story_id_from_uid(data.get("uid")) if data else None
    href = _attr(link, "href")
    if heading is None or href is None:
        # No link: an NPR+ exclusive (no public page and no public audio).
        reason = (
            "NPR+ exclusive: the title has no link to a public episode page"
            if heading is not None
            else _NO_TITLE
        )
        return Skip(key=uid_story or title or "?", url=base, reason=reason)
    url = urljoin(base, href)
    image_url = _item_image(base, tags)  # (before the teaser's date is cut out of the tree)
    published, teaser = _item_teaser(tags.first("p", class_="teaser"))
    return EpisodeRef(
        key=story_id_from_url(url) or uid_story or urlsplit(url).path,
        url=url,
        title=title,
        published=published,
        teaser=teaser,
        image_url=image_url,
        audio=audio,
    )


# --- episode pages ----------------------------------------------------------------------


def _metas(tags: Tags) -> dict[str, str]:
    """``<meta>`` contents by lowercased property/name; the first one of a name wins."""
    return meta_contents(meta.attrs for meta in tags.all("meta"))


def _ld_article(tags: Tags) -> dict[str, Any]:
    """The first ld+json object that describes the story (has a headline or a date)."""
    for script in tags.all("script", has="type"):
        kind = (_attr(script, "type") or "").lower()
        if kind != "application/ld+json" or script.string is None:
            continue
        try:
            data = json.loads(script.string, strict=False)
        except ValueError:
            continue
        for entry in json_ld_objects(data):
            if "headline" in entry or "datePublished" in entry:
                return entry
    return {}


_PUBDATE_VAR = re.compile(r'"pubDate"\s*:\s*"(\d{10})"')


def _npr_vars_pubdate(tags: Tags) -> str | None:
    script = tags.first("script", id="npr-vars")
    match = _PUBDATE_VAR.search(script.string or "") if script else None
    return match.group(1) if match else None


def _published(sources: Iterable[str | None], fallback: datetime | None) -> datetime | None:
    """The first source with a time of day; else the first day; else `fallback`."""
    first_day: datetime | None = None
    for raw in sources:
        when = parse_date(raw) if raw else None
        if when is None or raw is None:
            continue
        if not is_date_only(raw):
            return when
        first_day = first_day or when
    return first_day or fallback


_CHROME_TAGS = frozenset(
    {"script", "style", "noscript", "template", "aside", "button", "form", "input", "iframe"}
)
_CHROME_CLASSES = frozenset(
    {
        "bucketwrap",  # image, audio, internallink and other "resource" buckets
        "credit-caption",
        "caption",
        "enlarge-options",
        "enlarge_measure",
        "enlarge_html",
        "audio-module",
        "audio-module-controls-wrap",
        "internallink",
        "podcast-tools",
    }
)


def _is_chrome(tag: Tag) -> bool:
    return tag.name in _CHROME_TAGS or not _CHROME_CLASSES.isdisjoint(
        tag.get_attribute_list("class")
    )


# --- what is handed to Beautiful Soup -------------------------------------------------------
# Words, not rules: narrow() finds elements by words in their start tags (lowercased), so
# each list must name at least everything the strainers above keep and the functions
# here read (more is harmless: the strainer decides). Inside the kept elements, what is
# never read is cut: the chrome `_show_notes` removes anyway (`_is_chrome`, judged on the
# tag as written), the audio module's listen button, unless it holds something read.

_EPISODE_READS = (
    "storytext",
    "storytitle",
    "dateblock",
    "audio-module-controls-wrap",
    "audio-module-duration",
    "audio-tool-transcript",
    "<meta",
    "npr-vars",
    "ld+json",
)
_EPISODE_CUT_CLASSES = _CHROME_CLASSES | {"audio-module-listen"}


def _is_episode_cut(name: str, start_tag: str) -> bool:
    return name in _CHROME_TAGS or not _EPISODE_CUT_CLASSES.isdisjoint(classes(start_tag))


_EPISODE_NARROWING = Narrowing(
    keep=(
        "storytext",
        "storytitle",
        "dateblock",
        "audio-module-controls-wrap",
        "audio-tool-transcript",
    ),
    keep_tags=frozenset({"div", "li"}),
    cut=(
        *sorted(_EPISODE_CUT_CLASSES),
        *(f"<{name}" for name in sorted(_CHROME_TAGS - {"script", "style", "iframe"})),
    ),
    # (Not <iframe>: its tags turn up in attribute values, as embed codes, which would
    # make narrow() unsure of every page that has one.)
    cut_tags=frozenset(
        {"div", "article", "section", "figure", "aside", "ul", "p", "span", "b", "a"}
        | (_CHROME_TAGS - {"script", "style", "iframe"})
    ),
    cut_if=_is_episode_cut,
    protect=_EPISODE_READS,
    metas=("og:title", "og:description", "og:image", "description", "date"),
    scripts=("npr-vars", "ld+json"),
)

_LISTING_CUT_CLASSES = frozenset(
    {"audio-module-tools", "credit-caption", "audio-module-listen", "slug"}
)


def _is_listing_cut(name: str, start_tag: str) -> bool:
    return not _LISTING_CUT_CLASSES.isdisjoint(classes(start_tag))


_LISTING_NARROWING = Narrowing(
    keep=("item",),
    keep_tags=frozenset({"article"}),
    keep_if=lambda start_tag: "item" in classes(start_tag),
    cut=tuple(sorted(_LISTING_CUT_CLASSES)),
    cut_tags=frozenset({"div", "a", "h3"}),
    cut_if=_is_listing_cut,
    protect=("<img", "<h2", "teaser", "audio-module-controls-wrap", "<time", "<article"),
)


def _show_notes(base: str, storytext: Tag | None) -> str:
    """The inner HTML of ``div#storytext`` without the site's chrome, links made absolute."""
    if storytext is None:
        return ""
    # One walk (a stack, not recursion: the depth is the page's) rather than a find_all
    # for each of the three jobs: this is most of an episode's parse after bs4's own.
    parents = [storytext]
    while parents:
        for child in list(parents.pop().contents):
            if isinstance(child, Tag):
                if _is_chrome(child):
                    child.decompose()
                    continue
                if child.name in ("a", "img"):
                    _absolute_link(base, child)
                parents.append(child)
            elif isinstance(child, Comment):
                child.extract()
    return children_html(storytext)


def _absolute_link(base: str, tag: Tag) -> None:
    name = "href" if tag.name == "a" else "src"
    if tag.name == "img" and _attr(tag, "data-original"):
        tag[name] = _attr(tag, "data-original") or ""
    value = _attr(tag, name)
    if value and not value.startswith("#"):
        tag[name] = urljoin(base, value)


_ARTICLE_START = re.compile(r"<article(?=[\s/>])[^>]*>", re.IGNORECASE)


def _items_in_markup(text: str) -> int:
    """How many ``<article class="item">`` start tags the raw markup holds."""
    return sum("item" in classes(tag) for tag in _ARTICLE_START.findall(text))


def _separate_items(outermost: list[Tag]) -> list[Tag]:
    """Every item, nested ones taken out of the items they ended up in.

    An item whose ``</article>`` is missing makes the parser nest the rest of the page
    inside it, and the strainer keeps only outermost elements; each nested item is cut
    out of its parent (the deepest first), so each is read without the others' content.
    """
    items: list[Tag] = []
    for item in outermost:
        nested = [
            node
            for node in item.descendants
            if isinstance(node, Tag) and _is_listing_item_tag(node)
        ]
        for inner in reversed(nested):
            inner.extract()
        items.extend([item, *nested])
    return items


def _is_listing_item_tag(tag: Tag) -> bool:
    return tag.name == "article" and "item" in tag.get_attribute_list("class")


def parse_listing(url: str, text: str) -> Listing:
    """Every ``article.item`` of a listing page (fragment or section archive).

    Items the markup holds but that could not be found are counted in `unread`.
    """
    soup = _soup(text, _LISTING_PARTS, _LISTING_NARROWING)
    items = _separate_items([node for node in soup.children if isinstance(node, Tag)])
    outcomes = [_listing_item(url, item) for item in items]
    if items and all(
        isinstance(outcome, Skip) and outcome.reason == _NO_TITLE for outcome in outcomes
    ):
        raise ExtractError(
            f"{url}: {len(items)} article.item elements but none has an h2.title; "
            "has the NPR listing layout changed?"
        )
    return Listing(
        url=url,
        refs=tuple(outcome for outcome in outcomes if isinstance(outcome, EpisodeRef)),
        skips=tuple(outcome for outcome in outcomes if isinstance(outcome, Skip)),
        item_count=len(items),
        unread=max(0, _items_in_markup(text) - len(items)),
    )


def parse_episode(ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
    """The episode from its page; each field falls back to what the listing gave."""
    tags = Tags(_soup(text, _EPISODE_PARTS, _EPISODE_NARROWING))  # (before the notes are cut)
    metas = _metas(tags)
    ld = _ld_article(tags)
    storytitle = tags.first("div", class_="storytitle")
    heading = storytitle.find("h1") if storytitle else None
    page_title = first(
        clean_text(metas.get("og:title", "")),
        clean_text(heading.get_text()) if heading else None,
        ld_str(ld.get("headline")),
    )
    # The audio first: show notes are cut out of the tree below, modules included.
    audio, audio_data = _page_audio(tags)
    storytext = tags.first("div", id="storytext")
    title = first(page_title, clean_text(ref.title))
    if title is None or (page_title is None and audio is None and storytext is None):
        raise ExtractError(
            f"{url}: no episode title (og:title, div.storytitle h1, ld+json headline), "
            "audio module or div#storytext on the page; has the NPR page layout changed?"
        )
    audio = audio or ref.audio
    if audio is None:
        return Skip(ref.key, url, "no audio on the episode page or the listing")
    if not audio.available:
        return Skip(ref.key, url, "audio not available yet")
    dateblock = tags.first("div", class_="dateblock")
    time = dateblock.find("time", datetime=True) if dateblock else None
    published = _published(
        [
            _attr(time, "datetime"),
            ld_str(ld.get("datePublished")),
            metas.get("date"),
            _npr_vars_pubdate(tags),
        ],
        ref.published,
    )
    if published is None:
        raise ExtractError(f"{url}: no publication date on the page or the listing")
    transcript_item = tags.first("li", class_="audio-tool-transcript")
    transcript = _attr(transcript_item.find("a", href=True), "href") if transcript_item else None
    audio_title = clean_text(str(audio_data.get("title") or "")) if audio_data else ""
    return Episode(
        key=ref.key,
        title=title,
        url=url,
        published=published,
        audio_url=audio.url,
        audio_size=audio.size,
        duration=audio.duration,
        summary=first(
            clean_text(metas.get("og:description", "")),
            clean_text(metas.get("description", "")),
            ld_str(ld.get("description")),
            clean_text(ref.teaser),
        )
        or "",
        notes_html=_show_notes(url, storytext),
        image_url=first(
            urljoin(url, metas.get("og:image", "")) if metas.get("og:image") else None,
            urljoin(url, image) if (image := ld_image(ld.get("image"))) else None,
            ref.image_url,
        ),
        transcript_url=urljoin(url, transcript) if transcript else None,
        episode_number=episode_number(title) or episode_number(audio_title),
    )
