"""The parse worker: a child process that runs a site's parse functions for the crawler.

It is started as `python -m planetrss.parse_worker` and spoken to over its stdin and
stdout with length-prefixed pickles: a request is (function, args, pack), a reply is
(True, (result, seconds, packed page or None)) or (False, exception). It imports only the site modules it
parses with, not the crawler's HTTP stack, and it exits when its stdin closes, which
is also what happens when the build process dies, however it dies: no worker outlives
its build. (A plain subprocess rather than multiprocessing: no resource-tracker
process beside it, and no re-import of the caller's __main__.)
"""

from __future__ import annotations

import pickle
import signal
import sys
import time
from collections.abc import Callable
from typing import Any, BinaryIO, TypeVar

if __name__ == "__main__":  # the worker process (the build imports this module too)
    # The build that started this worker owns Ctrl-C and stops it by closing its stdin.
    # The worker runs in a session of its own, so a terminal's SIGINT does not reach it
    # at all; this is for a SIGINT sent to it directly, before anything heavy is imported.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

from planetrss.packing import pack_page

T = TypeVar("T")

READY = "ready"


def timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """Run `fn` and say how long the parse itself took (queueing and pickling excluded)."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def handle(
    fn: Callable[..., T], args: tuple[Any, ...], pack: bool
) -> tuple[T, float, bytes | None]:
    """One request: `fn(*args)` timed and, with `pack`, its last argument (the page's
    text) packed for the store, outside the timing: the parse time stays the parse's."""
    result, seconds = timed(fn, *args)
    return result, seconds, pack_page(args[-1]) if pack else None


def frame(message: object) -> bytes:
    """A message as it goes over the pipe: 4-byte big-endian length, then the pickle."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(4, "big") + data


def _read(stream: BinaryIO) -> tuple[Callable[..., object], tuple[object, ...], bool] | None:
    header = stream.read(4)
    if len(header) < 4:
        return None  # stdin closed: the build is done, or gone
    fn, args, pack = pickle.loads(stream.read(int.from_bytes(header, "big")))
    return fn, args, pack


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer parse requests until `requests` closes."""
    # Warm before saying ready: the site kinds, and Beautiful Soup, which every kind
    # that parses pages uses (~0.1 s to import, soupsieve's patterns most of it). Left to
    # the first page, it held back the first listing page and so the whole crawl.
    import planetrss.sites
    import planetrss.sites.soup  # noqa: F401

    replies.write(frame(READY))
    replies.flush()
    while (request := _read(requests)) is not None:
        fn, args, pack = request
        try:
            reply: tuple[bool, object] = (True, handle(fn, args, pack))
        except Exception as exc:  # the parent decides what is expected (ExtractError) or a bug
            reply = (False, exc)
        try:
            data = frame(reply)
        except Exception as exc:  # an exception that cannot be pickled
            data = frame((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        replies.write(data)
        replies.flush()


if __name__ == "__main__":
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the replies
    serve(sys.stdin.buffer, replies)
