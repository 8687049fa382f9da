"""narrow(): only the parts a parser needs, in document order, or None when unsure."""

from __future__ import annotations

import pytest

from planetrss.sites.narrow import Narrowing, classes, narrow

STORY = Narrowing(
    keep=("storytext", "storytitle"),
    keep_tags=frozenset({"div"}),
    cut=("bucketwrap",),
    cut_tags=frozenset({"div"}),
    cut_if=lambda name, tag: "bucketwrap" in classes(tag),
    protect=("audio",),
    metas=("og:title",),
    scripts=("npr-vars",),
)

PAGE = (
    "<html><head><title>x</title>"
    '<meta property="og:title" content="T"><meta name="robots" content="all">'
    '<script id="npr-vars">var a = "<div class=storytext>";</script><script>other()</script>'
    "</head><body><header><div class='nav'>menu</div></header>"
    '<div class="storytitle"><h1>T</h1></div>'
    '<!-- <div class="storytext"> in a comment is no tag -->'
    '<div id="storytext"><div class="bucketwrap image"><img src="a.jpg"></div>'
    "<p>Notes</p><div class='bucketwrap audio'><div data-audio='{}'></div></div></div>"
    "<footer>bye</footer></body></html>"
)


def test_keeps_what_is_named_whole_and_in_order() -> None:
    assert narrow(PAGE, STORY) == (
        '<meta property="og:title" content="T">'
        '<script id="npr-vars">var a = "<div class=storytext>";</script>'
        '<div class="storytitle"><h1>T</h1></div>'
        '<div id="storytext"><p>Notes</p>'  # the image bucket cut, the audio one protected
        "<div class='bucketwrap audio'><div data-audio='{}'></div></div></div>"
    )


def test_a_quoted_angle_bracket_does_not_end_a_tag() -> None:
    page = '<div title="a > b" class="storytext"><p>x</p></div>'
    assert narrow(page, STORY) == page


def test_a_word_in_text_is_no_tag() -> None:
    assert narrow("<p>the storytext of it</p>", STORY) is None  # nothing kept


@pytest.mark.parametrize(
    "page",
    [
        '<div class="storytext"><!-- never closed </div>',  # an unclosed comment
        '<div class="storytext"><script>never closed</div>',  # an unclosed script
        '<div class="storytext"/><p>x</p>',  # "<div/>": parsers disagree
        '<div class="storytext"><div>never closed</div>',  # unbalanced
        'text<div class="storytext">x</div>',  # not at a tag boundary
        "<div class='storytext'><b data-html='</div>'>x</b></div>",  # a tag in a value
    ],
)
def test_unsure_markup_gives_none(page: str) -> None:
    assert narrow(page, STORY) is None


def test_an_li_inside_an_li_is_unsure() -> None:
    how = Narrowing(keep=("transcript",), keep_tags=frozenset({"li"}))
    assert narrow("<ul><li class='transcript'><a>t</a></li></ul>", how) == (
        "<li class='transcript'><a>t</a></li>"
    )
    assert narrow("<ul><li class='transcript'><li>next</li></li></ul>", how) is None


def test_an_uncertain_cut_is_kept_rather_than_guessed() -> None:
    page = "<div class='storytext'><div class='bucketwrap'><div>unclosed</div></div>"
    assert narrow(page, STORY) is None  # the kept element itself is unbalanced
    page = "<div class='storytext'><p>x<div class='bucketwrap'>img</div>y</p></div>"
    assert narrow(page, STORY) == page  # right after text: maybe no tag, so left in


def test_classes() -> None:
    assert classes('<div id="x" class="a  b">') == ["a", "b"]
    assert classes("<div class='a'>") == ["a"]
    assert classes("<div class=a>") == ["a"]
    assert classes("<div>") == []


def test_a_tag_left_open_by_a_stray_quote_does_not_hang() -> None:
    # Found by the hostile-bytes property test: a quote dropped into a page left a start
    # tag without its end, and the start-tag pattern backtracked exponentially on it
    # (this page took longer than 15 s with the old pattern; now it is refused at once).
    page = "<div class=storytext" + " a=b" * 40 + ' "never closed'
    assert narrow(page, STORY) is None
