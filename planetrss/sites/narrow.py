"""Narrowing: the parts of an HTML page a parser needs, cut out of its text first.

Beautiful Soup spends ~10 µs in Python on every element the parser reports, even with a
strainer; an 82 KB npr.org episode page holds ~1,000 elements, of which a parse needs
~50 (the metas, the title, the audio module, the date, the show notes). `narrow()` finds
those by plain string search (in C) and hands the parser only them, in document order.

It is conservative: whenever the markup is not plain enough to be sure where a kept
element ends, it returns None and the caller parses the whole page, which costs time,
never data. The kept elements are whole subtrees, so a parse of the narrowed text reads
them exactly as a parse of the page would (the site tests on real pages hold this).

    EPISODE = Narrowing(keep=("storytext",), keep_tags=frozenset({"div"}))
    text = narrow(page, EPISODE) or page
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

# Comments and the elements whose content is text, not markup: a "<div" inside one of
# them is no tag. They are blanked out of the copy that tags are searched in.
_OPAQUE_START = re.compile(r"<!--|<(script|style|textarea|title|xmp)(?=[\s/>])")
_TAG_NAME = re.compile(r"<([a-z][a-z0-9]*)")
# A start tag, quotes respected: a ">" inside a quoted attribute value does not end it.
# Possessive: a plain `[^>"']+` inside `*` backtracks exponentially on a tag left open by
# a stray quote, and hung the worker; the alternatives start with distinct characters, so
# giving nothing back changes no match (and is faster than the plain form).
_START_TAG = re.compile(r"""<[a-z][a-z0-9]*(?:[^>"']++|"[^"]*"|'[^']*')*+>""")
_CLASS = re.compile(r"""\sclass\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_VOID = frozenset({"meta", "input", "img", "br", "hr", "link", "source", "wbr"})
# Elements an HTML parser closes by itself when another of its kind starts inside it.
_SELF_CLOSING_ON_NESTING = frozenset({"li", "p", "a", "option", "dt", "dd", "tr", "td", "th"})


@lru_cache(maxsize=64)
def _tags(name: str) -> re.Pattern[str]:
    return re.compile(rf"<(/?){name}(?=[\s/>])[^>]*>")


@lru_cache(maxsize=64)
def _quoted_tags(names: frozenset[str]) -> re.Pattern[str]:
    """An attribute value holding a start or end tag of one of `names` (it would fool
    the counting of those tags)."""
    alternatives = "|".join(sorted(names))
    return re.compile(rf"""=\s*(?:"[^"]*?</?(?:{alternatives})\b|'[^']*?</?(?:{alternatives})\b)""")


def classes(start_tag: str) -> list[str]:
    """The class tokens of a start tag: `classes('<div class="a b">') == ["a", "b"]`."""
    match = _CLASS.search(start_tag)
    return (match.group(1) or match.group(2) or match.group(3) or "").split() if match else []


@dataclass(frozen=True)
class Narrowing:
    """What to keep of a page, found by words (lowercase) in start tags.

    - keep: elements whose start tag holds one of these words (name in `keep_tags`, and
      `keep_if(start tag)` true when given: it sees the tag as written, case and all)
      are kept whole, but for what `cut` drops;
    - cut: inside kept elements, elements whose start tag holds one of these words (name
      in `cut_tags`, `cut_if(name, start tag)` true when given) are dropped, unless they
      hold one of the `protect` words (in their start tag or content);
    - metas: outside kept elements, <meta> tags holding one of these words are kept;
    - scripts: outside kept elements, <script> elements whose start tag holds one of
      these words are kept.

    Words may match more than needed (a parse then sees an element it ignores); they
    must never match less, since what is not kept is not parsed.
    """

    keep: tuple[str, ...]
    keep_tags: frozenset[str]
    keep_if: Callable[[str], bool] | None = None
    cut: tuple[str, ...] = ()
    cut_tags: frozenset[str] = frozenset()
    cut_if: Callable[[str, str], bool] | None = None
    protect: tuple[str, ...] = ()
    metas: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()


class _Unsure(Exception):
    """The markup is not plain enough to cut safely: parse the whole page."""


def narrow(text: str, how: Narrowing) -> str | None:
    """Only the parts of `text` that `how` keeps, in document order; None when unsure
    (or when nothing is kept): the caller then parses the whole page."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a few exotic characters change length when lowered
        return None
    try:
        masked, opaque = _masked(lowered)
        return _narrow(text, lowered, masked, opaque, how)
    except _Unsure:
        return None


def _narrow(
    text: str, lowered: str, masked: str, opaque: list[tuple[int, int, str]], how: Narrowing
) -> str | None:
    parts: list[tuple[int, int]] = []
    kept: list[tuple[int, int]] = []
    counted = how.keep_tags | how.cut_tags
    position = 0
    for start, tag_end, name in _start_tags(masked, how.keep, how.keep_tags):  # (words: lowercase)
        if start < position:
            continue  # inside an element already kept
        if how.keep_if is not None and not how.keep_if(text[start:tag_end]):
            continue
        end = _element_end(masked, name, start, tag_end)
        if _quoted_tags(counted).search(masked, start, end):
            raise _Unsure  # a "<div" in an attribute value would fool the counting
        kept.append((start, end))
        parts.extend(_without(text, masked, lowered, start, end, how))
        position = end
    if not kept:
        return None
    if how.metas:
        for start, end, _ in _start_tags(masked, ("<meta",), frozenset({"meta"})):
            tag = masked[start:end]
            if any(word in tag for word in how.metas) and not _inside(start, kept):
                parts.append((start, end))
    if how.scripts:
        for start, end, name in opaque:
            if name == "script" and not _inside(start, kept):
                tag = lowered[start : lowered.find(">", start) + 1]
                if any(word in tag for word in how.scripts):
                    _at_tag_boundary(masked, start)
                    parts.append((start, end))
    return "".join(text[a:b] for a, b in sorted(parts))


def _masked(lowered: str) -> tuple[str, list[tuple[int, int, str]]]:
    """`lowered` with comments and raw-text elements blanked; their spans and tag names
    ("" for comments). Unsure when one is not closed (its end is a parser's guess)."""
    spans: list[tuple[int, int, str]] = []
    pieces: list[str] = []
    position = 0
    while match := _OPAQUE_START.search(lowered, position):
        start, name = match.start(), match.group(1) or ""
        if not name:
            end = lowered.find("-->", start + 4)
            end = end + 3 if end >= 0 else -1
        else:
            close = lowered.find(f"</{name}", match.end())
            end = lowered.find(">", close) + 1 if close >= 0 else -1
        if end <= 0:
            raise _Unsure
        spans.append((start, end, name))
        pieces.append(lowered[position:start])
        pieces.append(" " * (end - start))
        position = end
    pieces.append(lowered[position:])
    return "".join(pieces), spans


def _at_tag_boundary(masked: str, start: int) -> None:
    """Unsure unless only whitespace separates `start` from the end of the previous tag
    (a "<div" right after text, or after an open quote, may be no tag at all)."""
    at = start - 1
    while at >= 0 and masked[at] in " \t\r\n":
        at -= 1
    if at >= 0 and masked[at] != ">":
        raise _Unsure


def _start_tags(
    masked: str,
    words: tuple[str, ...],
    names: frozenset[str],
    start: int = 0,
    end: int = -1,
    *,
    strict: bool = True,
) -> list[tuple[int, int, str]]:
    """(tag start, tag end, name) of the start tags named in `names` that hold one of
    `words`, in document order. One not at a tag boundary makes it unsure (`strict`)
    or is left out."""
    end = len(masked) if end < 0 else end
    found: dict[int, tuple[int, int, str]] = {}
    for word in words:
        hit = masked.find(word, start, end)
        while hit >= 0:
            at = masked.rfind("<", 0, hit + 1)
            if at >= start and at not in found:
                name = _TAG_NAME.match(masked, at)
                tag = _START_TAG.match(masked, at) if name else None
                if (
                    name is not None
                    and tag is not None
                    and tag.end() >= hit + len(word)  # the word is in the tag, not after it
                    and name.group(1) in names
                    and _boundary_or_lenient(masked, at, strict)
                ):
                    found[at] = (at, tag.end(), name.group(1))
            hit = masked.find(word, hit + len(word), end)
    return [found[at] for at in sorted(found)]


def _boundary_or_lenient(masked: str, at: int, strict: bool) -> bool:
    try:
        _at_tag_boundary(masked, at)
    except _Unsure:
        if strict:
            raise
        return False
    return True


def _element_end(masked: str, name: str, start: int, tag_end: int) -> int:
    """Where the element opened at `start` ends (just past its end tag); unsure when
    the tags do not nest plainly."""
    if name in _VOID:
        return tag_end
    depth = 0
    for match in _tags(name).finditer(masked, start):
        if match.group(1):
            depth -= 1
            if depth == 0:
                return match.end()
        else:
            if match.group(0).endswith("/>"):
                raise _Unsure  # "<div/>": parsers disagree on what it means
            if depth and name in _SELF_CLOSING_ON_NESTING:
                raise _Unsure  # an <li> inside an <li> closes it: not a plain nesting
            depth += 1
    raise _Unsure  # never closed: where it ends is the parser's guess


def _without(
    text: str, masked: str, lowered: str, start: int, end: int, how: Narrowing
) -> list[tuple[int, int]]:
    """[start, end) minus the elements `how` cuts in it, as a list of spans."""
    if not how.cut:
        return [(start, end)]
    spans: list[tuple[int, int]] = []
    kept = start
    cuts = _start_tags(masked, how.cut, how.cut_tags, start + 1, end, strict=False)
    for at, tag_end, name in cuts:
        if at < kept:
            continue  # inside an element already cut
        if how.cut_if is not None and not how.cut_if(name, text[at:tag_end]):
            continue
        try:
            stop = _element_end(masked, name, at, tag_end)
        except _Unsure:
            continue  # not sure where it ends: keep it
        if stop > end or any(lowered.find(word, at, stop) >= 0 for word in how.protect):
            continue
        spans.append((kept, at))
        kept = stop
    spans.append((kept, end))
    return spans


def _inside(at: int, regions: list[tuple[int, int]]) -> bool:
    return any(a <= at < b for a, b in regions)
