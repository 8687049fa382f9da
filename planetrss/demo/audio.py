"""The demo's audio files: valid MP3 of any exact byte length, generated as it is sent.

A file is an ID3v2 tag whose padding takes up the slack, then silent MPEG-1 Layer III
frames (128 kbit/s, 44.1 kHz, mono: 417 bytes, 26 ms each). A frame whose side
information is all zero carries no audio data, which decoders play as silence, so
players can subscribe to the demo feed and play an episode for as long as its
declared duration (the demo site sizes files at 16,000 bytes a second, 128 kbit/s).

Example:

    >>> body = b"".join(mp3_chunks(5000))
    >>> len(body), body[:3], body[-FRAME_BYTES:][:2]
    (5000, b'ID3', b'\\xff\\xfb')
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

# Sync, MPEG-1, Layer III, no CRC | 128 kbit/s, 44.1 kHz, no padding | mono, original.
FRAME_HEADER: Final = bytes((0xFF, 0xFB, 0x90, 0xC4))
FRAME_BYTES: Final = 144 * 128_000 // 44_100  # 417
_FRAME: Final = FRAME_HEADER + bytes(FRAME_BYTES - len(FRAME_HEADER))
_FRAMES_PER_CHUNK: Final = 600  # 250 KB
_CHUNK: Final = _FRAME * _FRAMES_PER_CHUNK
_TAG_HEADER: Final = 10
_SYNCSAFE_MAX: Final = 1 << 28


def _id3_tag(size: int) -> bytes:
    """An ID3v2.3 tag of `size` bytes in all (>= 10) holding only padding."""
    body = size - _TAG_HEADER
    syncsafe = bytes((body >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x03\x00\x00" + syncsafe + bytes(body)


def mp3_chunks(length: int) -> Iterator[bytes | memoryview]:
    """The bytes of a `length`-byte MP3 file, in chunks of at most 250 KB."""
    if length < _TAG_HEADER:
        yield bytes(length)  # too short to be audio; still the promised length
        return
    frames = (length - _TAG_HEADER) // FRAME_BYTES
    tag = length - frames * FRAME_BYTES
    if tag >= _SYNCSAFE_MAX:  # pragma: no cover - a file of over 256 MB of padding
        raise ValueError(f"{length} bytes is too long for a demo file")
    yield _id3_tag(tag)
    view = memoryview(_CHUNK)
    while frames > 0:
        count = min(frames, _FRAMES_PER_CHUNK)
        yield view[: count * FRAME_BYTES]
        frames -= count
