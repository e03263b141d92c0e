"""``/api/search/youtube`` and ``/api/videos/youtube/<id>``."""

from __future__ import annotations

import re
from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from watchparty.addresses import client_address
from watchparty.apidoc import Doc, documented
from watchparty.errors import ApiError
from watchparty.http import read_query
from watchparty.keys import ANONYMOUS_SEARCHES, SEARCH, SEARCH_LIMIT, SESSIONS, SETTINGS
from watchparty.ratelimit import too_many
from watchparty.search.service import SearchService
from watchparty.search.youtube import SearchPage, Video

VIDEO_ID = r"^[A-Za-z0-9_-]{11}$"


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")  # cache-busting parameters are harmless
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    page_token: Annotated[str, Field(max_length=200, pattern=r"^[A-Za-z0-9_-]+$")] | None = None


async def limit_lookups(request: web.Request) -> None:
    """Searches and video lookups per client address (each may cost an upstream call)."""
    client = client_address(request, request.config_dict[SETTINGS].trusted_proxies)
    verdict = await request.config_dict[SEARCH_LIMIT].hit(client)
    if not verdict.allowed:
        raise too_many(verdict, "searches")


def _service(request: web.Request) -> SearchService:
    """The search service, or 503 before anything else (the page probes for it this way)."""
    service = request.config_dict[SEARCH]
    if not service.enabled:
        raise ApiError.of("search_disabled")
    return service


@documented(
    Doc(
        "Search YouTube (through the server's key)",
        "search",
        SearchPage,
        query=SearchQuery,
        errors=(
            "search_disabled",
            "search_budget_used",
            "quota_exceeded",
            "invalid_page_token",
            "upstream_error",
            "upstream_timeout",
            "rate_limited",
        ),
        auth="optional",
    )
)
async def search_youtube(request: web.Request) -> web.Response:
    service = _service(request)
    query = read_query(request, SearchQuery)
    await limit_lookups(request)
    spend = None
    if await request.config_dict[SESSIONS].optional(request) is None:
        anonymous = request.config_dict[ANONYMOUS_SEARCHES]

        async def spend() -> bool:
            return (await anonymous.hit("everyone")).allowed

    return web.json_response(await service.search(query.q, query.page_token, spend))


@documented(
    Doc(
        "A YouTube video's title and duration",
        "search",
        Video,
        errors=(
            "search_disabled",
            "invalid_video_id",
            "video_not_found",
            "quota_exceeded",
            "upstream_error",
            "upstream_timeout",
            "rate_limited",
        ),
        path_patterns={"video_id": VIDEO_ID[1:-1]},
    )
)
async def youtube_video(request: web.Request) -> web.Response:
    service = request.config_dict[SEARCH]  # search_disabled when it has no way to ask
    video_id = request.match_info["video_id"]
    if not re.fullmatch(VIDEO_ID, video_id):
        raise ApiError.of("invalid_video_id")
    await limit_lookups(request)
    video = await service.video(video_id)
    if video is None:
        raise ApiError.of("video_not_found", service="YouTube")
    return web.json_response(video)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/search/youtube", search_youtube)
    app.router.add_get("/videos/youtube/{video_id}", youtube_video)
