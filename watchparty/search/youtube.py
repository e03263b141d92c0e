"""The YouTube Data API v3, as far as watchparty uses it: ``search.list`` and ``videos.list``.

Every failure becomes a ``YouTubeError`` with a code and a message of our own: neither the
upstream message nor the request URL (which carries the key) ever reaches a client or a log.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import aiohttp
from pydantic import BaseModel, ConfigDict

from watchparty.errors import ApiError

log = logging.getLogger(__name__)

QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
# ISO 8601 durations as YouTube writes them: P1DT2H3M4S, PT3M33S, P0D (a live stream)
DURATION = re.compile(
    r"P(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)


class YouTubeError(ApiError):
    """A search that failed, with the HTTP status the proxy answers with."""


class Video(BaseModel):
    """A video (no duration nor date without a YouTube API key): also the API's answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    video_id: str
    title: str
    channel: str
    thumbnail: str | None
    duration_seconds: int | None
    published_at: str | None


class SearchPage(BaseModel):
    """A page of results."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    items: list[Video]
    next_page_token: str | None


def parse_duration(value: str | None) -> int | None:
    """Seconds in an ISO 8601 duration; None for a live stream (P0D) or a shape we don't know.

    Written by hand: YouTube uses only this small subset, not worth a dependency.
    """
    match = DURATION.fullmatch(value or "")
    if not match or not any(match.groupdict().values()):
        return None
    parts = {name: int(number or 0) for name, number in match.groupdict().items()}
    total = parts["days"] * 86400 + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]
    return total or None


def _video(item: dict[str, Any]) -> Video:
    snippet = item.get("snippet") or {}
    thumbnails = snippet.get("thumbnails") or {}
    thumbnail = next(
        (thumbnails[size]["url"] for size in ("medium", "high", "default") if size in thumbnails),
        None,
    )
    return Video(
        video_id=str(item["id"]),
        title=str(snippet.get("title", "")),
        channel=str(snippet.get("channelTitle", "")),
        thumbnail=_text(thumbnail),
        duration_seconds=parse_duration((item.get("contentDetails") or {}).get("duration")),
        published_at=_text(snippet.get("publishedAt")),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class Upstream:
    """A client of one of YouTube's endpoints: one HTTP session, opened and closed with the app."""

    def __init__(self, timeout_seconds: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class YouTube(Upstream):
    def __init__(self, api_key: str, base_url: str, timeout_seconds: float) -> None:
        super().__init__(timeout_seconds)
        self._key = api_key
        self._base = base_url

    async def search(self, query: str, page_token: str | None) -> SearchPage:
        """One page of videos for ``query``: 100 quota units for search.list, 1 for videos.list."""
        params = {"part": "id", "type": "video", "maxResults": "20", "q": query}
        if page_token:
            params["pageToken"] = page_token
        found = await self._get("search", params)
        ids = [
            item["id"]["videoId"]
            for item in found.get("items", [])
            if isinstance(item.get("id"), dict) and item["id"].get("videoId")
        ]
        # search.list snippets carry HTML-escaped titles and no durations: ask videos.list.
        details = await self.videos(ids) if ids else {}
        return SearchPage(
            items=[details[video_id] for video_id in ids if video_id in details],
            next_page_token=_text(found.get("nextPageToken")),
        )

    async def videos(self, ids: list[str]) -> dict[str, Video]:
        found = await self._get(
            "videos", {"part": "snippet,contentDetails", "id": ",".join(ids), "maxResults": "50"}
        )
        videos = [_video(item) for item in found.get("items", []) if item.get("id")]
        return {video.video_id: video for video in videos}

    async def _get(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        assert self._session is not None, "YouTube.start() was not called"
        try:
            async with self._session.get(
                f"{self._base}/{method}", params={**params, "key": self._key}
            ) as response:
                body = await response.read()
                status = response.status
        except TimeoutError:
            raise YouTubeError.of("upstream_timeout", service="YouTube") from None
        except aiohttp.ClientError as error:
            log.warning("YouTube %s failed: %s", method, type(error).__name__)
            raise YouTubeError.of("upstream_error", detail="YouTube could not be reached") from None
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if status == 200 and isinstance(data, dict):
            return data
        raise self._error(method, status, data)

    @staticmethod
    def _error(method: str, status: int, data: Any) -> YouTubeError:
        errors = data.get("error", {}).get("errors", []) if isinstance(data, dict) else []
        reasons = {str(e.get("reason")) for e in errors if isinstance(e, dict)}
        log.warning("YouTube %s answered %d %s", method, status, ",".join(sorted(reasons)) or "")
        if reasons & QUOTA_REASONS:
            return YouTubeError.of("quota_exceeded")
        if "invalidPageToken" in reasons:
            return YouTubeError.of("invalid_page_token")
        if status >= 500:
            return YouTubeError.of("upstream_error", detail="YouTube failed to answer")
        return YouTubeError.of("upstream_error", detail="YouTube refused the request")
