"""Two more demo podcast sites, shaped like the web's other kinds of podcast sites (pure).

- `HostedSite`: a podcast host's site (Transistor, Fireside, Podbean alike): numbered
  listing pages ``/episodes/``, ``/episodes/page/N/`` of cards without audio, and episode
  pages with a schema.org ``@graph`` (``PodcastEpisode`` → ``AudioObject`` by ``@id``),
  OpenGraph tags whose ``og:audio`` is a tracking redirect, a player and "up next" cards.
- `BlogSite`: a WordPress blog: no JSON-LD at all, only OpenGraph/article tags and a
  ``<figure class="wp-block-audio"><audio>`` in each post; ``rel=next`` paging (``/page/N/``),
  a Yoast-style sitemap index; some posts are announcements without audio.

Both answer like `planetrss.demo.site.DemoSite` (`classify`, `respond`, `origin`), so the
same `DemoServer` serves them, and `episode(i)` gives the truth for tests (1 = oldest).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final
from urllib.parse import urlsplit

from planetrss.demo.site import DEFAULT_ORIGIN, HTML, Kind, Response

_WORDS: Final = (
    "Sourdough", "Lighthouse", "Typewriter", "Glacier", "Beekeeping", "Telegraph", "Origami",
    "Meteorite", "Cartography", "Fermentation", "Railways", "Harbour", "Moss", "Quilting",
    "Clockwork", "Volcano", "Bicycle", "Lichen", "Radio", "Orchard", "Café", "Fjord", "Piñata",
)  # fmt: skip
_FORMS: Final = (
    "The Secret Life of {a}",
    "{a} & {b}",
    "Why {a} Matters",
    "A Short History of {a}",
    "{a}: Questions From Listeners",
    'The "{a}" Problem',
    "Inside the {a} Workshop",
    "What {a} Taught Us About {b}",
)
_CEST: Final = timezone(timedelta(hours=2))


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower().encode("ascii", "ignore").decode()).strip("-")


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _iso_duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"PT{hours}H{rest // 60}M{rest % 60}S" if hours else f"PT{rest // 60}M{rest % 60}S"


@dataclass(frozen=True, slots=True)
class ShowEpisode:
    """The truth about one episode (or post) of a shaped demo site."""

    index: int  # 1 = oldest
    title: str
    path: str  # the page's path
    published: datetime
    duration: int  # seconds
    audio_path: str | None  # None: a post without audio (not in the feed)
    size: int
    summary: str


class _Show:
    """Episodes of a made-up show, a pure function of (index, seed)."""

    page_size = 10

    def __init__(self, episodes: int, seed: int = 0) -> None:
        self.episodes = episodes
        self.seed = seed
        self.origin = DEFAULT_ORIGIN

    def _pick(self, index: int, salt: int, options: tuple[str, ...]) -> str:
        return options[(index * 7919 + salt * 104729 + self.seed * 31) % len(options)]

    def _title(self, index: int) -> str:
        form = self._pick(index, 1, _FORMS)
        return form.format(a=self._pick(index, 2, _WORDS), b=self._pick(index, 3, _WORDS))

    def _duration(self, index: int) -> int:
        return 900 + (index * 7717 + self.seed) % 4500

    def newest_first(self, page: int) -> list[int]:
        """The episode indexes on listing page `page` (1 = newest page)."""
        top = self.episodes - (page - 1) * self.page_size
        return list(range(top, max(0, top - self.page_size), -1))

    @property
    def pages(self) -> int:
        return max(1, -(-self.episodes // self.page_size))


# --- the hosted podcast site --------------------------------------------------------------


class HostedSite(_Show):
    """A podcast host's site for "The Workshop Hour" (see the module docstring)."""

    name = "The Workshop Hour"
    page_size = 12

    def episode(self, index: int) -> ShowEpisode:
        title = f"{index}: {self._title(index)}"
        published = datetime(2019, 1, 8, 5, 0, tzinfo=UTC) + timedelta(days=7 * (index - 1))
        duration = self._duration(index)
        return ShowEpisode(
            index=index,
            title=title,
            path=f"/episodes/{index}-{_slug(self._title(index))}",
            published=published,
            duration=duration,
            audio_path=f"/media/workshop-{index:04d}.mp3",
            size=duration * 16_000,
            summary=f"This week: {self._title(index).lower()}, and a listener's question.",
        )

    def _head(self, title: str, extra: str = "") -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en" data-theme="light"><head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_esc(title)}</title>\n"
            '<link rel="stylesheet" href="/assets/site-3f9a1c.css">\n'
            f'<link rel="alternate" type="application/rss+xml" title="{self.name}" '
            'href="/feed.xml">\n'
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push("
            "arguments)}gtag('js',new Date());gtag('config','G-DEMO000');</script>\n"
            f'{extra}</head>\n<body class="site">\n'
            '<a class="skip-link" href="#main">Skip to content</a>\n'
            '<header class="site-header"><div class="container">'
            f'<a class="site-title" href="/">{self.name}</a>\n'
            '<nav class="site-nav"><a href="/">Home</a> <a href="/episodes/">Episodes</a> '
            '<a href="/about/">About</a> <a href="/subscribe/">Subscribe</a></nav>'
            "</div></header>\n"
        )

    def _foot(self) -> str:
        return (
            '<footer class="site-footer"><p>&copy; The Workshop Hour. Hosted with '
            '<a href="https://host.example/">PodHost</a>.</p>'
            '<p><a href="/privacy/">Privacy</a></p></footer>\n'
            '<script src="/assets/player-8c1d.js" defer></script>\n</body></html>\n'
        )

    def _card(self, ep: ShowEpisode) -> str:
        # Cards name the date in words and carry no audio: the page must be fetched.
        return (
            f'<div class="episode-card" data-episode-id="{ep.index}">\n'
            f'  <a class="card-link" href="{ep.path}">\n'
            f'    <img class="card-art" src="/art/{ep.index % 5}.jpg" alt="" loading="lazy">\n'
            f'    <h3 class="card-title">{_esc(ep.title)}</h3>\n  </a>\n'
            f'  <div class="card-meta"><span class="date">{ep.published:%B} '
            f"{ep.published.day}, {ep.published:%Y}</span> &middot; "
            f'<span class="length">{_clock(ep.duration)}</span></div>\n'
            f'  <p class="card-summary">{_esc(ep.summary)}</p>\n'
            f'  <button class="play" data-episode="{ep.index}" aria-label="Play">&#9654;</button>\n'
            "</div>\n"
        )

    def listing_page(self, page: int) -> bytes:
        indexes = self.newest_first(page)
        pager = []
        if page > 1:
            previous = "/episodes/" if page == 2 else f"/episodes/page/{page - 1}/"
            pager.append(f'<a class="pager-newer" href="{previous}">&larr; Newer</a>')
        if page < self.pages:
            pager.append(
                f'<a class="pager-older" href="/episodes/page/{page + 1}/">Older &rarr;</a>'
            )
        body = "".join(self._card(self.episode(i)) for i in indexes)
        return (
            self._head(f"Episodes | {self.name}")
            + '<main id="main" class="container"><h1 class="page-title">All episodes</h1>\n'
            + "<!-- episode grid -->\n"
            + f'<section class="episode-grid">\n{body}</section>\n'
            + f'<nav class="pager" aria-label="pages">{" ".join(pager)}'
            + f'<span class="pages">Page {page} of {self.pages}</span></nav>\n</main>\n'
            + self._foot()
        ).encode()

    def episode_page(self, index: int) -> bytes:
        ep = self.episode(index)
        url = self.origin + ep.path
        audio = self.origin + str(ep.audio_path)
        series_id = self.origin + "/#series"
        graph = {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "@id": self.origin + "/#website", "url": self.origin + "/",
                 "name": self.name},
                {"@type": "PodcastSeries", "@id": series_id, "name": self.name,
                 "url": self.origin + "/", "webFeed": self.origin + "/feed.xml"},
                {"@type": ["PodcastEpisode", "CreativeWork"], "@id": url + "#episode",
                 "url": url, "name": ep.title, "episodeNumber": ep.index,
                 "datePublished": ep.published.isoformat(),
                 "description": f"<p>{_esc(ep.summary)}</p>",
                 "partOfSeries": {"@id": series_id},
                 "associatedMedia": {"@id": url + "#audio"},
                 "image": f"{self.origin}/art/{ep.index % 5}.jpg"},
                {"@type": "AudioObject", "@id": url + "#audio", "contentUrl": audio,
                 "encodingFormat": "audio/mpeg", "duration": _iso_duration(ep.duration),
                 "contentSize": str(ep.size)},
                {"@type": "BreadcrumbList", "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Episodes",
                     "item": self.origin + "/episodes/"},
                    {"@type": "ListItem", "position": 2, "name": ep.title}]},
            ],
        }  # fmt: skip
        # og:audio goes through an analytics redirect: JSON-LD names the file itself.
        tracked = "https://stats.podhost.example/track/" + audio.split("://", 1)[1]
        head = (
            f'<meta property="og:type" content="music.song">\n'
            f'<meta property="og:title" content="{_esc(ep.title)} | {self.name}">\n'
            f'<meta property="og:description" content="{_esc(ep.summary)}">\n'
            f'<meta property="og:audio" content="{tracked}">\n'
            f'<meta property="og:image" content="{self.origin}/art/{ep.index % 5}.jpg">\n'
            '<meta name="twitter:card" content="player">\n'
            f'<script type="application/ld+json">{json.dumps(graph)}</script>\n'
        )
        neighbours = [i for i in (index - 1, index - 2) if i >= 1]
        up_next = "".join(self._card(self.episode(i)) for i in neighbours)
        return (
            self._head(f"{ep.title} | {self.name}", head)
            + '<main id="main" class="container episode">\n'
            + f'<h1 class="episode-title">{_esc(ep.title)}</h1>\n'
            + f'<p class="episode-meta">Episode {ep.index} &middot; '
            + f"{ep.published:%b} {ep.published.day}, {ep.published:%Y}</p>\n"
            + f'<div class="player" data-src="{audio}" data-duration="{ep.duration}"></div>\n'
            + '<div class="episode-notes">\n'
            + f"<p>{_esc(ep.summary)}</p>\n<h2>Links</h2>\n<ul>\n"
            + f'<li><a href="https://en.wikipedia.org/wiki/{_slug(self._title(index))}">'
            + "Background reading</a></li>\n"
            + '<li><a href="/about/">About the show</a></li>\n</ul>\n</div>\n'
            + f'<aside class="up-next"><h2>Up next</h2>\n{up_next}</aside>\n</main>\n'
            + self._foot()
        ).encode()

    _EPISODE = re.compile(r"/episodes/(?P<n>\d+)-(?P<slug>[a-z0-9-]*)/?")
    _PAGE = re.compile(r"/episodes/page/(?P<n>\d+)/?")
    _MEDIA = re.compile(r"/media/workshop-(?P<n>\d{4})\.mp3")

    def classify(self, target: str) -> Kind:
        path = urlsplit(target).path
        if path in ("/episodes/", "/episodes") or self._PAGE.fullmatch(path):
            return "listing"
        if self._EPISODE.fullmatch(path):
            return "episode"
        if self._MEDIA.fullmatch(path):
            return "media"
        return "other"

    def respond(self, target: str) -> Response:
        path = urlsplit(target).path
        if path in ("/episodes/", "/episodes"):
            return Response(200, "listing", self.listing_page(1))
        if m := self._PAGE.fullmatch(path):
            page = int(m["n"])
            if page == 1:
                return _redirect("listing", self.origin + "/episodes/")
            if not 1 < page <= self.pages:
                return _not_found("listing")
            return Response(200, "listing", self.listing_page(page))
        if m := self._EPISODE.fullmatch(path):
            index = int(m["n"])
            if not 1 <= index <= self.episodes:
                return _not_found("episode")
            if path != self.episode(index).path:
                return _redirect("episode", self.origin + self.episode(index).path)
            return Response(200, "episode", self.episode_page(index))
        if m := self._MEDIA.fullmatch(path):
            index = int(m["n"])
            if not 1 <= index <= self.episodes:
                return _not_found("media")
            return Response(
                200, "media", content_type="audio/mpeg", length=self.episode(index).size
            )
        if path == "/":
            return Response(200, "other", self.listing_page(1))
        if path == "/robots.txt":
            return Response(200, "other", b"User-agent: *\nDisallow: /admin/\n", TEXT)
        return _not_found("other")


# --- the blog -----------------------------------------------------------------------------


class BlogSite(_Show):
    """A WordPress blog, "Field Notes Radio", whose posts embed their audio."""

    name = "Field Notes Radio"
    page_size = 8

    def __init__(self, episodes: int, seed: int = 0) -> None:
        super().__init__(episodes, seed)
        self._paths: dict[str, int] = {}

    def has_audio(self, index: int) -> bool:
        return index % 9 != 4  # every ninth post is an announcement without audio

    def episode(self, index: int) -> ShowEpisode:
        published = datetime(2015, 6, 3, 9, 30, tzinfo=_CEST) + timedelta(
            days=10 * (index - 1), minutes=(index * 37) % 300
        )
        if self.has_audio(index):
            title = self._title(index)
        else:
            title = f"Show Update: {self._pick(index, 4, _WORDS)} Season Break"
        slug = _slug(title)
        duration = self._duration(index)
        audio = (
            f"/wp-content/uploads/{published:%Y/%m}/fnr-{index:03d}-{slug[:20]}.mp3"
            if self.has_audio(index)
            else None
        )
        return ShowEpisode(
            index=index,
            title=title,
            path=f"/{published:%Y/%m/%d}/{slug}/",
            published=published,
            duration=duration,
            audio_path=audio,
            size=duration * 12_000,
            summary=f"We went looking for {self._pick(index, 2, _WORDS).lower()} "
            f"and found {self._pick(index, 3, _WORDS).lower()} instead.",
        )

    def _head(self, title: str, extra: str, rel: str) -> str:
        return (
            '<!doctype html>\n<html lang="en-GB">\n<head>\n<meta charset="UTF-8">\n'
            f"<title>{_esc(title)} &#8211; {self.name}</title>\n"
            "<meta name='robots' content='max-image-preview:large' />\n"
            f"{extra}{rel}"
            f'<link rel="alternate" type="application/rss+xml" title="{self.name} &raquo; Feed" '
            f'href="{self.origin}/feed/" />\n'
            "<link rel='stylesheet' id='twentytwentyone-style-css' "
            "href='/wp-content/themes/twentytwentyone/style.css?ver=2.1' media='all' />\n"
            '<script id="wp-emoji">window._wpemojiSettings={"baseUrl":"https:\\/\\/s.w.org'
            '\\/images\\/core\\/emoji\\/15.0.3\\/72x72\\/"};</script>\n'
            '</head>\n<body class="home blog wp-embed-responsive">\n'
            '<div id="page" class="site">\n<header id="masthead" class="site-header">\n'
            f'<p class="site-title"><a href="{self.origin}/" rel="home">{self.name}</a></p>\n'
            '<p class="site-description">Stories recorded outdoors</p>\n'
            '<nav id="site-navigation" class="primary-navigation"><ul id="primary-menu-list">'
            f'<li><a href="{self.origin}/about/">About</a></li>'
            f'<li><a href="{self.origin}/category/episodes/">Episodes</a></li>'
            f'<li><a href="{self.origin}/contact/">Contact</a></li></ul></nav>\n</header>\n'
        )

    def _foot(self) -> str:
        return (
            '<aside class="widget-area"><section class="widget widget_recent_comments">'
            '<h2 class="widget-title">Recent Comments</h2><ul><li>Ana on '
            f'<a href="{self.origin}/about/#comment-12">About</a></li></ul></section></aside>\n'
            '<footer id="colophon" class="site-footer"><div class="powered-by">Proudly powered '
            'by <a href="https://wordpress.org/">WordPress</a>.</div></footer>\n</div>\n'
            "<script src='/wp-includes/js/wp-embed.min.js?ver=6.5' id='wp-embed-js'></script>\n"
            "</body>\n</html>\n"
        )

    def _page_url(self, page: int) -> str:
        return f"{self.origin}/" if page == 1 else f"{self.origin}/page/{page}/"

    def index_page(self, page: int) -> bytes:
        rel = ""
        if page > 1:
            rel += f'<link rel="prev" href="{self._page_url(page - 1)}" />\n'
        if page < self.pages:
            rel += f'<link rel="next" href="{self._page_url(page + 1)}" />\n'
        posts = []
        for index in self.newest_first(page):
            ep = self.episode(index)
            url = self.origin + ep.path
            posts.append(
                f'<article id="post-{1000 + index}" class="post-{1000 + index} post type-post '
                'status-publish format-standard hentry category-episodes entry">\n'
                '<header class="entry-header">\n'
                f'<h2 class="entry-title default-max-width"><a href="{url}">{_esc(ep.title)}</a>'
                "</h2>\n</header>\n"
                f'<div class="entry-content"><p>{_esc(ep.summary)} '
                f'<a class="more-link" href="{url}">Continue reading<span class="screen-reader-text">'
                f" &#8220;{_esc(ep.title)}&#8221;</span></a></p></div>\n"
                '<footer class="entry-footer default-max-width"><span class="posted-on">'
                f'Published <time class="entry-date published updated" '
                f'datetime="{ep.published.isoformat()}">{ep.published:%B} {ep.published.day}, '
                f"{ep.published:%Y}</time></span></footer>\n</article><!-- #post-{1000 + index} -->\n"
            )
        pager = ""
        if page < self.pages:
            pager += (
                f'<a class="next page-numbers" href="{self._page_url(page + 1)}">Older posts</a>'
            )
        if page > 1:
            pager += (
                f'<a class="prev page-numbers" href="{self._page_url(page - 1)}">Newer posts</a>'
            )
        return (
            self._head("Home" if page == 1 else f"Page {page}", "", rel)
            + '<div id="content" class="site-content"><main id="main" class="site-main">\n'
            + "".join(posts)
            + '<nav class="navigation pagination" aria-label="Posts"><div class="nav-links">'
            + f"{pager}</div></nav>\n</main></div>\n"
            + self._foot()
        ).encode()

    def post_page(self, index: int) -> bytes:
        ep = self.episode(index)
        url = self.origin + ep.path
        meta = (
            '<meta property="og:locale" content="en_GB" />\n'
            '<meta property="og:type" content="article" />\n'
            f'<meta property="og:title" content="{_esc(ep.title)}" />\n'
            f'<meta property="og:description" content="{_esc(ep.summary)}" />\n'
            f'<meta property="og:url" content="{url}" />\n'
            f'<meta property="og:site_name" content="{self.name}" />\n'
            f'<meta property="article:published_time" content="{ep.published.isoformat()}" />\n'
            f'<meta property="og:image" content="{self.origin}/wp-content/uploads/cover.jpg" />\n'
        )
        figure = ""
        if ep.audio_path is not None:
            figure = (
                '<figure class="wp-block-audio"><audio controls '
                f'src="{self.origin}{ep.audio_path}"></audio>'
                f"<figcaption>Running time {_clock(ep.duration)}</figcaption></figure>\n"
            )
        return (
            self._head(ep.title, meta, "")
            + '<main id="main" class="site-main">\n'
            + f'<article id="post-{1000 + index}" class="post type-post single">\n'
            + '<header class="entry-header alignwide">'
            + f'<h1 class="entry-title">{_esc(ep.title)}</h1></header>\n'
            + '<div class="entry-content">\n'
            + figure
            + f"<p>{_esc(ep.summary)}</p>\n<!-- wp:paragraph -->\n"
            + "<p>Thanks for listening. Write to us at "
            + '<a href="mailto:hello@fieldnotes.example">hello@fieldnotes.example</a>.</p>\n'
            + "<!-- /wp:paragraph -->\n</div>\n"
            + '<footer class="entry-footer"><span class="posted-on">Posted on '
            + f'<time class="entry-date published" datetime="{ep.published.isoformat()}">'
            + f"{ep.published:%d/%m/%Y}</time></span></footer>\n</article>\n</main>\n"
            + self._foot()
        ).encode()

    def sitemap_index(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"<sitemap><loc>{self.origin}/post-sitemap.xml</loc></sitemap>\n"
            f"<sitemap><loc>{self.origin}/page-sitemap.xml</loc></sitemap>\n"
            "</sitemapindex>\n"
        ).encode()

    def sitemap(self, name: str) -> bytes:
        if name == "page":
            entries = [f"{self.origin}/about/", f"{self.origin}/contact/"]
            rows = "".join(f"<url><loc>{loc}</loc></url>\n" for loc in entries)
        else:
            rows = "".join(
                f"<url><loc>{self.origin}{ep.path}</loc>"
                f"<lastmod>{ep.published.isoformat()}</lastmod></url>\n"
                for ep in map(self.episode, range(self.episodes, 0, -1))
            )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{rows}</urlset>\n"
        ).encode()

    def _post_index(self, path: str) -> int | None:
        if len(self._paths) != self.episodes:  # built on first use (and if episodes change)
            self._paths = {self.episode(i).path: i for i in range(1, self.episodes + 1)}
        return self._paths.get(path if path.endswith("/") else path + "/")

    _PAGE = re.compile(r"/page/(?P<n>\d+)/?")
    _POST = re.compile(r"/\d{4}/\d{2}/\d{2}/[a-z0-9-]+/?")
    _MEDIA = re.compile(r"/wp-content/uploads/\d{4}/\d{2}/fnr-(?P<n>\d{3})-[a-z0-9-]*\.mp3")

    def classify(self, target: str) -> Kind:
        path = urlsplit(target).path
        if path == "/" or self._PAGE.fullmatch(path) or path.endswith(".xml"):
            return "listing"
        if self._POST.fullmatch(path):
            return "episode"
        if self._MEDIA.fullmatch(path):
            return "media"
        return "other"

    def respond(self, target: str) -> Response:
        path = urlsplit(target).path
        if path == "/":
            return Response(200, "listing", self.index_page(1))
        if m := self._PAGE.fullmatch(path):
            page = int(m["n"])
            if page == 1:
                return _redirect("listing", self.origin + "/")
            if not 1 < page <= self.pages:
                return _not_found("listing")
            return Response(200, "listing", self.index_page(page))
        if path == "/sitemap.xml":
            return Response(200, "listing", self.sitemap_index(), XML)
        if path in ("/post-sitemap.xml", "/page-sitemap.xml"):
            return Response(200, "listing", self.sitemap(path[1:5]), XML)
        if self._POST.fullmatch(path):
            index = self._post_index(path)
            if index is None:
                return _not_found("episode")
            return Response(200, "episode", self.post_page(index))
        if m := self._MEDIA.fullmatch(path):
            index = int(m["n"])
            ep = self.episode(index) if 1 <= index <= self.episodes else None
            if ep is None or ep.audio_path != path:
                return _not_found("media")
            return Response(200, "media", content_type="audio/mpeg", length=ep.size)
        if path == "/robots.txt":
            body = f"User-agent: *\nDisallow: /wp-admin/\n\nSitemap: {self.origin}/sitemap.xml\n"
            return Response(200, "other", body.encode(), TEXT)
        return _not_found("other")


TEXT: Final = "text/plain; charset=utf-8"
XML: Final = "application/xml; charset=utf-8"


def _not_found(kind: Kind) -> Response:
    return Response(404, kind, b"<!doctype html><title>Page not found</title><h1>Not Found</h1>")


def _redirect(kind: Kind, location: str) -> Response:
    body = f'<!doctype html><title>Moved</title><a href="{_esc(location)}">Moved</a>'
    return Response(301, kind, body.encode(), HTML, headers=(("Location", location),))
