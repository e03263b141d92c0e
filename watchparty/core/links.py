"""One table of the links a room plays: each service's URL shapes, the kind of player it needs
and the one spelling a room keeps it by. Pure: the server, its tests and the docs agree on it
without a browser (tests/unit/core/test_links.py holds real links of each service).

A link of no service in the table is a media file (core.media reads its kind from its name).
A link of a service's host that matches none of its shapes (a channel page, a search) is no
video at all, and is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlsplit

YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
# PeerTube ids: a UUID, or the short form of one (22 characters of base 58)
PEERTUBE_ID = (
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[1-9A-HJ-NP-Za-km-z]{22}"
)
VIMEO_HASH = re.compile(r"[0-9a-f]{6,20}")
# Paths of twitch.tv that are pages of its own, not channels
TWITCH_PAGES: Final = frozenset(
    {"directory", "downloads", "jobs", "p", "search", "settings", "store", "subscriptions"}
    | {"turbo", "prime", "wallet", "inventory", "friends", "messages", "videos", "login"}
)


@dataclass(frozen=True)
class Shape:
    """One shape of a service's links: its hosts (None: any, for federated services), a
    pattern its path matches in full (the video's ``id`` a named group, or ``query`` names
    the parameter that holds it) and the spelling a room keeps."""

    kind: str
    hosts: frozenset[str] | None
    path: re.Pattern[str]
    spelling: str
    query: str | None = None
    live: bool = False  # a live channel: no position to share, no seeking


def _shape(
    kind: str,
    hosts: set[str] | None,
    path: str,
    spelling: str,
    *,
    query: str | None = None,
    live: bool = False,
) -> Shape:
    found = None if hosts is None else frozenset(hosts)
    return Shape(kind, found, re.compile(path), spelling, query, live)


YOUTUBE = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
YOUTUBE |= {"youtube-nocookie.com", "www.youtube-nocookie.com"}
VIMEO = {"vimeo.com", "www.vimeo.com"}
TWITCH = {"twitch.tv", "www.twitch.tv", "m.twitch.tv"}
DAILYMOTION = {"dailymotion.com", "www.dailymotion.com"}

SHAPES: Final[tuple[Shape, ...]] = (
    _shape("youtube", YOUTUBE, r"/watch/?", "{id}", query="v"),
    _shape("youtube", YOUTUBE, r"/(?:embed|shorts|live|v)/(?P<id>[^/]+)/?", "{id}"),
    _shape("youtube", {"youtu.be"}, r"/(?P<id>[^/]+)/?", "{id}"),
    _shape(
        "vimeo",
        VIMEO,
        r"/(?:channels/[\w-]+/|groups/[\w-]+/videos/|showcase/\d+/video/)?(?P<id>\d+)/?",
        "https://vimeo.com/{id}",
    ),
    # An unlisted video: its link carries the hash without which it does not play.
    _shape(
        "vimeo",
        VIMEO,
        rf"/(?P<id>\d+)/(?P<hash>{VIMEO_HASH.pattern})/?",
        "https://vimeo.com/{id}/{hash}",
    ),
    _shape("vimeo", {"player.vimeo.com"}, r"/video/(?P<id>\d+)/?", "https://vimeo.com/{id}"),
    _shape("twitch", TWITCH, r"/videos/(?P<id>\d+)/?", "https://www.twitch.tv/videos/{id}"),
    _shape(
        "twitch", TWITCH, r"/(?P<id>[A-Za-z0-9_]{3,25})/?", "https://www.twitch.tv/{id}", live=True
    ),
    _shape(
        "dailymotion",
        DAILYMOTION,
        r"/(?:embed/)?video/(?P<id>x[0-9a-z]{4,12})(?:_[\w-]*)?/?",
        "https://www.dailymotion.com/video/{id}",
    ),
    _shape(
        "dailymotion",
        {"dai.ly"},
        r"/(?P<id>x[0-9a-z]{4,12})/?",
        "https://www.dailymotion.com/video/{id}",
    ),
    _shape(
        "peertube",
        None,
        rf"/(?:w|videos/watch|videos/embed)/(?P<id>{PEERTUBE_ID})/?",
        "{scheme}://{host}/w/{id}",
    ),
)
SERVICE_HOSTS: Final = frozenset(
    host for shape in SHAPES if shape.hosts is not None for host in shape.hosts
)


@dataclass(frozen=True)
class Link:
    """What a link plays: the kind of player, the spelling a room keeps, and whether it is a
    live channel."""

    kind: str
    spelling: str
    live: bool = False


def service_link(link: str) -> Link | None:
    """The service video ``link`` names (a bare YouTube id too); None if it is no service's
    link (a media file, or nothing playable: see ``is_service_host``)."""
    if YOUTUBE_ID.fullmatch(link):
        return Link("youtube", link)
    url = urlsplit(link)
    if url.scheme not in ("http", "https") or not url.hostname:
        return None
    host = url.hostname.lower()
    try:
        netloc = host if url.port is None else f"{host}:{url.port}"
    except ValueError:  # a port out of range
        return None
    for shape in SHAPES:
        if shape.hosts is not None and host not in shape.hosts:
            continue
        found = shape.path.fullmatch(url.path)
        if found is None:
            continue
        parts = {name: value for name, value in found.groupdict().items() if value is not None}
        if shape.query is not None:
            parts["id"] = (parse_qs(url.query).get(shape.query) or [""])[0]
        if not _valid(shape.kind, parts["id"]):
            continue
        spelling = shape.spelling.format(scheme=url.scheme, host=netloc, **parts)
        if shape.kind == "vimeo" and "hash" not in parts:
            # An embed of an unlisted video carries its hash as ?h=
            unlisted = (parse_qs(url.query).get("h") or [""])[0]
            spelling += f"/{unlisted}" if VIMEO_HASH.fullmatch(unlisted) else ""
        return Link(shape.kind, spelling.lower() if shape.live else spelling, shape.live)
    return None


def is_service_host(link: str) -> bool:
    """Whether ``link`` is on a video service's own host (then a media file it is not)."""
    host = (urlsplit(link).hostname or "").lower() if not link.startswith("/") else ""
    return host in SERVICE_HOSTS


def _valid(kind: str, video_id: str) -> bool:
    if kind == "youtube":
        return YOUTUBE_ID.fullmatch(video_id) is not None
    if kind == "twitch":
        return video_id.lower() not in TWITCH_PAGES
    return True
