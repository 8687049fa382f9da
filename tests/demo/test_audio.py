"""The demo's audio files: valid MP3 (an ID3 tag, then whole frames) of the exact length."""

from __future__ import annotations

import httpx
import pytest

from planetrss.demo.audio import FRAME_BYTES, FRAME_HEADER, mp3_chunks
from planetrss.demo.server import DemoServer
from planetrss.demo.site import DemoSite


def _frames(body: bytes) -> int:
    """Check the layout and count the frames: a tag whose size says where frames begin,
    then a frame header every FRAME_BYTES up to the very end."""
    assert body[:5] == b"ID3\x03\x00"
    size = 0
    for byte in body[6:10]:
        assert byte < 0x80  # syncsafe
        size = size << 7 | byte
    start = 10 + size
    assert (len(body) - start) % FRAME_BYTES == 0
    for offset in range(start, len(body), FRAME_BYTES):
        assert body[offset : offset + 4] == FRAME_HEADER, offset
    return (len(body) - start) // FRAME_BYTES


@pytest.mark.parametrize("length", [10, 11, 427, 428, 5000, 250_207, 1_000_000])
def test_any_length_is_a_valid_mp3_of_exactly_that_length(length: int) -> None:
    body = b"".join(mp3_chunks(length))
    assert len(body) == length
    assert _frames(body) == (length - 10) // FRAME_BYTES


def test_the_demo_server_sends_an_episode_as_mp3_of_its_declared_size() -> None:
    with DemoServer(DemoSite(episodes=3)) as server:
        episode = next(e for e in server.site.episodes() if e.in_feed)
        head = httpx.head(episode.audio_url)
        got = httpx.get(episode.audio_url)
    assert int(head.headers["content-length"]) == episode.size == len(got.content)
    assert got.headers["content-type"] == "audio/mpeg"
    # 128 kbit/s: the file plays for as long as the episode's declared duration.
    frames = _frames(got.content)
    assert abs(frames * 1152 / 44_100 - episode.duration) < 4
