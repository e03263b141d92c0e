"""``GET /api/videos?link=<link>``: what any playable link's video is (title, channel,
duration, live), asked of its service through the server and cached like YouTube's answers.

The page asks before it queues a link, with a timeout of its own: a lookup never holds up a
command, and a link whose service cannot be asked is simply queued without a title.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from watchparty.apidoc import Doc, documented
from watchparty.core.fields import VideoId
from watchparty.core.links import Link, service_link
from watchparty.core.media import media_kind
from watchparty.core.sources import kind_refusal
from watchparty.errors import ApiError
from watchparty.http import read_query
from watchparty.keys import LOOKUPS, SEARCH, SETTINGS
from watchparty.search.lookups import SERVICES, Described
from watchparty.search.routes import limit_lookups
from watchparty.search.youtube import YouTubeError


class LinkQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    link: VideoId


@documented(
    Doc(
        "What a link's video is: title, channel, duration (any kind of link)",
        "search",
        Described,
        query=LinkQuery,
        errors=(
            "source_disabled",
            "private_address",
            "video_not_found",
            "quota_exceeded",
            "upstream_error",
            "upstream_timeout",
            "rate_limited",
        ),
    )
)
async def describe_link(request: web.Request) -> web.Response:
    link = read_query(request, LinkQuery).link  # in the room's one spelling
    kind = media_kind(link)
    assert kind is not None  # VideoId took only playable links
    sources = request.config_dict[SETTINGS].sources
    refused = kind_refusal(kind, sources)
    if refused is not None:
        raise ApiError.rejected(refused)
    await limit_lookups(request)
    service = service_link(link)
    if service is None:  # a file or a stream: nothing to ask
        return web.json_response(Described(link=link, kind=kind).model_dump())
    lookups = request.config_dict[LOOKUPS]

    async def fetch() -> Any:
        found = await lookups.describe(service)
        return None if found is None else found.model_dump()

    if service.kind == "youtube":
        described = await _youtube(request, service)
    elif lookups.asks(service):
        key = "link:" + hashlib.sha256(link.encode()).hexdigest()  # ids are case-sensitive
        described = await request.config_dict[SEARCH].remembered(key, fetch)
    else:  # the link says all there is: nothing to cache
        described = await fetch()
    if described is None:
        raise ApiError.of("video_not_found", service=SERVICES[kind])
    return web.json_response(described)


async def _youtube(request: web.Request, link: Link) -> dict[str, Any] | None:
    """YouTube's answer (the Data API's or oEmbed's, as ``/api/videos/youtube/<id>``)."""
    known = Described(link=link.spelling, kind="youtube")
    try:
        video = await request.config_dict[SEARCH].video(link.spelling)
    except YouTubeError as error:
        if error.code != "search_disabled":
            raise
        return known.model_dump()  # the server has no way to ask YouTube
    if video is None:
        return None
    return known.model_copy(
        update={
            "title": video["title"],
            "channel": video["channel"] or None,
            "thumbnail": video["thumbnail"],
            "duration_seconds": video["duration_seconds"],
        }
    ).model_dump()


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/videos", describe_link)
