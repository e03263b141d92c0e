"""YouTube's public oEmbed endpoint: a video's title, channel and thumbnail without an API key
(https://oembed.com, provider ``https://www.youtube.com/oembed``). It has no duration and no
search; the server uses it for titles when no ``YOUTUBE_API_KEY`` is set, so that a queued
YouTube item shows its title rather than its id.
"""

from __future__ import annotations

import json
import logging

import aiohttp

from watchparty.search.youtube import Upstream, Video, YouTubeError

log = logging.getLogger(__name__)

WATCH = "https://www.youtube.com/watch?v="
# What YouTube answers for a video it will not describe: private, removed, not embeddable.
NOT_DESCRIBED = frozenset({400, 401, 403, 404})


class OEmbed(Upstream):
    def __init__(self, url: str, timeout_seconds: float) -> None:
        super().__init__(timeout_seconds)
        self._url = url

    async def video(self, video_id: str) -> Video | None:
        """What oEmbed says of the video; None when YouTube will not describe it."""
        assert self._session is not None, "OEmbed.start() was not called"
        params = {"url": WATCH + video_id, "format": "json"}
        try:
            async with self._session.get(self._url, params=params) as response:
                body = await response.read()
                status = response.status
        except TimeoutError:
            raise YouTubeError.of("upstream_timeout", service="YouTube") from None
        except aiohttp.ClientError as error:
            log.warning("YouTube oEmbed failed: %s", type(error).__name__)
            raise YouTubeError.of("upstream_error", detail="YouTube could not be reached") from None
        if status in NOT_DESCRIBED:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if status != 200 or not isinstance(data, dict) or not isinstance(data.get("title"), str):
            log.warning("YouTube oEmbed answered %d", status)
            raise YouTubeError.of("upstream_error", detail="YouTube failed to answer")
        thumbnail = data.get("thumbnail_url")
        return Video(
            video_id=video_id,
            title=data["title"],
            channel=str(data.get("author_name", "")),
            thumbnail=thumbnail if isinstance(thumbnail, str) else None,
            duration_seconds=None,
            published_at=None,
        )
