"""The merge rules as data, and the properties that must hold whatever the input."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from planetrss.merge import (
    Candidate,
    Precedence,
    audio_identity,
    combine,
    match,
    normalise_title,
    published_record,
    site_ids,
)
from planetrss.models import Episode, Published

EST = timezone(timedelta(hours=-5))
DAY = datetime(2020, 11, 27, 17, 0, tzinfo=EST)
KINDS = {"official": "rss", "archive": "npr", "mirror": "npr"}


def cand(source: str, key: str, title: str = "T", **fields: object) -> Candidate:
    values: dict[str, object] = {"published": DAY, "duration": 1200, **fields}
    return Candidate(source=source, key=key, title=title, **values)  # type: ignore[arg-type]


def groups(result_episodes: object) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(c.member for c in m.members) for m in result_episodes}  # type: ignore[attr-defined]


# --- the keys ----------------------------------------------------------------------------


def test_site_ids_come_from_the_link_path_and_the_audio_query() -> None:
    assert site_ids("https://www.npr.org/2020/11/27/939513137/hot-dog", "") == {"939513137"}
    assert site_ids("https://www.npr.org/sections/money/2017/08/25/546118721/x", "") == {
        "546118721"
    }
    assert site_ids("https://www.npr.org/2024/05/01/nx-s1-5012345/x", "") == {"nx-s1-5012345"}
    audio = "https://p.org/a.mp3?awEpisodeId=641042956&story=641042956&e=641042956&size=0"
    assert site_ids("", audio) == {"641042956"}
    # Podcast ids, sizes and durations are not story ids; nor is a short number.
    assert (
        site_ids("https://feeds.npr.org/510289/abc", "https://p.org/a.mp3?p=510289&d=1240") == set()
    )
    assert site_ids("https://x.org/2020/01/02/123/slug", "https://p.org/a.mp3?e=12") == set()


def test_audio_identity_removes_trackers_edges_and_queries() -> None:
    path = "anon.npr-mp3/npr/pmoney/2020/11/20201127_pmoney_pmpod874_rerun.mp3"
    same = [
        f"https://play.podtrac.com/npr-510289/edge1.pod.npr.org/{path}?awEpisodeId=1&size=19807500",
        f"https://ondemand.npr.org/{path}?orgId=1&d=1240&p=510289&story=939513137",
        f"http://edge2.pod.npr.org/{path}",
        f"https://tracking.swap.fm/track/AbC123/play.podtrac.com/npr-510289/edge1.pod.npr.org/{path}",
        f"https://dts.podtrac.com/redirect.mp3/127.0.0.1:8000/{path}#t=10",
    ]
    assert {audio_identity(url) for url in same} == {path}
    assert (
        audio_identity("https://traffic.megaphone.fm/NPR7519292940.mp3?e=1") == "NPR7519292940.mp3"
    )
    assert audio_identity("https://example.org/") is None
    assert audio_identity(f"https://ondemand.npr.org/{path[:-4]}_2.mp3") != path


def test_titles_are_compared_without_case_quotes_dashes_or_extra_spaces() -> None:
    assert normalise_title("  Swamp Gravy (UPDATE) ") == normalise_title("swamp gravy (update)")
    assert normalise_title("The \u201cAnti\u201d Store \u2014 Again") == 'the "anti" store - again'
    assert normalise_title("Episode 653") != normalise_title("Episode 654")


# --- the rules ---------------------------------------------------------------------------


def test_each_rule_joins_what_it_should() -> None:
    official = [
        cand("official", "u1", "A", url="https://www.npr.org/2020/11/27/900000001/a"),
        cand(
            "official", "u2", "B", audio_url="https://play.podtrac.com/npr-510289/e.npr.org/x/b.mp3"
        ),
        cand("official", "u3", "Same Title", duration=1500),
        cand("official", "u4", "Lonely"),
    ]
    archive = [
        cand(
            "archive",
            "900000001",
            "A (different title)",
            url="https://www.npr.org/sections/money/2020/11/27/900000001/a",
            duration=3000,
        ),
        cand("archive", "/blog/b.html", "B", audio_url="https://ondemand.npr.org/x/b.mp3?d=1"),
        cand(
            "archive",
            "900000003",
            "same  title",
            duration=1500 + 599,
            published=DAY + timedelta(hours=6),
        ),
        cand("archive", "900000004", "Only here"),
    ]
    result = match([*official, *archive], kinds=KINDS)
    by_guid = {m.guid: m for m in result.episodes}
    assert set(by_guid) == {"u1", "u2", "u3", "u4", "900000004"}
    assert by_guid["u1"].rules == ("site id",)
    assert by_guid["u2"].rules == ("audio identity",)
    assert by_guid["u3"].rules == ("title, day, duration",)
    assert by_guid["u4"].sources == ("official",)  # matched nothing: its own episode
    assert by_guid["900000004"].sources == ("archive",)
    assert result.rule_counts() == {"site id": 1, "audio identity": 1, "title, day, duration": 1}


def test_the_title_rule_needs_the_same_day_and_close_known_durations() -> None:
    base = cand("official", "u", "Hot Dog Hail Mary", duration=1240)
    apart = [
        cand("archive", "1", "Hot Dog Hail Mary", duration=1240 + 600),  # 10 min: too far
        cand("archive", "2", "Hot Dog Hail Mary", published=DAY + timedelta(days=1)),
        cand("archive", "3", "Hot Dog Hail Mary", duration=None),
    ]
    for other in apart:
        assert len(match([base, other]).episodes) == 2, other


def test_the_day_is_the_one_each_source_states() -> None:
    # 23:30 in New York is already tomorrow in UTC; a date-only listing says 12:00 UTC.
    evening = cand(
        "official", "u", "Late Show", published=datetime(2020, 11, 27, 23, 30, tzinfo=EST)
    )
    listing = cand("archive", "1", "Late Show", published=datetime(2020, 11, 27, 12, tzinfo=UTC))
    assert len(match([evening, listing]).episodes) == 1


def test_one_source_never_lists_an_episode_twice_and_two_guids_stay_two() -> None:
    # Two official items share a story id (a rerun kept the id): each is its own episode,
    # and the archive's one joins the closer of them.
    url = "https://www.npr.org/2020/11/27/900000001/a"
    a = cand("official", "u1", "A", url=url, duration=1200)
    b = cand("official", "u2", "A (Classic)", url=url, duration=1900)
    c = cand("archive", "900000001", "A", url=url, duration=1210)
    result = match([a, b, c], kinds=KINDS)
    assert groups(result.episodes) == {
        frozenset({("official", "u1"), ("archive", "900000001")}),
        frozenset({("official", "u2")}),
    }
    # Two published items that now look alike keep both their guids.
    p1 = Published("g1", "A", DAY, url=url)
    p2 = Published("g2", "A", DAY, url=url)
    result = match([c], [p1, p2])
    assert sorted(m.guid for m in result.episodes) == ["g1"]
    assert [p.guid for p in result.unmatched_published] == ["g2"]


def test_new_episodes_take_the_official_guid_and_published_ones_keep_theirs() -> None:
    url = "https://www.npr.org/2020/11/27/900000001/a"
    pair = [cand("official", "uuid-1", "A", url=url), cand("archive", "900000001", "A", url=url)]
    assert [m.guid for m in match(pair, kinds=KINDS).episodes] == ["uuid-1"]
    # Published earlier from the archive alone: the story id stays the guid.
    earlier = Published("900000001", "A", DAY, members=(("archive", "900000001"),))
    merged = match(pair, [earlier], kinds=KINDS).episodes
    assert [(m.guid, m.rules[0]) for m in merged] == [("900000001", "published member")]
    # An old feed file's item (no members known) is found by its guid as a key.
    from_file = Published("uuid-1", "A", DAY)
    assert [m.guid for m in match(pair, [from_file], kinds=KINDS).episodes] == ["uuid-1"]


def test_guid_precedence_is_configurable_and_guids_stay_unique() -> None:
    url = "https://www.npr.org/2020/11/27/900000001/a"
    pair = [cand("official", "uuid-1", "A", url=url), cand("archive", "900000001", "A", url=url)]
    merged = match(pair, kinds=KINDS, precedence={"guid": ["archive", "*"]}).episodes
    assert [m.guid for m in merged] == ["900000001"]
    # Two unrelated episodes with one key in different sources get distinct guids.
    clash = [cand("official", "k", "A", duration=100), cand("archive", "k", "B", duration=9000)]
    clash[1] = cand("archive", "k", "B", duration=9000, published=DAY + timedelta(days=3))
    assert len({m.guid for m in match(clash).episodes}) == 1  # equal keys: the same episode


# --- fields ------------------------------------------------------------------------------


def episode(key: str, **fields: object) -> Episode:
    values: dict[str, object] = {
        "title": "T",
        "url": "",
        "published": DAY,
        "audio_url": "https://x.org/a.mp3",
        **fields,
    }
    return Episode(key=key, **values)  # type: ignore[arg-type]


def test_fields_follow_the_documented_precedence() -> None:
    official = episode(
        "uuid-1",
        title="Official title",
        published=DAY,
        audio_url="https://play.podtrac.com/npr-510289/edge1.pod.npr.org/x/a.mp3?size=1",
        audio_size=19807500,
        duration=1240,
        summary="Short.",
        notes_html="Short.",
        image_url="https://img/official.jpg",
        episode_number=874,
    )
    archive = episode(
        "900000001",
        title="Archive title",
        url="https://www.npr.org/2020/11/27/900000001/a",
        published=DAY + timedelta(hours=1),
        audio_url="https://ondemand.npr.org/x/a.mp3",
        audio_size=None,
        duration=1250,
        summary="Longer teaser.",
        notes_html="<p>Full show notes.</p>",
        image_url="https://img/archive.jpg",
        transcript_url="https://www.npr.org/transcripts/900000001",
    )
    members = [Candidate.of("official", official), Candidate.of("archive", archive)]
    merged = match(members, kinds=KINDS).episodes[0]
    episodes = {("official", "uuid-1"): official, ("archive", "900000001"): archive}
    result = combine(merged, episodes, Precedence(KINDS))
    assert result.key == "uuid-1"
    assert (result.title, result.published, result.duration) == ("Official title", DAY, 1240)
    assert (result.audio_url, result.audio_size) == (official.audio_url, 19807500)
    assert result.episode_number == 874
    assert result.url == archive.url
    assert result.notes_html == "<p>Full show notes.</p>"
    assert result.summary == "Longer teaser."
    assert result.image_url == "https://img/archive.jpg"
    assert result.transcript_url == archive.transcript_url
    # Overridden: the archive's audio (its size borrowed from the same file), its title.
    custom = Precedence(KINDS, {"audio": ["npr", "*"], "title": ["archive"]})
    result = combine(merged, episodes, custom)
    assert (result.audio_url, result.audio_size) == (archive.audio_url, 19807500)
    assert result.title == "Archive title"
    # Anchored: the pubDate listeners already have wins over every source.
    first = Published("uuid-1", "T", DAY - timedelta(days=2))
    anchored = match(members, [first], kinds=KINDS).episodes[0]
    assert combine(anchored, episodes, Precedence(KINDS)).published == DAY - timedelta(days=2)
    record = published_record(anchored, combine(anchored, episodes, Precedence(KINDS)))
    assert record.published == DAY - timedelta(days=2)
    assert record.members == (("archive", "900000001"), ("official", "uuid-1"))


# --- properties --------------------------------------------------------------------------

_titles = st.sampled_from(["Alpha", "alpha ", "Beta", "Gamma", "Delta", "The \u201cEnd\u201d"])
_ids = st.sampled_from(["", "900000001", "900000002", "900000003", "nx-s1-5000001"])
_files = st.sampled_from(["", "a.mp3", "b.mp3", "c.mp3", "d.mp3"])
_prefixes = st.sampled_from(
    ["https://ondemand.npr.org/", "https://play.podtrac.com/npr-510289/edge1.pod.npr.org/"]
)


@st.composite
def candidates(draw: st.DrawFn, source: str) -> Candidate:
    story = draw(_ids)
    file = draw(_files)
    return Candidate(
        source=source,
        key=draw(st.sampled_from(["k1", "k2", "k3", "k4", "k5", "k6"])),
        title=draw(_titles),
        published=DAY + timedelta(hours=draw(st.integers(0, 60))),
        url=f"https://www.npr.org/2020/11/27/{story}/x" if story else "",
        audio_url=f"{draw(_prefixes)}{file}?story={story}" if file else "",
        duration=draw(st.one_of(st.none(), st.integers(600, 3000))),
    )


episode_lists = st.lists(
    st.one_of(candidates("official"), candidates("archive"), candidates("mirror")), max_size=14
)


def _unique(items: list[Candidate]) -> list[Candidate]:
    return list({c.member: c for c in items}.values())


def _guid_of(result: object) -> dict[tuple[str, str], str]:
    return {c.member: m.guid for m in result.episodes for c in m.members}  # type: ignore[attr-defined]


def _publish(result: object) -> list[Published]:
    return [
        Published(
            m.guid,
            m.members[0].title,
            m.anchor.published if m.anchor else m.members[0].published,
            url=m.members[0].url,
            audio_url=m.members[0].audio_url,
            duration=m.members[0].duration,
            members=tuple(
                sorted({c.member for c in m.members} | set(m.anchor.members if m.anchor else ()))
            ),
        )
        for m in result.episodes  # type: ignore[attr-defined]
    ]


@settings(max_examples=300, deadline=None)
@given(episode_lists, st.integers(0, 2**32))
def test_nothing_is_listed_twice_and_order_does_not_matter(
    items: list[Candidate], seed: int
) -> None:
    items = _unique(items)
    result = match(items, kinds=KINDS)
    members = [c.member for m in result.episodes for c in m.members]
    assert sorted(members) == sorted(c.member for c in items)  # each exactly once
    assert len({m.guid for m in result.episodes}) == len(result.episodes)
    for merged in result.episodes:
        assert len(set(merged.sources)) == len(merged.sources)  # one per source
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    assert match(shuffled, kinds=KINDS) == result


@settings(max_examples=300, deadline=None)
@given(episode_lists, episode_lists, st.integers(0, 2**32))
def test_a_published_guid_never_changes(
    first: list[Candidate], later: list[Candidate], seed: int
) -> None:
    first = _unique(first)
    before = match(first, kinds=KINDS)
    published = _publish(before)
    # Later builds: more episodes and sources arrive, in any order; old ones stay.
    everything = _unique([*first, *later])
    random.Random(seed).shuffle(everything)
    shuffled_published = list(published)
    random.Random(seed + 1).shuffle(shuffled_published)
    after = match(everything, shuffled_published, kinds=KINDS)
    old, new = _guid_of(before), _guid_of(after)
    assert {member: new[member] for member in old} == old
    assert not after.unmatched_published
    assert len({m.guid for m in after.episodes}) == len(after.episodes)
    # And again, from what that build published: still the same guids.
    again = match(everything, _publish(after), kinds=KINDS)
    assert _guid_of(again) == new


@settings(max_examples=200, deadline=None)
@given(episode_lists)
def test_guids_survive_a_lost_registry_via_the_old_feed_file(items: list[Candidate]) -> None:
    # The old feed file knows guid, title, date, link, audio and duration, not members.
    items = _unique(items)
    before = match(items, kinds=KINDS)
    from_file = [
        Published(p.guid, p.title, p.published, p.url, p.audio_url, p.duration)
        for p in _publish(before)
    ]
    after = match(items, from_file, kinds=KINDS)
    assert {m.guid for m in after.episodes} >= {
        m.guid for m in before.episodes if any(c.key == m.guid for c in m.members)
    }
    assert len({m.guid for m in after.episodes}) == len(after.episodes)


def test_a_source_repeating_one_enclosure_keeps_its_items_apart() -> None:
    # A broken feed gives every item the same audio URL: its items stay separate, and
    # the one archive episode with that file joins exactly one of them (the closest).
    broken = [
        cand("official", f"u{i}", f"T{i}", audio_url="https://x.org/a.mp3", duration=1000 + i)
        for i in range(2000)
    ]
    archive = cand("archive", "1", "Other", audio_url="https://y.org/a.mp3", duration=1500)
    result = match([*broken, archive], kinds=KINDS)
    assert len(result.episodes) == 2000
    joined = [m for m in result.episodes if len(m.members) == 2]
    assert [m.guid for m in joined] == ["u500"]
