"""HTML helpers on a parsed page (beautifulsoup4), shared by the kinds' parse modules.

Only parse modules import this (it imports bs4): a kind's class module stays free of it.
"""

from __future__ import annotations

from bs4 import BeautifulSoup
from bs4.element import Comment, NavigableString, Tag

from planetrss.sites.extract import (
    JsonLd,
    absolute_url,
    attr_text,
    load_json,
    meta_contents,
    strip_controls,
)


class Tags:
    """The tags under `root` by name, in document order, from one walk of the tree.

    For a parse that looks up several elements in a small tree: each of Beautiful
    Soup's `find` calls walks the whole tree through its matching rules (~25 µs on a
    narrowed npr.org episode page), a lookup here is a list in a dict. It is a snapshot:
    take it before the tree is changed. (Not even `tag.decomposed` is asked: on a Tag,
    an attribute it lacks is a search of its subtree, ~10 µs.)

        tags = Tags(soup)
        title = tags.first("div", class_="storytitle")   # soup.find("div", class_=...)
        links = tags.all("a", has="href")                 # soup.find_all("a", href=True)
    """

    def __init__(self, root: Tag) -> None:
        self._by_name: dict[str, list[Tag]] = {}
        for node in root.descendants:
            if isinstance(node, Tag):
                self._by_name.setdefault(node.name, []).append(node)

    def all(
        self,
        name: str,
        *,
        class_: str | None = None,
        id: str | None = None,
        has: str | None = None,
    ) -> list[Tag]:
        """The `name` tags with the class token `class_`, the id `id` and an attribute
        `has` (any value, empty too), each where given."""
        return [
            tag
            for tag in self._by_name.get(name, ())
            if (class_ is None or class_ in tag.get_attribute_list("class"))
            and (id is None or tag.get("id") == id)
            and (has is None or tag.get(has) is not None)
        ]

    def first(
        self,
        name: str,
        *,
        class_: str | None = None,
        id: str | None = None,
        has: str | None = None,
    ) -> Tag | None:
        found = self.all(name, class_=class_, id=id, has=has)
        return found[0] if found else None


def soup_of(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "lxml")


def metas(soup: BeautifulSoup) -> dict[str, str]:
    """``<meta>`` contents by lowercased property or name, then itemprop; the first wins."""
    tags = [tag.attrs for tag in soup.find_all("meta")]
    found = meta_contents(tags)
    for key, value in meta_contents(
        {"name": tag.get("itemprop"), "content": tag.get("content")} for tag in tags
    ).items():
        found.setdefault(key, value)
    return found


def attr(tag: Tag | None, name: str) -> str | None:
    """An attribute as one string (bs4 gives lists for class-like ones), or None."""
    return attr_text(tag.get(name)) if tag is not None else None


def json_ld(soup: BeautifulSoup) -> JsonLd:
    documents = []
    for script in soup.find_all("script"):
        kind = (attr(script, "type") or "").lower()
        if kind == "application/ld+json" and script.string:
            documents.append(load_json(script.string))
    return JsonLd(documents)


_NOT_NOTES = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "form",
    "button",
    "input",
    "nav",
    "header",
    "footer",
    "aside",
    "audio",
    "video",
    "svg",
    "h1",
)


def inner_html(body: Tag, base: str) -> str:
    """A copy of `body`'s content as HTML: scripts, chrome and comments out, URLs absolute."""
    body = BeautifulSoup(body.decode_contents(), "lxml").body or body
    for element in body.find_all(list(_NOT_NOTES)):
        if not element.decomposed:
            element.decompose()
    for comment in body.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    for tag in body.find_all(["a", "img"]):
        name = "href" if tag.name == "a" else "src"
        value = attr(tag, name)
        if value and not value.startswith("#"):
            tag[name] = absolute_url(base, value) or value
    return children_html(body)


def children_html(body: Tag) -> str:
    """`body`'s children as HTML: whitespace between blocks becomes one newline, and
    the characters XML forbids are dropped."""
    parts: list[str] = []
    for child in body.children:
        if isinstance(child, Tag):
            parts.append(child.decode())
        elif isinstance(child, NavigableString):
            if child.strip():
                parts.append(child.output_ready())
            elif parts and parts[-1] != "\n":
                parts.append("\n")
    return strip_controls("".join(parts)).strip()
