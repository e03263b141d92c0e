"""What a video link is, and the playback rates its player can keep: pure, so the server and
its tests agree on both without a browser."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urlsplit

YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")

# A shared speed: any rate in this range for the players the page draws itself (their
# playbackRate is continuous); YouTube's IFrame player only plays its own steps.
MIN_RATE: Final = 0.25
MAX_RATE: Final = 2.0
YOUTUBE_RATES: Final[tuple[float, ...]] = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


def media_kind(video_id: str) -> str | None:
    """Which player a video needs: ``youtube``, ``hls`` (an .m3u8 stream) or ``video`` (a
    media file); None if ``video_id`` is none of a YouTube id, an http(s) URL or a /path on
    this server."""
    if YOUTUBE_ID.fullmatch(video_id):
        return "youtube"
    path = link_path(video_id)
    if path is None:
        return None
    return "hls" if path.lower().endswith(".m3u8") else "video"


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
    return YOUTUBE_RATES if kind == "youtube" else None


def playable_rate(kind: str | None, rate: float) -> float:
    """``rate``, or the nearest one a player of ``kind`` can play (a room at 1.3x that moves
    on to a YouTube video plays it at 1.25x)."""
    steps = rates_for(kind)
    if steps is None:
        return rate
    return min(steps, key=lambda step: (abs(step - rate), step))
