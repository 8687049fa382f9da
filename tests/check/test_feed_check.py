"""The feed linter: good.xml passes, one small edit of it breaks each rule, NPR's feed."""

from __future__ import annotations

import doctest
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree  # type: ignore[import-untyped, unused-ignore]

from planetrss import check
from planetrss.check import LEVELS, RULES, Finding, check_feed, findings_to_json
from planetrss.standards import podcast_guid

FEEDS = Path(__file__).parent / "feeds"
GOOD = (FEEDS / "good.xml").read_bytes()
NPR_FEED = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "fixtures"
    / "npr"
    / "official-feed-2020-11-29.xml"
)
NOW = datetime(2020, 11, 29, 12, 0, tzinfo=UTC)
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "atom": "http://www.w3.org/2005/Atom",
    "podcast": "https://podcastindex.org/namespace/1.0",
}

Edit = Callable[[bytes], bytes]


# --- edits of good.xml ---------------------------------------------------------------------


def text(old: str, new: str) -> Edit:
    """Replace a piece of good.xml's text that occurs exactly once."""

    def apply(data: bytes) -> bytes:
        source = data.decode()
        assert source.count(old) == 1, f"{old!r} must occur once in good.xml"
        return source.replace(old, new).encode()

    return apply


def _tree_edit(xpath: str, change: Callable[[etree._Element], None]) -> Edit:
    def apply(data: bytes) -> bytes:
        root = etree.fromstring(data)
        nodes = root.xpath(xpath, namespaces=NS)
        assert nodes, f"{xpath} matches nothing in good.xml"
        for node in nodes:
            change(node)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    return apply


def remove(xpath: str) -> Edit:
    """Remove every element the XPath matches."""
    return _tree_edit(xpath, lambda node: node.getparent().remove(node))


def set_text(xpath: str, value: str) -> Edit:
    """Set the text of every element the XPath matches."""

    def change(node: etree._Element) -> None:
        node.text = value

    return _tree_edit(xpath, change)


def set_attr(xpath: str, name: str, value: str | None) -> Edit:
    """Set (or, with None, delete) an attribute of every element the XPath matches."""

    def change(node: etree._Element) -> None:
        if value is None:
            del node.attrib[name]
        else:
            node.set(name, value)

    return _tree_edit(xpath, change)


def many_items(data: bytes) -> bytes:
    """Repeat item 3 (with fresh guids) until the feed has 2001 items."""
    source = data.decode()
    start = source.index("<item>\n      <title>Episode 653")
    end = source.index("</channel>")
    copies = [source[start:end].replace("543994381", f"543994381-{n}") for n in range(1999)]
    return (source[:start] + "".join(copies) + source[end:]).encode()


CHANNEL = "/rss/channel"
ITEM1, ITEM2, ITEM3 = (f"/rss/channel/item[{n}]" for n in (1, 2, 3))
ENCLOSURE1 = f"{ITEM1}/enclosure"

# (rule id, an edit of good.xml that must make exactly that rule fire)
BREAKS: list[tuple[str, Edit]] = [
    # the file
    ("xml-malformed", text("</channel>", "")),
    ("xml-malformed", text("Hot Dog Hail Mary", "Hot Dog \x01 Hail Mary")),
    ("html-not-feed", lambda _: b"<!DOCTYPE html><html><head><title>Show</title><body><p>Hi"),
    ("rss-root-invalid", text('<rss version="2.0"', '<rss version="0.91"')),
    ("rss-channel-count", text("</channel>", "</channel><channel><title>Two</title></channel>")),
    ("feed-too-large", many_items),
    ("feed-too-large", text("<lastBuildDate>", f"<!-- {'x' * 3_000_000} --><lastBuildDate>")),
    # the channel
    ("channel-title-missing", remove(f"{CHANNEL}/title")),
    ("channel-link-missing", remove(f"{CHANNEL}/link")),
    ("channel-link-is-feed", set_text(f"{CHANNEL}/link", "https://example.com/planetrss/feed.xml")),
    ("channel-description-missing", set_text(f"{CHANNEL}/description", "")),
    ("channel-description-too-long", set_text(f"{CHANNEL}/description", "é" * 2001)),
    ("channel-language-missing", remove(f"{CHANNEL}/language")),
    ("channel-language-invalid", set_text(f"{CHANNEL}/language", "English")),
    ("channel-atom-self-missing", remove(f"{CHANNEL}/atom:link")),
    ("channel-atom-self-invalid", set_attr(f"{CHANNEL}/atom:link", "type", "text/xml")),
    ("channel-image-missing", remove(f"{CHANNEL}/itunes:image")),
    (
        "channel-image-format",
        set_attr(f"{CHANNEL}/itunes:image", "href", "https://example.com/art/show.webp"),
    ),
    ("channel-category-missing", remove(f"{CHANNEL}/itunes:category")),
    ("channel-category-unknown", set_attr(f"{CHANNEL}/itunes:category[1]", "text", "Finance")),
    (
        "channel-category-misplaced",
        set_attr(f"{CHANNEL}/itunes:category[2]/itunes:category", "text", "Investing"),
    ),
    (
        "channel-category-misplaced",
        text('<itunes:category text="Business">', '<itunes:category text="Business News">'),
    ),
    ("channel-explicit-missing", remove(f"{CHANNEL}/itunes:explicit")),
    ("channel-explicit-invalid", set_text(f"{CHANNEL}/itunes:explicit", "clean")),
    ("channel-author-missing", remove(f"{CHANNEL}/itunes:author")),
    ("channel-owner-missing", remove(f"{CHANNEL}/itunes:owner/itunes:email")),
    ("channel-type-invalid", set_text(f"{CHANNEL}/itunes:type", "seasonal")),
    ("channel-items-unsorted", set_text(f"{ITEM3}/pubDate", "Sat, 28 Nov 2020 09:00:00 -0500")),
    ("podcast-guid-invalid", set_text(f"{CHANNEL}/podcast:guid", "example-money")),
    ("podcast-guid-mismatch", set_text(f"{CHANNEL}/podcast:guid", podcast_guid("podnews.net/rss"))),
    ("podcast-locked-invalid", set_text(f"{CHANNEL}/podcast:locked", "false")),
    (
        "podcast-url-not-https",
        set_attr(f"{CHANNEL}/podcast:funding", "url", "http://example.com/donate"),
    ),
    (
        "podcast-url-not-https",
        set_attr(f"{ITEM1}/podcast:transcript", "url", "http://example.com/874/transcript"),
    ),
    # each item
    ("item-title-missing", remove(f"{ITEM1}/title")),
    ("item-enclosure-missing", remove(f"{ITEM1}/enclosure")),
    (
        "item-enclosure-multiple",
        text(
            '<guid isPermaLink="false">example-money-939016028</guid>',
            '<guid isPermaLink="false">example-money-939016028</guid>'
            '<enclosure url="https://media.example.com/b.mp3" length="1" type="audio/mpeg"/>',
        ),
    ),
    ("item-enclosure-url-invalid", set_attr(ENCLOSURE1, "url", "/874.mp3")),
    (
        "item-enclosure-url-invalid",
        set_attr(ENCLOSURE1, "url", "https://media.example.com/8 4.mp3"),
    ),
    ("item-enclosure-length-missing", set_attr(ENCLOSURE1, "length", None)),
    ("item-enclosure-length-invalid", set_attr(ENCLOSURE1, "length", "19.8 MB")),
    ("item-enclosure-length-zero", set_attr(ENCLOSURE1, "length", "0")),
    ("item-enclosure-type-missing", set_attr(ENCLOSURE1, "type", None)),
    ("item-enclosure-type-invalid", set_attr(ENCLOSURE1, "type", "application/octet-stream")),
    ("item-enclosure-type-mismatch", set_attr(ENCLOSURE1, "type", "audio/mp4")),
    ("item-guid-missing", remove(f"{ITEM2}/guid")),
    ("item-guid-duplicate", set_text(f"{ITEM2}/guid", "example-money-939513137")),
    ("item-guid-ispermalink", set_attr(f"{ITEM1}/guid", "isPermaLink", None)),
    (
        "item-guid-ispermalink-spelling",
        text(
            '<guid isPermaLink="false">example-money-939016028',
            '<guid isPermalink="false">example-money-939016028',
        ),
    ),
    ("item-pubdate-missing", remove(f"{ITEM2}/pubDate")),
    ("item-pubdate-invalid", set_text(f"{ITEM1}/pubDate", "2020-11-27T17:00:26-05:00")),
    ("item-pubdate-invalid", set_text(f"{ITEM1}/pubDate", "Fri, 27 Nov 2020 17:00:26")),
    ("item-pubdate-invalid", set_text(f"{ITEM1}/pubDate", "Fry, 27 Nov 2020 17:00:26 -0500")),
    ("item-pubdate-weekday", set_text(f"{ITEM1}/pubDate", "Thu, 27 Nov 2020 17:00:26 -0500")),
    ("item-pubdate-future", set_text(f"{ITEM1}/pubDate", "Mon, 30 Nov 2020 09:00:00 -0500")),
    ("item-description-too-long", set_text(f"{ITEM1}/description", "x" * 4001)),
    ("item-duration-missing", remove(f"{ITEM3}/itunes:duration")),
    ("item-duration-invalid", set_text(f"{ITEM3}/itunes:duration", "23 minutes")),
    ("item-episode-invalid", set_text(f"{ITEM1}/itunes:episode", "0")),
    ("item-season-invalid", set_text(f"{ITEM1}/itunes:season", "three")),
    ("item-episode-type-invalid", set_text(f"{ITEM1}/itunes:episodeType", "episode")),
    ("item-explicit-invalid", set_text(f"{ITEM1}/itunes:explicit", "no")),
    ("item-transcript-invalid", set_attr(f"{ITEM1}/podcast:transcript", "type", None)),
]


def rules_of(findings: list[Finding]) -> set[str]:
    return {finding.rule for finding in findings}


def test_good_feed_has_no_findings() -> None:
    assert check_feed(GOOD, now=NOW) == []
    assert check_feed(GOOD) == []  # now defaults to the current time


def test_every_rule_has_a_failing_example() -> None:
    broken = {rule for rule, _ in BREAKS}
    assert set(RULES) - broken == set(), "rules without a failing example in BREAKS"
    assert broken - set(RULES) == set(), "BREAKS names rules that RULES does not have"


@pytest.mark.parametrize(("rule", "edit"), BREAKS, ids=[rule for rule, _ in BREAKS])
def test_each_rule_fires_on_its_edit(rule: str, edit: Edit) -> None:
    findings = check_feed(edit(GOOD), now=NOW)
    assert rules_of(findings) == {rule}, findings
    for finding in findings:
        assert finding.level == LEVELS[finding.rule]
        assert "\n" not in finding.message
        assert finding.message.endswith(RULES[finding.rule])


def test_rules_and_levels_cover_the_same_ids() -> None:
    assert set(LEVELS) == set(RULES)
    assert set(LEVELS.values()) == {"error", "warning"}
    for rule, why in RULES.items():
        assert rule == rule.lower() and " " not in rule
        assert why and "\n" not in why


def test_where_names_the_item_by_number_title_and_guid() -> None:
    data = set_attr(f"{ITEM3}/enclosure", "length", "0")(GOOD)
    [finding] = check_feed(data, now=NOW)
    assert finding.where == (
        'item 3 "Episode 653: The Anti-Store" (guid https://example.com/money/543994381)'
    )
    [finding] = check_feed(remove(f"{ITEM2}/guid")(GOOD), now=NOW)
    assert finding.where == 'item 2 "Bonus: Swamp Gravy" (no guid)'


def test_findings_come_in_document_order() -> None:
    edits = [
        remove(f"{CHANNEL}/itunes:author"),
        set_attr(f"{ITEM3}/enclosure", "length", "0"),
        set_text(f"{ITEM1}/itunes:explicit", "yes"),
        remove(f"{CHANNEL}/language"),
    ]
    data = GOOD
    for edit in edits:
        data = edit(data)
    findings = check_feed(data, now=NOW)
    assert [(f.rule, f.where.split('"')[0]) for f in findings] == [
        ("channel-language-missing", "channel"),
        ("channel-author-missing", "channel"),
        ("item-explicit-invalid", "item 1 "),
        ("item-enclosure-length-zero", "item 3 "),
    ]


def test_duplicate_guid_is_reported_at_the_later_item() -> None:
    data = set_text(f"{ITEM3}/guid", "https://example.com/money/939513137")(GOOD)
    data = set_text(f"{ITEM1}/guid", "https://example.com/money/939513137")(data)
    [finding] = check_feed(data, now=NOW)
    assert finding.rule == "item-guid-duplicate"
    assert finding.where.startswith("item 3 ")
    assert "item 1" in finding.message


def test_malformed_xml_gives_one_finding_with_line_and_column() -> None:
    data = b'<?xml version="1.0"?>\n<rss version="2.0">\n  <channel>\n</rss>\n'
    [finding] = check_feed(data)
    assert finding.rule == "xml-malformed"
    assert finding.level == "error"
    assert finding.where == "line 4, column 7"
    assert "mismatch" in finding.message
    assert [f.rule for f in check_feed(b"")] == ["xml-malformed"]


def test_an_atom_feed_is_not_rss() -> None:
    findings = check_feed(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>')
    assert [(f.rule, f.where) for f in findings] == [("rss-root-invalid", "feed")]


def test_external_entities_are_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    data = GOOD.replace(
        b"<rss version",
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n<rss version'.encode(),
    ).replace(b"Example Money</title>", b"&xxe;</title>")
    findings = check_feed(data, now=NOW)
    assert "TOP-SECRET-VALUE" not in findings_to_json(findings)


def test_billion_laughs_is_refused_quickly() -> None:
    entities = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{entities}]>'
        '<rss version="2.0"><channel><title>&l9;</title></channel></rss>'
    ).encode()
    started = time.perf_counter()
    findings = check_feed(data, now=NOW)
    assert time.perf_counter() - started < 5
    assert all(len(f.message) < 1000 for f in findings)


def test_podcast_guid_check_value() -> None:
    # The check value from the Podcast Index namespace docs.
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("http://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"
    assert podcast_guid("podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_podcast_guid_matches_the_self_url_of_good_xml() -> None:
    assert podcast_guid("https://example.com/planetrss/feed.xml") in GOOD.decode()


@pytest.mark.parametrize(
    "value", ["1240", "0:20:40", "20:40", "00:30:52", "100:00:00"], ids=lambda v: v
)
def test_duration_forms_apple_accepts(value: str) -> None:
    assert check_feed(set_text(f"{ITEM3}/itunes:duration", value)(GOOD), now=NOW) == []


def test_a_date_in_utc_with_unknown_zone_is_accepted() -> None:
    data = set_text(f"{ITEM1}/pubDate", "Fri, 27 Nov 2020 22:00:26 -0000")(GOOD)
    assert check_feed(data, now=NOW) == []


def test_findings_to_json_round_trips() -> None:
    findings = check_feed(set_text(f"{ITEM1}/itunes:explicit", "yes")(GOOD), now=NOW)
    loaded = json.loads(findings_to_json(findings))
    assert [Finding(**entry) for entry in loaded] == findings
    assert json.loads(findings_to_json([])) == []


def test_apple_categories_are_the_current_list() -> None:
    # Apple's 2019 list: 19 categories and 91 subcategories (110 in all).
    assert len(check.APPLE_CATEGORIES) == 19
    assert sum(len(subs) for subs in check.APPLE_CATEGORIES.values()) == 91
    assert "Business News" in check.APPLE_CATEGORIES["News"]
    assert check.APPLE_CATEGORIES["True Crime"] == ()


def test_module_examples() -> None:
    result = doctest.testmod(check)
    assert result.attempted > 0
    assert result.failed == 0


# --- NPR's official feed -----------------------------------------------------------------


@pytest.fixture(scope="module")
def npr_findings() -> list[Finding]:
    if not NPR_FEED.exists():
        pytest.skip(f"NPR's official feed is not at {NPR_FEED} (shared fixtures absent)")
    return check_feed(NPR_FEED.read_bytes(), now=datetime(2020, 11, 29, tzinfo=UTC))


def test_npr_official_feed_real_problems(npr_findings: list[Finding]) -> None:
    counts = Counter(f.rule for f in npr_findings)
    assert counts == {
        # 335 items say "no", 20 say "yes": the old values validators now reject.
        "item-explicit-invalid": 355,
        # The channel has no <itunes:explicit> at all.
        "channel-explicit-missing": 1,
        # No atom:link rel=self (and no atom namespace).
        "channel-atom-self-missing": 1,
        # The 60 newest items write isPermalink="false" (lowercase l): ignored by parsers.
        "item-guid-ispermalink-spelling": 60,
        # The 295 older items carry a bare UUID guid with no isPermaLink at all.
        "item-guid-ispermalink": 295,
        # length="0" on 169 enclosures (the URL's size= parameter says 0 as well).
        "item-enclosure-length-zero": 169,
        # Six video episodes: .mp4 files typed video/mpeg (MPEG-1/2), not video/mp4.
        "item-enclosure-type-mismatch": 6,
    }


def test_npr_official_feed_details(npr_findings: list[Finding]) -> None:
    first = npr_findings[0]
    assert (first.rule, first.where) == ("channel-atom-self-missing", "channel")
    spelling = [f for f in npr_findings if f.rule == "item-guid-ispermalink-spelling"]
    assert spelling[0].where == (
        'item 1 "Hot Dog Hail Mary (Classic)" (guid 481368b3-c48d-4410-81e1-e4aec8b19b9a)'
    )
    assert 'isPermalink="false"' in spelling[0].message
    explicit = Counter(
        f.message.split(";")[0] for f in npr_findings if f.rule == "item-explicit-invalid"
    )
    assert explicit == {'<itunes:explicit> is "no"': 335, '<itunes:explicit> is "yes"': 20}
    mismatched = [f for f in npr_findings if f.rule == "item-enclosure-type-mismatch"]
    assert all('"video/mpeg"' in f.message and ".mp4" in f.message for f in mismatched)
    # What it does right: dates, weekdays, order, guids unique, categories, durations.
    rules = rules_of(npr_findings)
    assert not rules & {
        "item-pubdate-invalid",
        "item-pubdate-weekday",
        "channel-items-unsorted",
        "item-guid-duplicate",
        "channel-category-unknown",
        "item-duration-invalid",
    }
    assert all(f.level == "error" for f in npr_findings if f.rule.endswith("explicit-invalid"))


# --- reading incrementally -----------------------------------------------------------------


def test_a_path_or_a_file_gives_the_same_findings_as_bytes(tmp_path: Path) -> None:
    data = set_attr(f"{ITEM3}/enclosure", "length", "0")(remove(f"{CHANNEL}/language")(GOOD))
    expected = check_feed(data, now=NOW)
    assert [f.rule for f in expected] == ["channel-language-missing", "item-enclosure-length-zero"]
    path = tmp_path / "feed.xml"
    path.write_bytes(data)
    assert check_feed(path, now=NOW) == expected
    assert check_feed(str(path), now=NOW) == expected
    with path.open("rb") as handle:
        assert check_feed(handle, now=NOW) == expected
    path.write_bytes(b"")
    [finding] = check_feed(path)
    assert (finding.rule, finding.where) == ("xml-malformed", "line 1, column 1")
    assert finding.message.startswith("not well-formed XML: Document is empty;")


def test_channel_elements_after_the_items_are_checked_as_the_channel() -> None:
    source = GOOD.decode()
    author = "<itunes:author>Example Radio</itunes:author>"
    moved = source.replace(author, "").replace(
        "</channel>",
        f'<podcast:funding url="http://example.com/d">x</podcast:funding>{author}</channel>',
    )
    moved = set_text(f"{ITEM1}/itunes:explicit", "no")(moved.encode())
    findings = check_feed(moved, now=NOW)
    assert [(f.rule, f.where.split('"')[0]) for f in findings] == [
        ("podcast-url-not-https", "channel"),
        ("item-explicit-invalid", "item 1 "),
    ]


def test_only_the_first_channel_is_checked() -> None:
    source = GOOD.decode()
    items = source[source.index("<item>") : source.index("</channel>")]
    broken = items.replace("<itunes:duration>1391<", "<itunes:duration>x<")
    second = f"</channel><channel>{broken}</channel>"
    findings = check_feed(source.replace("</channel>", second, 1).encode(), now=NOW)
    assert [f.rule for f in findings] == ["rss-channel-count"]


def test_unsorted_items_are_counted_at_the_first_of_them() -> None:
    data = set_text(f"{ITEM3}/pubDate", "Sat, 28 Nov 2020 11:00:00 -0500")(GOOD)
    data = set_text(f"{ITEM2}/pubDate", "Sat, 28 Nov 2020 10:00:00 -0500")(data)
    data = set_text(f"{ITEM2}/itunes:duration", "soon")(data)
    findings = check_feed(data, now=NOW)
    assert [(f.rule, f.where.split('"')[0]) for f in findings] == [
        ("item-duration-invalid", "item 2 "),
        ("channel-items-unsorted", "item 2 "),
    ]
    assert "2020-11-28, after an item listed before it (2020-11-27); 2 items" in findings[1].message


def test_a_long_feed_is_checked_item_by_item() -> None:
    source = GOOD.decode()
    start = source.index("<item>\n      <title>Episode 653")
    end = source.index("</channel>")
    item = source[start:end]
    copies = [item.replace("543994381", f"543994381-{n}") for n in range(3000)]
    for n in (1000, 2000):  # a day later than the items before them
        copies[n] = copies[n].replace("Wed, 16 Aug", "Thu, 17 Aug")
    copies[2500] = copies[2500].replace("543994381-2500", "543994381-7")
    data = (source[:start] + "".join(copies) + source[end:]).encode()
    findings = check_feed(data, now=NOW)
    assert [(f.rule, f.where.split('"')[0]) for f in findings] == [
        ("feed-too-large", "feed"),
        ("channel-items-unsorted", "item 1003 "),
        ("item-guid-duplicate", "item 2503 "),
    ]
    assert findings[0].message.startswith("3002 items in ")
    assert "; 2 items out of order" in findings[1].message
    assert "item 10 has the same guid" in findings[2].message


# --- a web page given instead of a feed ------------------------------------------------

PAGE = b"""<!doctype html>
<html><head><title>The Show</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="The  Show" href="/feeds/show.xml">
<link rel="alternate" type="application/atom+xml" href="https://cdn.example.org/atom.xml">
<link rel="alternate" hreflang="fr" href="/fr/">
</head><body><p>Episodes<br></body></html>"""


def test_an_html_page_names_the_feeds_it_advertises() -> None:
    (finding,) = check_feed(PAGE, url="https://example.org/podcasts/show")
    assert (finding.rule, finding.where, finding.level) == ("html-not-feed", "feed", "error")
    assert finding.message.startswith(
        "an HTML page, not a feed; it advertises 2 feeds: "
        '"The Show" https://example.org/feeds/show.xml, https://cdn.example.org/atom.xml; '
    )


def test_an_xhtml_page_that_parses_as_xml_is_still_a_page() -> None:
    page = (
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
        b'<link rel="alternate" type="application/rss+xml" href="feed.xml"/></head></html>'
    )
    (finding,) = check_feed(page, url="https://example.org/show/")
    assert finding.rule == "html-not-feed"
    assert "it advertises the feed https://example.org/show/feed.xml;" in finding.message


def test_an_html_page_without_a_feed_says_so() -> None:
    (finding,) = check_feed(b"<html><head><title>x</title></head><body></body></html>")
    assert finding.message.startswith("an HTML page, not a feed, and it advertises none")


def test_a_saved_npr_page_names_planet_money_s_feed(tmp_path: Path) -> None:
    page = NPR_FEED.parent / "episode-653-the-anti-store.html"
    if not page.exists():
        pytest.skip(f"the shared NPR fixtures are not at {page.parent}")
    (finding,) = check_feed(page)
    # Its relative link resolves against the page's own canonical URL.
    assert 'the feed "Planet Money" http://www.npr.org/rss/rss.php?id=93559255;' in (
        finding.message
    )
