"""What runs inside the parse worker processes.

Kept apart from the crawler so that a worker imports only the site modules it parses
with (beautifulsoup4, lxml), not the HTTP stack: each worker is a whole process, and
its memory counts.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def exit_with_parent() -> None:
    """Worker initializer: exit as soon as the build process dies, however it dies.

    A SIGKILLed build cannot shut its pool down; without this its workers would live
    on, holding the build's stdout and stderr open.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def ready() -> None:
    """A first task that imports the site modules, so a started worker is a warm one."""
    import planetrss.sites  # noqa: F401


def timed(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """Run `fn` and say how long the parse itself took (queueing and pickling excluded)."""
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start
