"""Search and lookups with a cache in front: the same question within the cache lifetime
costs no quota and no upstream call.

A search costs 100 of YouTube's default 10,000 daily quota units, so answers are cached in
MongoDB, identical questions asked at the same moment share one upstream call, and once
YouTube says the quota is used up we stop asking for a while (cached answers keep coming).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from watchparty.search.oembed import OEmbed
from watchparty.search.youtube import YouTube, YouTubeError
from watchparty.store.errors import StoreUnavailable
from watchparty.store.search_cache import SearchCache

log = logging.getLogger(__name__)

QUOTA_PAUSE_SECONDS = 300.0


# Whether one more search may spend quota (and counts it when it may).
Spend = Callable[[], Awaitable[bool]]
Fetch = Callable[[], Awaitable[Any]]  # an upstream call, for the cache


def cache_key(kind: str, *parts: str) -> str:
    # Case and spacing do not change YouTube's answer; they should not cost quota either.
    normalized = "\0".join(" ".join(part.split()).casefold() for part in parts)
    return f"{kind}:{hashlib.sha256(normalized.encode()).hexdigest()}"


class SearchService:
    def __init__(
        self,
        youtube: YouTube | None,
        cache: SearchCache,
        *,
        lifetime_seconds: int,
        clock: Callable[[], float] = time.time,
        oembed: OEmbed | None = None,
    ) -> None:
        self._youtube = youtube
        self._oembed = oembed  # titles without a key (no search, no durations)
        self._cache = cache
        self._lifetime = dt.timedelta(seconds=lifetime_seconds)
        self._clock = clock
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._quota_paused_until = 0.0

    @property
    def enabled(self) -> bool:
        return self._youtube is not None

    async def search(self, query: str, page_token: str | None, spend: Spend | None = None) -> Any:
        """``spend`` is asked before a search costs quota (a cached answer costs none): an
        anonymous searcher's share of the day's quota, when False, refuses it."""
        youtube = self._require()
        key = cache_key("search", query, page_token or "")

        async def fetch() -> Any:
            if spend is not None and not await spend():
                raise YouTubeError.of("search_budget_used")
            return (await youtube.search(query, page_token)).model_dump()

        return await self.remembered(key, self._within_quota(fetch))

    async def video(self, video_id: str) -> Any | None:
        """One video's details: from the Data API with a key, else from oEmbed (no duration)."""
        if self._youtube is None and self._oembed is not None:
            oembed = self._oembed

            async def described() -> Any:
                found = await oembed.video(video_id)
                return None if found is None else found.model_dump()

            return await self.remembered(f"oembed:{video_id}", described)
        youtube = self._require()

        async def fetch() -> Any:
            found = await youtube.videos([video_id])
            return found[video_id].model_dump() if video_id in found else None

        # video ids are case-sensitive: key on the id as given
        return await self.remembered(f"video:{video_id}", self._within_quota(fetch))

    def _require(self) -> YouTube:
        if self._youtube is None:
            raise YouTubeError.of("search_disabled")
        return self._youtube

    def _within_quota(self, fetch: Fetch) -> Fetch:
        """``fetch``, refused while YouTube's quota is used up (and noting when it is)."""

        async def fetch_within_quota() -> Any:
            if self._clock() < self._quota_paused_until:
                raise YouTubeError.of("quota_exceeded")
            try:
                return await fetch()
            except YouTubeError as error:
                if error.code == "quota_exceeded":
                    self._quota_paused_until = self._clock() + QUOTA_PAUSE_SECONDS
                raise

        return fetch_within_quota

    async def remembered(self, key: str, fetch: Fetch) -> Any:
        """A cached answer, else ``fetch``'s (None is not kept): askers of one key at the same
        moment share one upstream call."""
        now = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        try:
            cached = await self._cache.get(key, now)
        except StoreUnavailable:
            log.warning("search cache unavailable; asking upstream directly")
            cached = None
        if cached is not None:
            return cached
        inflight = self._inflight.get(key)
        if inflight is None:  # the first asker fetches; the others wait for its answer
            inflight = asyncio.ensure_future(self._fetch(key, fetch, now))
            self._inflight[key] = inflight
            inflight.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(inflight)

    async def _fetch(self, key: str, fetch: Fetch, now: dt.datetime) -> Any:
        value = await fetch()
        if value is not None:
            try:
                await self._cache.put(key, value, now + self._lifetime)
            except StoreUnavailable:
                log.warning("search cache unavailable; answer not cached")
        return value
