"""`planetrss serve` over real HTTP on 127.0.0.1: what feed readers and people get."""

from __future__ import annotations

import gzip
import hashlib
import urllib.request
from collections.abc import Iterator
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from xml.etree import ElementTree

import feedparser
import podcastparser
import pytest

from planetrss.demo.server import DemoServer
from planetrss.demo.site import DemoSite
from planetrss.serve import FeedServer, accepts_gzip
from planetrss.standards import podcast_guid
from tests.serve.conftest import (
    EPISODES,
    TOKEN,
    Running,
    built,
    demo_feed,
    fetch,
    serve_options,
)


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("serve")
    with DemoServer(DemoSite(episodes=EPISODES, page_bytes=20_000)) as demo:
        feeds = [
            demo_feed(demo.origin, folder, "demo"),
            demo_feed(demo.origin, folder, "secret", token=TOKEN),
        ]
        server = FeedServer(feeds, serve_options(folder / "cache", refresh=3600))
        with Running(server) as running:
            running.wait_for(lambda: built(running, "demo") and built(running, "secret"))
            yield running


def test_a_feed_is_served_with_validators_and_cache_headers(running: Running) -> None:
    answer = fetch(running.base, "/demo.xml")
    file = running.server.feeds["demo"].config.output.read_bytes()
    assert answer.status == 200
    assert answer.body == file
    assert answer.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert "content-encoding" not in answer.headers
    assert answer.headers["etag"] == f'"{hashlib.sha256(file).hexdigest()[:32]}"'  # strong
    assert answer.headers["vary"] == "Accept-Encoding"
    modified = parsedate_to_datetime(answer.headers["last-modified"]).timestamp()
    assert modified == int(running.server.feeds["demo"].config.output.stat().st_mtime)
    # The next rebuild is an hour away: caches may keep it about that long.
    visibility, max_age = answer.headers["cache-control"].split(", max-age=")
    assert visibility == "public" and 3000 < int(max_age) <= 3600


def test_if_none_match_and_if_modified_since_give_304(running: Running) -> None:
    first = fetch(running.base, "/demo.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]

    by_etag = fetch(running.base, "/demo.xml", If_None_Match=etag)
    assert by_etag.status == 304 and by_etag.body == b""
    assert by_etag.headers["etag"] == etag and by_etag.headers["last-modified"] == modified
    assert fetch(running.base, "/demo.xml", If_None_Match=f'"other", W/{etag}').status == 304

    by_date = fetch(running.base, "/demo.xml", If_Modified_Since=modified)
    assert by_date.status == 304 and by_date.body == b""
    earlier = formatdate(parsedate_to_datetime(modified).timestamp() - 1, usegmt=True)
    assert fetch(running.base, "/demo.xml", If_Modified_Since=earlier).status == 200
    # An ETag that does not match wins over a date that does (RFC 9110, 13.2.2).
    stale = fetch(running.base, "/demo.xml", If_None_Match='"stale"', If_Modified_Since=modified)
    assert stale.status == 200 and stale.body == first.body
    assert fetch(running.base, "/demo.xml", If_Modified_Since="yesterday").status == 200


def test_gzip_only_when_asked_with_its_own_etag(running: Running) -> None:
    plain = fetch(running.base, "/demo.xml")
    packed = fetch(running.base, "/demo.xml", Accept_Encoding="gzip, deflate")
    assert packed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body) / 3
    assert packed.headers["etag"] != plain.headers["etag"]
    assert packed.headers["vary"] == "Accept-Encoding"
    # Apache's mod_deflate bug: a client revalidating with the gzip ETag must get its 304.
    again = fetch(
        running.base, "/demo.xml", Accept_Encoding="gzip", If_None_Match=packed.headers["etag"]
    )
    assert again.status == 304 and again.headers["etag"] == packed.headers["etag"]
    refused = fetch(running.base, "/demo.xml", Accept_Encoding="gzip;q=0, identity")
    assert "content-encoding" not in refused.headers and refused.body == plain.body


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("deflate, br", False),
        ("gzip;q=0", False),
        ("*", True),
        ("*;q=0", False),
        ("br, *", True),
        ("", False),
        ("identity", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_with_its_qualities(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_head_gives_the_headers_of_get_without_a_body(running: Running) -> None:
    for encoding in ("identity", "gzip"):
        get = fetch(running.base, "/demo.xml", Accept_Encoding=encoding)
        head = fetch(running.base, "/demo.xml", "HEAD", Accept_Encoding=encoding)
        assert head.status == 200 and head.body == b""
        for name in ("etag", "last-modified", "content-type", "content-length", "vary"):
            assert head.headers[name] == get.headers[name], name
        assert int(head.headers["content-length"]) == len(get.body)


def test_a_private_feed_needs_its_token_and_is_listed_nowhere(running: Running) -> None:
    assert fetch(running.base, "/secret.xml").status == 404
    assert fetch(running.base, "/secret.xml?token=wrong-token-0123456789").status == 404
    assert fetch(running.base, f"/secret.xml?token={TOKEN}x").status == 404
    assert fetch(running.base, "/secret.xml").body == fetch(running.base, "/nothing.xml").body
    answer = fetch(running.base, f"/secret.xml?token={TOKEN}")
    assert answer.status == 200 and b"<item>" in answer.body
    assert answer.headers["cache-control"].startswith("private,")
    for page in ("/", "/feeds.opml", "/healthz"):
        assert b"secret" not in fetch(running.base, page).body, page
    assert TOKEN.encode() not in answer.body  # the feed itself does not give it away


@pytest.mark.parametrize(
    "target",
    [
        "/../feeds/demo.toml",
        "/..%2f..%2fetc%2fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/demo.toml",
        "/demo.xml/..",
        "/demo.xml/../../etc/passwd",
        "/cache/demo/lock",
        "/secret.xml.tmp",
        "/.demo.xml.tmp",
        "//etc/passwd",
        "/feeds/",
        "/static/",
        "/demo",
        "/demo.xml%00.txt",
    ],
)
def test_nothing_but_feeds_is_served(running: Running, target: str) -> None:
    answer = fetch(running.base, target)
    assert answer.status == 404, target
    assert b"root:" not in answer.body and b"site =" not in answer.body


def test_requests_with_a_body_or_another_method_are_refused(running: Running) -> None:
    assert fetch(running.base, "/demo.xml", "POST").status == 405
    assert fetch(running.base, "/demo.xml", "DELETE").status == 405
    answer = fetch(running.base, "/demo.xml", "GET", Content_Length="5")
    assert answer.status == 413
    # h11 bounds what it buffers of an unfinished head (16 KB here); 200 KB never finishes.
    # The server answers 400 and hangs up while the client is still sending: a reset.
    try:
        status = fetch(running.base, "/demo.xml", X_Padding="x" * 200_000).status
    except ConnectionError:
        status = 400
    assert status in (400, 431)
    assert fetch(running.base, "/demo.xml").status == 200  # and it goes on serving


def test_the_index_lists_each_public_feed_with_its_builds(running: Running) -> None:
    answer = fetch(running.base, "/")
    page = answer.body.decode()
    feed = running.server.feeds["demo"]
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    assert "<script" not in page
    assert "Planet Demo" in page
    assert f'<td class="n">{feed.snapshot.items if feed.snapshot else -1}</td>' in page
    assert feed.snapshot is not None and feed.snapshot.items > 0
    assert f'<a class="url" href="{running.base}demo.xml">{running.base}demo.xml</a>' in page
    assert '<span class="ok">ok</span>' in page and f": {feed.snapshot.items} new" in page
    assert "(in 59 min)" in page or "(in 1 h)" in page  # the next refresh, an hour away
    assert f'href="{running.base}feeds.opml"' in page


def test_the_opml_lists_the_public_feeds(running: Running) -> None:
    answer = fetch(running.base, "/feeds.opml")
    assert answer.headers["content-type"] == "text/x-opml; charset=utf-8"
    root = ElementTree.fromstring(answer.body)
    assert root.tag == "opml" and root.get("version") == "2.0"
    outlines = root.findall("./body/outline")
    assert [(o.get("type"), o.get("text"), o.get("xmlUrl")) for o in outlines] == [
        ("rss", "Planet Demo", f"{running.base}demo.xml")
    ]
    # Each URL in it is a feed this server answers.
    assert fetch(running.base, "/" + outlines[0].get("xmlUrl", "").rsplit("/", 1)[1]).status == 200


def test_health_is_ok_when_every_build_succeeded(running: Running) -> None:
    answer = fetch(running.base, "/healthz")
    assert answer.status == 200 and answer.body == b"ok: 2 feeds\n"


def test_podcast_clients_subscribe_over_http(running: Running) -> None:
    url = f"{running.base}demo.xml"
    parsed = feedparser.parse(url)
    assert parsed.status == 200 and not parsed.bozo
    assert len(parsed.entries) == running.server.feeds["demo"].snapshot.items  # type: ignore[union-attr]
    assert parsed.feed.links[0].href  # the channel's own link
    again = feedparser.parse(url, etag=parsed.etag, modified=parsed.modified)
    assert again.status == 304 and again.entries == []

    with urllib.request.urlopen(url) as stream:
        podcast = podcastparser.parse(url, stream)
    assert podcast["title"] == "Planet Demo"
    assert len(podcast["episodes"]) == len(parsed.entries)
    assert all(e["enclosures"][0]["file_size"] > 0 for e in podcast["episodes"])


def test_public_url_makes_atom_self_and_podcast_guid_right(
    tmp_path: Path, demo: DemoServer
) -> None:
    public = "https://feeds.example.org/podcasts/"
    server = FeedServer(
        [demo_feed(demo.origin, tmp_path, "demo")],
        serve_options(tmp_path / "cache", public_url=public),
    )
    with Running(server) as running:
        running.wait_for(lambda: built(running))
        assert running.base == public
        body = fetch(f"http://127.0.0.1:{server._socket.getsockname()[1]}", "/demo.xml").body  # type: ignore[union-attr]
        index = fetch(f"http://127.0.0.1:{server._socket.getsockname()[1]}", "/").body  # type: ignore[union-attr]
    url = "https://feeds.example.org/podcasts/demo.xml"
    assert f'<atom:link href="{url}" rel="self"'.encode() in body
    assert f"<podcast:guid>{podcast_guid(url)}</podcast:guid>".encode() in body
    assert f'href="{url}"'.encode() in index
