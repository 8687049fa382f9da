"""Page chrome for the demo site: the navigation, scripts and footer every NPR page carries.

Built once at import (a few kilobytes of constant text), so padding a page to a realistic
size costs a slice and a join, never a render. Nothing here depends on an episode.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Final

_SECTIONS: Final = (
    ("news", "News", ("us", "world", "politics", "business", "technology", "science", "health")),
    ("arts", "Arts &amp; Life", ("books", "movies", "pop-culture", "food", "art-design")),
    ("music", "Music", ("tiny-desk", "music-news", "new-music", "music-videos")),
    ("podcasts", "Podcasts &amp; Shows", ("daily", "morning-edition", "planet-money", "indicator")),
    ("about", "About NPR", ("overview", "diversity", "ethics", "finances", "careers", "press")),
)


def _nav(css: str) -> str:
    parts = [f'<nav class="{css}" aria-label="main navigation"><ul class="top-level-list">\n']
    for key, label, subs in _SECTIONS:
        parts.append(
            f'  <li class="{key} has-subnav"><a href="/sections/{key}/" '
            f'data-metrics-action="click {key}">{label}</a>\n    <ul class="subnav">\n'
        )
        for sub in subs:
            name = sub.replace("-", " ").title()
            parts.append(
                f'      <li><a href="/sections/{sub}/" data-metrics-action="click {sub}">'
                f"{name}</a></li>\n"
            )
        parts.append("    </ul>\n  </li>\n")
    parts.append("</ul></nav>\n")
    return "".join(parts)


HEAD_META: Final = (
    '<meta charset="utf-8" /><meta name="robots" content="noarchive,index,follow" />'
    '<meta name="Rating" content="General" /><meta name="viewport" content="width=device-width, '
    'initial-scale=1, minimum-scale=1, maximum-scale=1, user-scalable=no, shrink-to-fit=no" />'
    '<meta name="npr-pjax" />'
)

HEAD_TAIL: Final = (
    '<meta property="og:site_name" content="NPR.org" /><meta property="fb:app_id" '
    'content="138837436154588" /><meta name="twitter:card" content="summary_large_image" />'
    '<meta name="twitter:site" content="@NPR" /><meta name="twitter:domain" content="npr.org" />'
)

SERVER_CONSTANTS: Final = (
    'NPR.ServerConstants = {"cbHost":"npr.org","webHost":"https:\\/\\/www.npr.org",'
    '"embedHost":"https:\\/\\/www.npr.org","apiHost":"https:\\/\\/api.npr.org",'
    '"staticAssetHost":"https:\\/\\/s.npr.org","serverMediaCache":"https:\\/\\/media.npr.org"};'
)

HEAD_SCRIPTS: Final = (
    '<script type="text/javascript" src="https://s.npr.org/templates/javascript/lib/modernizr/'
    'modernizr.custom.js"></script>\n<script>\n   !function(e){function c(a){if(d[a])return '
    "d[a].exports;var f=d[a]={exports:{},id:a,loaded:!1};return e[a].call(f.exports,f,f.exports,c),"
    'f.loaded=!0,f.exports}var d={};c.m=e,c.c=d,c.p="/templates/javascript/dist/bundles/"}([]);\n'
    '</script>\n<link rel="stylesheet" media="screen, print" href="https://s.npr.org/templates/'
    'javascript/dist/bundles/persistent-css-5202845aa7411b821b01.css" /><link rel="stylesheet" '
    'media="screen, print" href="https://s.npr.org/templates/javascript/dist/bundles/'
    'newsStory-css-5202845aa7411b821b01.css" />'
)

HEADER: Final = (
    '<div class="skip-links">\n  <h2>Accessibility links</h2>\n  <ul>\n'
    '    <li><a href="#mainContent" class="skiplink">Skip to main content</a></li>\n'
    "  </ul>\n</div>\n"
    '<!--googleoff: index--><header id="globalheader" class="globalheader" aria-label="NPR header">'
    '<div class="globalheader-inner">\n  <div class="lead">\n'
    '    <a href="/" class="nprhome nprhome-news"><img src="//media.npr.org/chrome_svg/'
    'npr-logo-color.svg" alt="NPR logo"/><h2 class="ecosystem-name">NPR</h2></a>\n'
    '    <div class="search-wrapper"><form action="/search/index.php" method="get" '
    'name="searchForm" id="searchForm" class="search" role="search" aria-label="Search NPR">'
    '<label for="searchinput">Search</label><input type="search" name="searchinput" '
    'id="searchinput" class="textbox searchbox"/></form></div>\n  </div>\n'
    + _nav("global-navigation")
    + "</div></header>"
)

BRANDING: Final = (
    '<header class="contentheader contentheader--one"><div class="branding branding--custom">\n'
    '  <a href="/sections/money/"><img src="https://media.npr.org/branding/sections/money/'
    'branding_icon-61dc9689588f3c46862843030c463f76a8f7514c.png" class="branding__image-icon" '
    'alt="Planet Money" /><div class="branding__inner">\n'
    '  <h2 class="branding__title branding__title--custom-text">Planet <b>Money</b></h2>\n'
    '  <b class="branding__mini-teaser">The Economy Explained</b>\n</div></a>\n</div></header>\n'
    '<div class="subnav-tools-wrap"><div id="subNavigation" class="agglocation" role="navigation" '
    'aria-label="sub-navigation"><ul class="subtopics">\n'
    '  <li><a href="/podcasts/510289/planet-money/">Subscribe to Podcast</a></li>\n'
    '  <li><a href="/sections/money/2011/04/27/135599807/about-planet-money">About</a></li>\n'
    '  <li><a href="/sections/money/135511603/radio">Radio</a></li>\n'
    "</ul></div></div>\n"
)

FOOTER: Final = (
    '<footer id="nprfooter" class="nprfooter" role="contentinfo" aria-label="NPR footer">'
    '<div class="footer-wrapper">\n<div class="primary" data-metrics-category="Global Footer">\n'
    + _nav("footer-navigation")
    + '</div>\n<div class="secondary">\n  <p class="copyright"><span class="copy-year"></span></p>'
    '\n  <ul>\n    <li><a href="https://help.npr.org">Help</a></li>\n'
    '    <li><a href="/about-npr/179876898/terms-of-use">Terms of Use</a></li>\n'
    '    <li><a href="/about-npr/179878450/privacy-policy">Privacy</a></li>\n'
    '    <li><a href="https://text.npr.org/">Text-Only</a></li>\n  </ul>\n</div>\n</div></footer>'
    '<script type="text/javascript">\n   (function () {\n    var loadPageJs = function () { '
    "webpackJsonp([71,22],{0:function(n,t,c){n.exports=c(1274)}}); };\n"
    "    if (document.readyState === 'complete') { loadPageJs(); }\n"
    "    else { window.addEventListener('load', loadPageJs); }\n})();\n</script>"
)

#: Opens and closes the padding block: an inert data script (NPR pages carry large
#: inline bundles), so a slice of the filler cut anywhere is still well-formed HTML.
FILLER_OPEN: Final = b'<script type="text/x-npr-bundle-manifest" id="bundle-manifest">\n'
FILLER_CLOSE: Final = b"\n</script>"


@lru_cache(maxsize=8)
def filler(size: int) -> bytes:
    """`size` bytes of deterministic bundle-manifest text (ASCII, no `<`), made once per size.

    Example: `filler(100)[:8] == b'{"chunk"'`.
    """
    lines: list[bytes] = []
    total = 0
    n = 0
    while total < size:
        digest = hashlib.sha1(f"npr-bundle-{n}".encode()).hexdigest()
        line = (
            f'{{"chunk":{n},"name":"bundle-{digest[:8]}","hash":"{digest}",'
            f'"deps":[{n % 97},{n % 89},{n % 83}],"async":{str(n % 3 == 0).lower()}}},\n'
        ).encode()
        lines.append(line)
        total += len(line)
        n += 1
    return b"".join(lines)[:size]
