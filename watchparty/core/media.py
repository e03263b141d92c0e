"""What a video link is (core.links for the services, the name's ending for media files), and
the playback rates its player can keep: pure, so the server and its tests agree on both
without a browser."""

from __future__ import annotations

import posixpath
from typing import Final, Literal, get_args
from urllib.parse import urlsplit

from watchparty.core.links import is_service_host, service_link

# A shared speed: any rate in this range for the players the page draws itself (their
# playbackRate is continuous); YouTube's IFrame player only plays its own steps.
MIN_RATE: Final = 0.25
MAX_RATE: Final = 2.0
YOUTUBE_RATES: Final[tuple[float, ...]] = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


# A file's player by its name's ending (any other http(s) URL or /path: a video file).
ENDINGS: Final[dict[str, str]] = {
    ".m3u8": "hls",
    ".mpd": "dash",
    ".mp3": "audio",
    ".m4a": "audio",
    ".aac": "audio",
    ".oga": "audio",
    ".ogg": "audio",
    ".opus": "audio",
    ".flac": "audio",
    ".wav": "audio",
}
Kind = Literal[
    "youtube", "video", "audio", "hls", "dash", "vimeo", "twitch", "dailymotion", "peertube"
]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)
# What the refusal of an unknown link lists.
KNOWN = (
    "a video of YouTube (its id or link), Vimeo, Twitch (a video or a live channel),"
    " Dailymotion or a PeerTube instance, or the http(s) URL or /path on this server of a"
    " video or audio file, an HLS stream (.m3u8) or a DASH stream (.mpd)"
)
# The embedded players whose speed cannot be set (or, for Vimeo, only for some owners' videos).
FIXED_RATE: Final = frozenset({"vimeo", "twitch", "dailymotion"})


def media_kind(video_id: str) -> str | None:
    """Which player a video needs (one of KINDS); None if ``video_id`` is none of a service's
    video, an http(s) URL or a /path on this server."""
    service = service_link(video_id)
    if service is not None:
        return service.kind
    path = link_path(video_id)
    if path is None or is_service_host(video_id):
        return None  # a service's page that names no video (a channel, a search)
    return ENDINGS.get(posixpath.splitext(path.lower())[1], "video")


def canonical(link: str) -> str:
    """The one spelling a room keeps a link by: a service's video by its table's spelling (a
    YouTube link becomes its id, so every client plays it with YouTube's player); a media
    file as given."""
    service = service_link(link)
    return link if service is None else service.spelling


def is_live(video_id: str) -> bool:
    """A live channel: it has no position to share, only playing or not."""
    service = service_link(video_id)
    return service is not None and service.live


def link_path(link: str) -> str | None:
    """The path of an http(s) URL or of a /path on this server; None for anything else."""
    if link.startswith("/") and not link.startswith("//"):
        return link
    url = urlsplit(link)
    if url.scheme not in ("http", "https") or not url.hostname:
        return None
    return url.path


def rates_for(kind: str | None) -> tuple[float, ...] | None:
    """The rates a player of ``kind`` can play; None: any in [MIN_RATE, MAX_RATE]."""
    if kind == "youtube":
        return YOUTUBE_RATES
    return (1.0,) if kind in FIXED_RATE else None


def playable_rate(kind: str | None, rate: float) -> float:
    """``rate``, or the nearest one a player of ``kind`` can play (a room at 1.3x that moves
    on to a YouTube video plays it at 1.25x)."""
    steps = rates_for(kind)
    if steps is None:
        return rate
    return min(steps, key=lambda step: (abs(step - rate), step))
