"""What the podcast standards fix, shared by the config, the renderer and the linter.

Apple's category list (itunes:category) and the Podcasting 2.0 feed guid rule.
Stdlib only: this is data and one pure function.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Final

# Podcasting 2.0: podcast:guid is a UUIDv5 of the feed URL in this namespace.
PODCAST_GUID_NAMESPACE: Final = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

# Apple Podcasts categories and their subcategories (the 2019 list, still current).
_APPLE_CATEGORY_LIST: Final = """
Arts: Books, Design, Fashion & Beauty, Food, Performing Arts, Visual Arts
Business: Careers, Entrepreneurship, Investing, Management, Marketing, Non-Profit
Comedy: Comedy Interviews, Improv, Stand-Up
Education: Courses, How To, Language Learning, Self-Improvement
Fiction: Comedy Fiction, Drama, Science Fiction
Government:
History:
Health & Fitness: Alternative Health, Fitness, Medicine, Mental Health, Nutrition, Sexuality
Kids & Family: Education for Kids, Parenting, Pets & Animals, Stories for Kids
Leisure: Animation & Manga, Automotive, Aviation, Crafts, Games, Hobbies, Home & Garden,
    Video Games
Music: Music Commentary, Music History, Music Interviews
News: Business News, Daily News, Entertainment News, News Commentary, Politics, Sports News,
    Tech News
Religion & Spirituality: Buddhism, Christianity, Hinduism, Islam, Judaism, Religion, Spirituality
Science: Astronomy, Chemistry, Earth Sciences, Life Sciences, Mathematics, Natural Sciences,
    Nature, Physics, Social Sciences
Society & Culture: Documentary, Personal Journals, Philosophy, Places & Travel, Relationships
Sports: Baseball, Basketball, Cricket, Fantasy Sports, Football, Golf, Hockey, Rugby, Running,
    Soccer, Swimming, Tennis, Volleyball, Wilderness, Wrestling
Technology:
True Crime:
TV & Film: After Shows, Film History, Film Interviews, Film Reviews, TV Reviews
"""


def _parse_category_list(text: str) -> dict[str, tuple[str, ...]]:
    categories: dict[str, tuple[str, ...]] = {}
    for line in re.sub(r",\n\s+", ", ", text).strip().splitlines():
        parent, _, subs = line.partition(":")
        categories[parent] = tuple(s.strip() for s in subs.split(",") if s.strip())
    return categories


APPLE_CATEGORIES: Final[Mapping[str, tuple[str, ...]]] = _parse_category_list(_APPLE_CATEGORY_LIST)
"""Apple's categories: each top-level category and its subcategories."""


def podcast_guid(feed_url: str) -> str:
    """The Podcast Index guid of a feed: UUIDv5 of its URL without scheme and trailing slash.

    Example:
        >>> podcast_guid("https://podnews.net/rss")
        '9b024349-ccf0-5f69-a609-6b82873eab3c'
    """
    bare = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, bare))
