"""Local stand-ins for what the server asks of other video services, in their documented
formats: Vimeo's oEmbed endpoint (developer.vimeo.com/api/oembed/videos: ``url`` in, the
video's ``title``, ``author_name``, ``thumbnail_url``, ``duration`` out; 404 for no such video,
403 for one whose privacy settings keep it from being described) and Dailymotion's Data API
(developers.dailymotion.com: ``GET /video/<xid>?fields=a,b.c``, answered with exactly those
fields, a dotted one as a flat key; errors as ``{"error": {"code", "message"}}``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

VIMEO = {
    "76979871": ("The New Vimeo Player (You Know, For Videos)", "Vimeo Staff", 62),
    "123456789/abcdef1234": ("An unlisted video", "Someone", 95),
}
PRIVATE_VIMEO = "22439234"
DAILYMOTION = {
    "x8abc12": ("A Dailymotion\nvideo\u200b", "someone", 300.0, "vod"),
    "x8live1": ("A live stream", "news", 0, "live"),
    "x8inf00": ("Endless", "someone", float("inf"), "vod"),  # Python's JSON says Infinity
}


@dataclass
class FakeLookups:
    mode: str = "ok"  # ok | slow | broken
    calls: Counter[str] = field(default_factory=Counter)
    base_url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/vimeo/api/oembed.json", self.vimeo)
        app.router.add_get("/dailymotion/video/{xid}", self.dailymotion)
        return app

    def settings(self) -> dict[str, Any]:
        return {
            "vimeo_oembed_url": f"{self.base_url}/vimeo/api/oembed.json",
            "dailymotion_api_url": f"{self.base_url}/dailymotion",
            "lookup_timeout_seconds": 1,
        }

    async def _gate(self, service: str) -> web.Response | None:
        self.calls[service] += 1
        if self.mode == "slow":
            await asyncio.sleep(3)
        if self.mode == "broken":
            return web.Response(status=500, text="Internal Server Error")
        return None

    async def vimeo(self, request: web.Request) -> web.Response:
        if (refusal := await self._gate("vimeo")) is not None:
            return refusal
        url = request.query.get("url", "")
        prefix = "https://vimeo.com/"
        if not url.startswith(prefix):
            return web.Response(status=404, text="404 Not Found")
        video = url.removeprefix(prefix)
        if video == PRIVATE_VIMEO:
            return web.Response(status=403, text="403 Forbidden")
        if video not in VIMEO:
            return web.Response(status=404, text="404 Not Found")
        title, author, duration = VIMEO[video]
        return web.json_response(
            {
                "type": "video",
                "version": "1.0",
                "provider_name": "Vimeo",
                "provider_url": "https://vimeo.com/",
                "title": title,
                "author_name": author,
                "author_url": "https://vimeo.com/staff",
                "is_plus": "0",
                "account_type": "enterprise",
                "html": "<iframe></iframe>",
                "width": 640,
                "height": 360,
                "duration": duration,
                "description": "",
                "thumbnail_url": f"https://i.vimeocdn.com/video/{video.split('/')[0]}-d_640",
                "thumbnail_width": 640,
                "thumbnail_height": 360,
                "video_id": int(video.split("/")[0]),
                "uri": f"/videos/{video.replace('/', ':')}",
            }
        )

    async def dailymotion(self, request: web.Request) -> web.Response:
        if (refusal := await self._gate("dailymotion")) is not None:
            return refusal
        xid = request.match_info["xid"]
        if xid not in DAILYMOTION:
            error = {"code": 404, "message": "This video does not exist.", "type": "not_found"}
            return web.json_response({"error": error}, status=404)
        title, owner, duration, mode = DAILYMOTION[xid]
        known = {
            "title": title,
            "owner.screenname": owner,
            "duration": duration,
            "mode": mode,
            "thumbnail_360_url": f"https://s1.dmcdn.net/v/{xid}/x360",
        }
        fields = request.query.get("fields", "").split(",")
        return web.json_response({name: known[name] for name in fields if name in known})
