"""The exceptions planetrss raises on purpose, each with the exit status the CLI gives it.

    PlanetrssError                 base; `exit_code` is what `planetrss` exits with
    ├── ConfigError          (2)   a feed definition or an option is wrong: names file, key, fix
    ├── CacheError           (3)   the cache cannot be opened or read: says how to fix it
    ├── LockedError          (3)   another build of the same feed holds the lock (--no-wait)
    ├── NothingUsableError   (3)   the site is unreachable or has changed; previous feed kept
    └── FeedRefusedError     (3)   the new feed would be broken or would drop episodes

Per-page problems (a timeout, a 404, a page without audio) are not exceptions: the
build records them in its report and goes on. Exit status 1 (built, some pages failed)
comes from the report, not from an exception.
"""

from __future__ import annotations


class PlanetrssError(Exception):
    """Base class: an expected failure with a one-line message for the user."""

    exit_code = 3


class ConfigError(PlanetrssError):
    """A feed definition or an option is invalid.

    The message reads `<file>: <key>: <what is wrong>; <what is expected>`.
    """

    exit_code = 2

    def __init__(self, where: str, key: str | None, message: str) -> None:
        self.where = where
        self.key = key
        prefix = f"{where}: {key}: " if key else f"{where}: "
        super().__init__(prefix + message)


class CacheError(PlanetrssError):
    """The cache directory cannot be opened, written or read."""


class LockedError(PlanetrssError):
    """Another build of the same feed is running."""


class NothingUsableError(PlanetrssError):
    """The build got nothing usable from the site (unreachable, or its pages changed)."""


class FeedRefusedError(PlanetrssError):
    """The feed about to be written fails its checks; the previous file is left alone."""


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`plural(1, "error") == "1 error"`, `plural(2, "error") == "2 errors"`."""
    word = noun if count == 1 else (plural_noun or noun + "s")
    return f"{count} {word}"
