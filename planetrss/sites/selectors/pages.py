"""Pages read with a selectors profile (beautifulsoup4 + soupsieve): the parsing half of
the `selectors` kind."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import soupsieve
from bs4 import BeautifulSoup
from bs4.element import Tag
from w3lib.html import get_base_url

from planetrss.models import Audio, Episode, EpisodeRef, Listing, Skip
from planetrss.sites.base import ExtractError
from planetrss.sites.extract import (
    absolute_url,
    clean_text,
    episode_number,
    first,
    has_time_of_day,
    parse_datetime,
    parse_duration,
    url_key,
)
from planetrss.sites.soup import attr, inner_html

if TYPE_CHECKING:
    from planetrss.sites.selectors import Field, SelectorsSite


def selector_problem(select: str) -> str | None:
    """Why `select` is not a CSS selector soupsieve can run, or None."""
    try:
        _compiled(select)
    except soupsieve.SelectorSyntaxError as exc:
        return str(exc).splitlines()[0]
    return None


@lru_cache(maxsize=256)
def _compiled(select: str) -> soupsieve.SoupSieve:
    return soupsieve.compile(select)


def _match(scope: Tag, field: Field) -> Tag | None:
    found = _compiled(field.select).select_one(scope)
    return found if isinstance(found, Tag) else None


def value(scope: Tag, field: Field) -> str | None:
    """The field's value in `scope`: the attribute or the text of the first match,
    through the regex when there is one; None when nothing matches."""
    element = _match(scope, field)
    if element is None:
        return None
    raw = attr(element, field.attr) if field.attr else clean_text(element.get_text(" "))
    if not raw:
        return None
    if field.regex:
        match = re.search(field.regex, raw)
        if match is None:
            return None
        raw = match.group(1) if match.groups() else match.group(0)
    return clean_text(raw) or None


def _date(
    scope: Tag, field: Field | None, site: SelectorsSite, known: datetime | None = None
) -> datetime | None:
    """The field's date; a date without a time of day yields to `known` (the listing's)
    when that names the same day with a time."""
    raw = value(scope, field) if field else None
    when = parse_datetime(raw, site.date_format) if raw else None
    if (
        when is not None
        and known is not None
        and raw is not None
        and not has_time_of_day(raw, site.date_format)
        and known.date() == when.date()
    ):
        return known
    return when


def _nothing(field: Field, where: str) -> ExtractError:
    return ExtractError(
        f"{field.describe()} matched nothing {where}; check the selector against the page"
    )


def parse_listing(site: SelectorsSite, url: str, text: str) -> Listing:
    """One listing page: an `EpisodeRef` for each `item`; an item without a link is
    counted as unread; a required field that matches in none of the items is an error
    naming its key."""
    fields = dict(site.listing)
    soup = BeautifulSoup(text, "lxml")
    base = get_base_url(text, url)
    items = [tag for tag in _compiled(fields["item"].select).select(soup) if isinstance(tag, Tag)]
    next_field = fields.get("next")
    next_url = absolute_url(base, value(soup, next_field)) if next_field else None
    if not items:
        if len("".join(soup.get_text().split())) > 200 or next_url:
            raise _nothing(fields["item"], f"on {url}")
        return Listing(url=url)  # an empty page: past the end of the listing
    refs: list[EpisodeRef] = []
    unread = 0
    for item in items:
        link = absolute_url(base, value(item, fields["link"]))
        if link is None:
            unread += 1
            continue
        title_field, date_field = fields.get("title"), fields.get("date")
        audio_field = fields.get("audio")
        audio_url = absolute_url(base, value(item, audio_field)) if audio_field else None
        duration_field = fields.get("duration")
        image_field, summary_field = fields.get("image"), fields.get("summary")
        refs.append(
            EpisodeRef(
                key=url_key(link),
                url=link,
                title=(value(item, title_field) or "") if title_field else "",
                published=_date(item, date_field, site),
                teaser=(value(item, summary_field) or "") if summary_field else "",
                image_url=absolute_url(base, value(item, image_field)) if image_field else None,
                audio=Audio(
                    audio_url,
                    duration=parse_duration(value(item, duration_field))
                    if duration_field
                    else None,
                )
                if audio_url
                else None,
            )
        )
    if not refs:
        raise _nothing(fields["link"], f"in any of the {len(items)} items on {url}")
    missing = {
        "title": [ref for ref in refs if not ref.title],
        "date": [ref for ref in refs if ref.published is None],
        "audio": [ref for ref in refs if ref.audio is None],
    }
    for name, without in missing.items():
        if name in fields and len(without) == len(refs):
            raise _nothing(fields[name], f"in any of the {len(refs)} items on {url}")
    return Listing(
        url=url, refs=tuple(refs), item_count=len(refs), next_url=next_url, unread=unread
    )


def parse_episode(site: SelectorsSite, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
    """The episode page read with ``[params.episode]``; each field falls back to what the
    listing gave. Title and date found nowhere are errors naming the key; audio found
    nowhere is a skip (a post without audio is not an episode)."""
    fields = dict(site.episode)
    soup = BeautifulSoup(text, "lxml")
    base = get_base_url(text, url)

    def get(name: str) -> str | None:
        field = fields.get(name)
        return value(soup, field) if field else None

    def missing(name: str) -> ExtractError:
        # The episode's own field when it has one, else the listing's, which gave none.
        field = fields.get(name) or dict(site.listing)[name]
        return _nothing(field, f"on {url}" if name in fields else f"for {url}")

    title = first(get("title"), ref.title)
    if not title:
        raise missing("title")
    published = _date(soup, fields.get("date"), site, ref.published) or ref.published
    if published is None:
        raise missing("date")
    audio_url = absolute_url(base, get("audio"))
    audio = Audio(audio_url, duration=parse_duration(get("duration"))) if audio_url else ref.audio
    if audio is None:
        where = fields["audio"].describe() if "audio" in fields else "no audio selector"
        return Skip(ref.key, url, f"no audio: {where} matched nothing")
    notes = ""
    if (notes_field := fields.get("notes")) is not None:
        element = _match(soup, notes_field)
        if element is not None:
            notes = (
                clean_text(attr(element, notes_field.attr) or "")
                if notes_field.attr
                else inner_html(element, base)
            )
    image = get("image")
    return Episode(
        key=ref.key,
        title=title,
        url=url,
        published=published,
        audio_url=audio.url,
        audio_size=audio.size,
        duration=audio.duration or (ref.audio.duration if ref.audio else None),
        summary=first(get("summary"), ref.teaser) or "",
        notes_html=notes,
        image_url=absolute_url(base, image) if image else ref.image_url,
        episode_number=episode_number(title),
    )
