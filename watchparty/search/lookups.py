"""Titles and durations of the other services' videos, asked by the server (so a page with a
strict policy needs no third-party fetch, and answers are cached for everyone):

- Vimeo: its oEmbed endpoint (``title``, ``author_name``, ``thumbnail_url``, ``duration``);
- Dailymotion: its public Data API, ``GET /video/<xid>?fields=...`` (no key needed);
- PeerTube: the instance's own ``GET /api/v1/videos/<id>``. The instance is whatever host the
  link names, so that session connects only to public addresses (search.guard), follows no
  redirect and reads a bounded answer;
- Twitch has no keyless API: a channel is called by its name, a past broadcast by nothing.

Every failure becomes ``upstream_error`` or ``upstream_timeout`` naming the service; a video the
service will not describe (removed, private) is None.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from pydantic import BaseModel, ConfigDict

from watchparty.core.limits import MAX_POSITION_SECONDS, MAX_TITLE_LENGTH
from watchparty.core.links import Link
from watchparty.core.text import made_displayable
from watchparty.errors import ApiError
from watchparty.search.guard import PublicResolver, check_literal

log = logging.getLogger(__name__)

NOT_DESCRIBED = frozenset({401, 403, 404, 410})
MAX_ANSWER_BYTES = 256 * 1024  # a video's description is a few KiB
DAILYMOTION_FIELDS = "title,duration,mode,owner.screenname,thumbnail_360_url"
# How messages name each service ("{service} did not answer in time").
SERVICES = {
    "youtube": "YouTube",
    "vimeo": "Vimeo",
    "dailymotion": "Dailymotion",
    "peertube": "PeerTube",  # a proper noun: the messages are translated around it
}


class Described(BaseModel):
    """What is known of a link's video: also the API's answer (null: not known)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    link: str
    kind: str
    title: str | None = None
    channel: str | None = None
    thumbnail: str | None = None
    duration_seconds: int | None = None
    live: bool = False


class Lookups:
    def __init__(
        self,
        vimeo_oembed_url: str | None,
        dailymotion_api_url: str | None,
        private_hosts: frozenset[str],
        timeout_seconds: float,
    ) -> None:
        self._vimeo = vimeo_oembed_url
        self._dailymotion = dailymotion_api_url
        self._private = private_hosts
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._fixed: aiohttp.ClientSession | None = None  # hosts the settings name
        self._guarded: aiohttp.ClientSession | None = None  # hosts a link names

    async def start(self) -> None:
        self._fixed = aiohttp.ClientSession(timeout=self._timeout)
        connector = aiohttp.TCPConnector(resolver=PublicResolver(self._private))
        self._guarded = aiohttp.ClientSession(timeout=self._timeout, connector=connector)

    async def close(self) -> None:
        for session in (self._fixed, self._guarded):
            if session is not None:
                await session.close()
        self._fixed = self._guarded = None

    def asks(self, link: Link) -> bool:
        """Whether describing ``link`` asks its service (worth caching), or only reads it."""
        return (
            link.kind == "peertube"
            or (link.kind == "vimeo" and self._vimeo is not None)
            or (link.kind == "dailymotion" and self._dailymotion is not None)
        )

    async def describe(self, link: Link) -> Described | None:
        """What the link's service says of it (None: it will not describe it); a kind with
        nothing to ask answers what the link itself says."""
        known = Described(link=link.spelling, kind=link.kind, live=link.live)
        if not self.asks(link):
            if link.kind == "twitch" and link.live:
                return known.model_copy(update={"title": _last(link.spelling)})
            return known
        if link.kind == "vimeo":
            return await self._ask_vimeo(known)
        if link.kind == "dailymotion":
            return await self._ask_dailymotion(known)
        return await self._ask_peertube(known)

    async def _ask_vimeo(self, known: Described) -> Described | None:
        assert self._vimeo is not None
        data = await self._get(SERVICES["vimeo"], self._vimeo, {"url": known.link})
        return (
            None
            if data is None
            else _update(known, data, "title", "author_name", "thumbnail_url", "duration")
        )

    async def _ask_dailymotion(self, known: Described) -> Described | None:
        url = f"{self._dailymotion}/video/{_last(known.link)}"
        data = await self._get(SERVICES["dailymotion"], url, {"fields": DAILYMOTION_FIELDS})
        if data is None:
            return None
        described = _update(
            known, data, "title", "owner.screenname", "thumbnail_360_url", "duration"
        )
        return described.model_copy(update={"live": data.get("mode") == "live"})

    async def _ask_peertube(self, known: Described) -> Described | None:
        parts = urlsplit(known.link)
        check_literal(self._private, parts.hostname or "", parts.port or _port(parts.scheme))
        url = f"{parts.scheme}://{parts.netloc}/api/v1/videos/{_last(known.link)}"
        data = await self._get(SERVICES["peertube"], url, {}, guarded=True)
        if data is None:
            return None
        channel = data.get("channel")
        thumbnail = data.get("thumbnailPath")
        described = _update(
            known,
            {
                "name": data.get("name"),
                "channel": channel.get("displayName") if isinstance(channel, dict) else None,
                "thumbnail": f"{parts.scheme}://{parts.netloc}{thumbnail}"
                if isinstance(thumbnail, str) and thumbnail.startswith("/")
                else None,
                "duration": data.get("duration"),
            },
            "name",
            "channel",
            "thumbnail",
            "duration",
        )
        return described.model_copy(update={"live": data.get("isLive") is True})

    async def _get(
        self, service: str, url: str, params: dict[str, str], *, guarded: bool = False
    ) -> dict[str, Any] | None:
        session = self._guarded if guarded else self._fixed
        assert session is not None, "Lookups.start() was not called"
        try:
            async with session.get(url, params=params, allow_redirects=False) as response:
                status = response.status
                body = await response.content.read(MAX_ANSWER_BYTES + 1)
        except TimeoutError:
            raise ApiError.of("upstream_timeout", service=service) from None
        except aiohttp.ClientError as error:
            log.warning("%s lookup failed: %s", service, type(error).__name__)
            raise ApiError.of("upstream_error", detail=f"{service} could not be reached") from None
        if status in NOT_DESCRIBED:
            return None
        try:
            data = json.loads(body) if len(body) <= MAX_ANSWER_BYTES else None
        except ValueError:
            data = None
        if status != 200 or not isinstance(data, dict):
            log.warning("%s lookup answered %d", service, status)
            raise ApiError.of("upstream_error", detail=f"{service} failed to answer")
        return data


def _update(known: Described, data: dict[str, Any], *names: str) -> Described:
    """``known`` with the title, channel, thumbnail and duration read from ``data`` under
    ``names`` (in that order; a dotted name is Dailymotion's for a nested field), each kept
    only when of the right type."""
    title, channel, thumbnail, duration = (data.get(name) for name in names)
    seconds = (
        duration
        if isinstance(duration, int | float)
        and not isinstance(duration, bool)
        and 0 < duration <= MAX_POSITION_SECONDS  # an answer's Infinity or NaN is no length
        else None
    )
    return known.model_copy(
        update={
            "title": _shown(title),
            "channel": _shown(channel),
            "thumbnail": thumbnail if isinstance(thumbnail, str) else None,
            "duration_seconds": None if seconds is None else round(seconds),
        }
    )


def _shown(text: Any) -> str | None:
    shown = made_displayable(text, MAX_TITLE_LENGTH) if isinstance(text, str) else ""
    return shown or None


def _last(link: str) -> str:
    return urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]


def _port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
