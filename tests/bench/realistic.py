"""The benchmark's archive in npr.org's real markup: the demo site, re-dressed in real pages.

`RealMarkupSite` is the demo site (same episodes, URLs, truth, listing endpoint) whose
episode pages and listing items are rendered from real saved npr.org pages, read at run
time from `../shared/fixtures/npr/` and never copied into the project:

- episode pages: `episode-653-the-anti-store.html` (82 KB, ~980 elements) and, for the
  episodes whose page carries the audio module twice, `episode-790-...` (91 KB), with the
  episode-specific parts substituted: story id, URL, title, description, image, dates,
  the data-audio module (audio URL, duration), the show notes, a transcript link;
- listing items: the first item of `archive-2017-02-28.html` (2017 archive markup, with
  its audio module and transcript link), the same parts substituted; NPR+ exclusives
  lose their links, items without an audio module lose it.

Everything else on a page (header, navigation, scripts, ads, footer) is npr.org's own,
byte for byte, so page size and element count match what a crawl of npr.org parses.

    site = RealMarkupSite.from_fixtures(FIXTURES, episodes=1700)   # TemplateError if unusable
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from planetrss.demo.site import DemoEpisode, DemoSite, iso_duration

ROOT: Final = Path(__file__).resolve().parents[2]
FIXTURES: Final = ROOT.parent / "shared" / "fixtures" / "npr"
EPISODE_PAGE: Final = "episode-653-the-anti-store.html"
DOUBLE_AUDIO_PAGE: Final = "episode-790-rough-translations-in-ukraine.html"
ARCHIVE_PAGE: Final = "archive-2017-02-28.html"

_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class TemplateError(Exception):
    """A saved page does not have the parts the benchmark substitutes (or is missing)."""


_SLOT = "\x00{}\x00"


class _Template:
    """A real page with named slots: literal strings of the page replaced by `{name}`."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self._text = text  # slots marked as \x00name\x00 until `compile`
        self._format = ""

    def slot(self, name: str, literal: str, *, required: bool = True) -> None:
        """Every occurrence of `literal` becomes slot `name`."""
        if not literal or literal not in self._text:
            if required:
                raise TemplateError(f"{self.source}: {name!r} ({literal[:60]!r}) not found")
            return
        self._text = self._text.replace(literal, _SLOT.format(name))

    def slot_pattern(self, name: str, pattern: str, *, group: int = 0) -> list[str]:
        """Every match of `pattern` (its `group`) becomes slot `name`; the literals replaced."""
        found = [m.group(group) for m in re.finditer(pattern, self._text, flags=re.S)]
        if not found:
            raise TemplateError(f"{self.source}: no match for {name!r}")
        for literal in sorted(set(found), key=len, reverse=True):
            self._text = self._text.replace(literal, _SLOT.format(name))
        return found

    def insert_before(self, name: str, anchor: str, after: str) -> None:
        """Slot `name` just before the first `anchor` following the first `after`."""
        start = self._text.find(after)
        at = self._text.find(anchor, start) if start >= 0 else -1
        if at < 0:
            raise TemplateError(f"{self.source}: nowhere to put {name!r}")
        self._text = self._text[:at] + _SLOT.format(name) + self._text[at:]

    def text(self) -> str:
        return self._text

    def compile(self) -> _Template:
        escaped = self._text.replace("{", "{{").replace("}", "}}")
        self._format = re.sub("\x00(\\w+)\x00", r"{\1}", escaped)
        return self

    def render(self, **values: str) -> str:
        return self._format.format(**values)


def _read(folder: Path, name: str) -> str:
    try:
        return (folder / name).read_text("utf-8")
    except OSError as exc:
        raise TemplateError(f"{folder / name}: {exc.strerror or exc}") from None


def _one(pattern: str, text: str, source: str, group: int = 1) -> str:
    match = re.search(pattern, text, flags=re.S)
    if match is None:
        raise TemplateError(f"{source}: no match for {pattern[:50]!r}")
    return match.group(group)


def _json_url(url: str) -> str:
    return url.replace("/", "\\/")


def _notes_run(text: str, source: str) -> str:
    """The show notes of a page: the longest run of `<p>` paragraphs in div#storytext."""
    start = text.find('<div id="storytext"')
    end = text.find("<!--googleoff", start)
    runs = re.findall(r"(?:<p>(?:(?!<p>).)*?</p>\s*)+", text[start:end], flags=re.S)
    if start < 0 or not runs:
        raise TemplateError(f"{source}: no show notes in div#storytext")
    return max(runs, key=len).rstrip()


def _episode_template(folder: Path, name: str) -> _Template:
    text = _read(folder, name)
    story_id = _one(r'"storyId":"(\d+)"', text, name)
    url = _one(r'<link rel="canonical" href="([^"]+)"', text, name)
    title = _one(r'<meta property="og:title" content="([^"]+)"', text, name)
    description = _one(r'<meta property="og:description" content="([^"]+)"', text, name)
    image = _one(r'<meta property="og:image" content="([^"]+)"', text, name)
    day = _one(r'<meta name="date" content="([^"]+)"', text, name)
    stamp = _one(r'<div class="dateblock">\s*<time datetime="([^"]+)"', text, name)
    long_date = _one(r'<span class="date">([^<]+)</span><span class="time">', text, name)
    clock = _one(r'<span class="time">([^<]+)</span>', text, name)
    pubdate = _one(r'"pubDate":"(\d+)"', text, name)
    audio_title = _one(r'"title":"([^"]+)","audioUrl"', text, name)
    template = _Template(name, text)
    template.slot_pattern("data_audio", r"data-audio='([^']*)'", group=1)
    template.slot_pattern("download", r'href="([^"]*&amp;dl=1)"', group=1)
    template.slot_pattern(
        "duration_iso", r'class="audio-module-duration" datetime="([^"]+)"', group=1
    )
    template.slot_pattern("duration_clock", r"<span>(\d+:\d\d)</span>", group=1)  # every occurrence
    template.slot("notes", _notes_run(text, name))
    template.slot("url_json", _json_url(url))
    template.slot("url", url)
    template.slot("image", image)
    template.slot("description", description)
    template.slot("description", html.unescape(description), required=False)
    template.slot("title", title)
    template.slot("title", audio_title, required=False)
    template.slot("stamp", stamp)
    template.slot("long_date", long_date)
    template.slot("clock", clock)
    template.slot("pubdate", f'"pubDate":"{pubdate}"')
    template.slot("day", f'<meta name="date" content="{day}"')
    template.slot("story_id", story_id)
    template.insert_before("transcript", "\n        </ul>", _SLOT.format("data_audio"))
    return template.compile()


@dataclass(frozen=True)
class _ListingTemplates:
    item: _Template
    exclusive: _Template
    audio: _Template
    transcript: _Template


def _listing_templates(folder: Path) -> _ListingTemplates:
    name = ARCHIVE_PAGE
    text = _read(folder, name)
    start = text.find('<article class="item')
    # The item holds one nested <article> (its audio module): the item ends at the second close.
    end = text.find("</article>", text.find("</article>", start) + 1) + len("</article>")
    if start < 0 or end < start:
        raise TemplateError(f"{name}: no article.item")
    item = text[start:end]
    url = _one(r'<h2 class="title"><a href="([^"]+)"', item, name)
    story_id = _one(r'"uid":"(\d+):', item, name)
    title = _one(r'<h2 class="title"><a [^>]*>([^<]+)</a>', item, name)
    image = _one(r'<img src="([^"]+)-s300-c15\.jpg"', item, name)
    day = _one(r'<time datetime="([^"]+)">', item, name)
    long_date = _one(r'<span class="date">([^<]+) &#149; </span>', item, name)
    teaser = _one(r"</time>([^<]+)</a></p>", item, name)
    module = _one(r'(<article id="res\d+" class="bucketwrap resaudio".*?</article>)', item, name)
    transcript = _one(r'(<li class="audio-tool audio-tool-transcript">.*?</li>)', module, name)

    transcript_template = _Template(name, transcript)
    transcript_template.slot_pattern("transcript_url", r'href="([^"]+)"', group=1)
    transcript_template.slot("story_id", story_id)

    audio = _Template(name, module.replace(transcript, _SLOT.format("transcript")))
    audio.slot_pattern("data_audio", r"data-audio='([^']*)'", group=1)
    audio.slot_pattern("download", r'href="([^"]*&amp;dl=1)"', group=1)
    audio.slot_pattern("duration_iso", r'class="audio-module-duration" datetime="([^"]+)"', group=1)
    audio.slot_pattern("duration_clock", r"<span>(\d+:\d\d)</span>", group=1)  # every occurrence
    audio.slot("title", title)
    audio.slot("story_id", story_id, required=False)

    def fill(template: _Template) -> _Template:
        template.slot("url", url, required=False)
        template.slot("image", image)
        template.slot("title", title)
        template.slot("day", f'<time datetime="{day}">')
        template.slot("long_date", long_date)
        template.slot("teaser", teaser)
        return template.compile()

    plain = item.replace(module, _SLOT.format("audio"))
    # An NPR+ exclusive: no public page, so no links to one, and no audio module.
    exclusive = re.sub(r'<a href="[^"]*"[^>]*>\s*(<img[^>]*>)\s*</a>', r"\1", plain)
    exclusive = re.sub(r'(<h2 class="title">)<a [^>]*>(.*?)</a>', r"\1\2", exclusive, flags=re.S)
    exclusive = re.sub(r'(<p class="teaser">)<a [^>]*>(.*?)</a>', r"\1\2", exclusive, flags=re.S)
    exclusive = exclusive.replace(_SLOT.format("audio"), "")
    return _ListingTemplates(
        item=fill(_Template(name, plain)),
        exclusive=fill(_Template(name, exclusive)),
        audio=audio.compile(),
        transcript=transcript_template.compile(),
    )


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


class RealMarkupSite(DemoSite):
    """The demo site with episode pages and listing items in npr.org's real markup."""

    def __init__(
        self,
        episodes: int,
        page: _Template,
        double_page: _Template,
        listing: _ListingTemplates,
        **kwargs: object,
    ) -> None:
        super().__init__(episodes, **kwargs)  # type: ignore[arg-type]
        self._page = page
        self._double_page = double_page
        self._listing = listing

    @classmethod
    def from_fixtures(cls, folder: Path, episodes: int, **kwargs: object) -> RealMarkupSite:
        """The site built on the saved pages in `folder`; TemplateError when they won't do."""
        return cls(
            episodes,
            _episode_template(folder, EPISODE_PAGE),
            _episode_template(folder, DOUBLE_AUDIO_PAGE),
            _listing_templates(folder),
            **kwargs,
        )

    def _transcript(self, ep: DemoEpisode) -> str:
        if ep.transcript_url is None:
            return ""
        return self._listing.transcript.render(transcript_url=ep.transcript_url, story_id=ep.key)

    def _audio_values(self, ep: DemoEpisode) -> dict[str, str]:
        return {
            "data_audio": self._data_audio(ep),
            "download": _esc(ep.audio_url + "&dl=1"),
            "duration_iso": iso_duration(ep.duration),
            "duration_clock": _clock(ep.duration),
            "transcript": self._transcript(ep),
        }

    def _listing_item(self, ep: DemoEpisode) -> str:
        values = {
            "url": ep.url,
            "image": ep.image_url.removesuffix(".jpg?s=1400"),
            "title": _esc(ep.title),
            "day": f'<time datetime="{ep.published.date().isoformat()}">',
            "long_date": f"{_MONTHS[ep.published.month - 1]} {ep.published.day}, {ep.published.year}",
            "teaser": _esc(ep.teaser),
        }
        if ep.exclusive:
            return self._listing.exclusive.render(**values)
        audio = ""
        if ep.listing_audio:
            audio = self._listing.audio.render(
                title=values["title"], story_id=ep.key, **self._audio_values(ep)
            )
        return self._listing.item.render(audio=audio, **values)

    def episode_page(self, index: int) -> bytes:
        ep = self.episode(index)
        when = ep.published
        hour = when.hour % 12 or 12
        template = self._double_page if ep.double_audio else self._page
        return template.render(
            url=ep.url,
            url_json=_json_url(ep.url),
            story_id=ep.key,
            title=_esc(ep.title),
            description=_esc(ep.teaser),
            image=_esc(ep.image_url),
            notes=ep.notes_html,
            stamp=when.isoformat(),
            long_date=f"{_MONTHS[when.month - 1]} {when.day}, {when.year}",
            clock=f"{hour}:{when.minute:02d} {'AM' if when.hour < 12 else 'PM'} ET",
            pubdate=f'"pubDate":"{when.year:04d}{when.month:02d}{when.day:02d}{when.hour:02d}"',
            day=f'<meta name="date" content="{when.date().isoformat()}"',
            **self._audio_values(ep),
        ).encode()
