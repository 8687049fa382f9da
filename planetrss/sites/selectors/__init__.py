"""Any podcast website, read with a profile of CSS selectors given in the definition.

For sites whose pages carry no usable JSON-LD or OpenGraph (or carry wrong ones)::

    site = "selectors"
    origin = "https://show.example.net"
    [params]
    start = "https://show.example.net/archive"
    # date_format = "%d.%m.%Y"        # optional: strptime format, when dates are unusual
    [params.listing]
    item = "article.post"
    link = "h2 a @href"                # a selector, then @attribute (the text when absent)
    title = "h2 a"
    date = "time @datetime"
    next = "a.next @href"
    [params.episode]                   # optional: without it, the listing is enough
    title = "h1.entry-title"
    date = "time.published @datetime"
    audio = "audio source @src"
    notes = "div.entry-content"        # HTML kept (sanitized when rendered)
    image = "meta[property='og:image'] @content"
    duration = { select = "span.length", regex = '(\\d+:\\d+(?::\\d+)?)' }

A field is a string or a table with ``select`` and an optional ``regex`` (its first
group, or the whole match, is the value). Every selector and regex is checked when the
definition is loaded; a selector that matches nothing on a page is an extraction error
naming its key (``params.listing.title``), never an empty feed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from planetrss.models import Episode, EpisodeRef, Listing, Skip
from planetrss.sites.base import (
    NextLinks,
    NumberedPages,
    Site,
    SiteParamError,
    episode_from_ref,
    read_common_params,
)
from planetrss.sites.extract import url_key

PARAMS = ("start", "page_template", "max_pages", "date_format", "listing", "episode")
LISTING_FIELDS = ("item", "link", "title", "date", "next", "audio", "duration", "image", "summary")
EPISODE_FIELDS = ("title", "date", "audio", "notes", "image", "duration", "summary")
_ATTRIBUTE = re.compile(r"^(?P<select>.*?)\s*@(?P<attr>[A-Za-z_:][-\w:.]*)$", re.DOTALL)


@dataclass(frozen=True)
class Field:
    """One profile entry: where (`select`), what (`attr`, or the text), and `regex`."""

    key: str  # as the definition names it: "params.listing.title"
    select: str
    attr: str | None = None
    regex: str | None = None

    def describe(self) -> str:
        spec = f"{self.select} @{self.attr}" if self.attr else self.select
        return f"{self.key} ({spec!r}{f', regex {self.regex!r}' if self.regex else ''})"


def _field(table: str, name: str, value: Any) -> Field:
    key = f"{table}.{name}"
    short = key.removeprefix("params.")
    regex = None
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - {"select", "regex"})
        if unknown:
            raise SiteParamError(
                f"{short}.{unknown[0]}", "unknown key: expected select and an optional regex"
            )
        regex = value.get("regex")
        if regex is not None and (not isinstance(regex, str) or not regex):
            raise SiteParamError(f"{short}.regex", f"expected a regular expression, got {regex!r}")
        value = value.get("select")
    if not isinstance(value, str) or not value.strip():
        raise SiteParamError(
            short,
            f'expected a CSS selector ("h2 a", "a.next @href") or a table '
            f"{{select = ..., regex = ...}}, got {value!r}",
        )
    select, attr = value.strip(), None
    if match := _ATTRIBUTE.match(select):
        select, attr = match.group("select").strip(), match.group("attr")
        if not select:
            raise SiteParamError(short, f"expected a selector before @{attr}, got {value!r}")
    if regex is not None:
        try:
            compiled = re.compile(regex)
        except re.error as exc:
            raise SiteParamError(
                f"{short}.regex", f"expected a valid regular expression, got {regex!r} ({exc})"
            ) from None
        if compiled.groups > 1:
            raise SiteParamError(
                f"{short}.regex", f"expected at most one group (the value), got {regex!r}"
            )
    return Field(key, select, attr, regex)


def _fields(params: Mapping[str, Any], table: str, names: tuple[str, ...]) -> dict[str, Field]:
    raw = params.get(table)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise SiteParamError(table, f"expected a table [params.{table}], got {raw!r}")
    for name in raw:
        if name not in names:
            raise SiteParamError(
                f"{table}.{name}", f"unknown key {name!r}: expected one of {', '.join(names)}"
            )
    return {name: _field(f"params.{table}", name, value) for name, value in raw.items()}


@dataclass(frozen=True)
class SelectorsSite(Site):
    """A site read with CSS selectors from its definition (no site code)."""

    start: str = ""
    listing: tuple[tuple[str, Field], ...] = ()
    episode: tuple[tuple[str, Field], ...] = ()
    date_format: str | None = None
    page_template: str | None = None
    max_pages: int | None = None

    kind: ClassVar[str] = "selectors"
    # Never chosen for a URL by `find`: it needs a profile, which no URL tells.
    example: ClassVar[str] = ""
    pattern: ClassVar[re.Pattern[str]] = re.compile(r"(?!)")

    @classmethod
    def from_params(cls, origin: str | None, params: Mapping[str, Any]) -> SelectorsSite:
        origin, start, max_pages = read_common_params(cls.kind, origin, params, PARAMS)
        listing = _fields(params, "listing", LISTING_FIELDS)
        episode = _fields(params, "episode", EPISODE_FIELDS)
        needed = ["item", "link"]
        # What the episode table does not give, the listing must.
        needed += [name for name in ("title", "date") if name not in episode]
        if not episode:
            needed.append("audio")
        for name in needed:
            if name not in listing:
                why = (
                    "without [params.episode] the listing must give it"
                    if name == "audio" or not episode
                    else "the [params.episode] table does not give it"
                )
                raise SiteParamError(f"listing.{name}", f"missing: a selector is needed ({why})")
        date_format = params.get("date_format")
        if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
            raise SiteParamError(
                "date_format", f'expected a strptime format such as "%d.%m.%Y", got {date_format!r}'
            )
        template = params.get("page_template")
        if template is not None and (not isinstance(template, str) or "{page}" not in template):
            raise SiteParamError(
                "page_template", f"expected a URL holding {{page}}, got {template!r}"
            )
        from planetrss.sites.selectors import pages  # compiling selectors needs soupsieve

        for field in [*listing.values(), *episode.values()]:
            problem = pages.selector_problem(field.select)
            if problem:
                raise SiteParamError(
                    field.key.removeprefix("params."),
                    f"expected a valid CSS selector, got {field.select!r} ({problem})",
                )
        return cls(
            origin=origin,
            start=start,
            listing=tuple(listing.items()),
            episode=tuple(episode.items()),
            date_format=date_format,
            page_template=template,
            max_pages=max_pages,
        )

    @property
    def paging(self) -> NumberedPages | NextLinks:
        if self.page_template is not None:
            return NumberedPages(
                self.page_template, start=1, first_url=self.start, max_pages=self.max_pages
            )
        return NextLinks(self.start, max_pages=self.max_pages)

    def ref_from_url(self, url: str) -> EpisodeRef | None:
        return EpisodeRef(key=url_key(url), url=url, title="")

    def episode_from_listing(self, ref: EpisodeRef) -> Episode | Skip | None:
        """Without ``[params.episode]`` the listing is all there is: the episode comes
        from it, or is skipped saying what it lacks."""
        if self.episode:
            return None
        found = episode_from_ref(ref)
        if found is not None:
            return found
        missing = "audio" if ref.audio is None else "date" if ref.published is None else "title"
        return Skip(ref.key, ref.url, f"the listing item has no {missing}")

    def parse_listing(self, url: str, text: str) -> Listing:
        from planetrss.sites.selectors import pages

        return pages.parse_listing(self, url, text)

    def parse_episode(self, ref: EpisodeRef, url: str, text: str) -> Episode | Skip:
        from planetrss.sites.selectors import pages

        return pages.parse_episode(self, ref, url, text)
