"""How raw page bodies are kept in the store: UTF-8, compressed with Zstandard at level 1.

Stdlib and zstandard only, so that a parse worker packs the page it has just parsed
without importing the store (or diskcache): compressing is CPU work, and in the worker
it does not compete with the event loop's process for its core.

Caches written before Zstandard hold zlib streams; those are still read.
"""

from __future__ import annotations

import threading
import zlib

import zstandard

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # how every Zstandard frame begins (zlib's begin 0x78)


class _Codecs(threading.local):
    """A compressor and a decompressor per thread: zstandard's are not thread-safe (a
    shared one crashed the interpreter when pages were packed in threads)."""

    def __init__(self) -> None:
        # Level 1 on an 82 KB npr.org page: 0.14 ms and 20.7 KB, where zlib at level 1
        # took 0.53 ms for 21.7 KB: a cold build of 1,700 pages spends 0.7 s less CPU.
        self.compressor = zstandard.ZstdCompressor(level=1)
        self.decompressor = zstandard.ZstdDecompressor()


_codecs = _Codecs()


def pack_page(text: str) -> bytes:
    """A page's text as the store keeps it."""
    return _codecs.compressor.compress(text.encode("utf-8"))


def unpack_page(blob: object) -> str | None:
    """The text `pack_page` packed (or an older cache's zlib); None for anything damaged
    (it is fetched again)."""
    if not isinstance(blob, bytes):
        return None
    try:
        if blob.startswith(_ZSTD_MAGIC):
            return _codecs.decompressor.decompress(blob).decode("utf-8")
        return zlib.decompress(blob).decode("utf-8")
    except (zstandard.ZstdError, zlib.error, UnicodeDecodeError):
        return None
