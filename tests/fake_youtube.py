"""A local stand-in for the YouTube Data API v3 (``search`` and ``videos``) and YouTube's public
oEmbed endpoint, in their documented JSON formats, error bodies included. No test talks to the
internet.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

KEY = "AIzaFakeKeyForTests-0123456789abcdefghi"

CATALOG = {
    "dQw4w9WgXcQ": ("Rick Astley - Never Gonna Give You Up", "Rick Astley", "PT3M33S"),
    "9bZkp7q19f0": ("PSY - GANGNAM STYLE", "officialpsy", "PT4M13S"),
    "kJQP7kiw5Fk": ("Luis Fonsi - Despacito ft. Daddy Yankee", "LuisFonsiVEVO", "PT4M42S"),
    "jfKfPfyJRdk": ("lofi hip hop radio - beats to relax/study to", "Lofi Girl", "P0D"),
    "aqz-KE-bpKQ": (
        "Big Buck Bunny 60fps 4K - Official Blender Foundation Short Film",
        "Blender",
        "PT10M35S",
    ),
    "XqZsoesa55w": ("Baby Shark Dance | Sing and Dance!", "Pinkfong", "PT2M17S"),
}


def error_body(code: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


@dataclass
class FakeYouTube:
    mode: str = "ok"  # ok | quota | broken | slow | bad_key
    delay: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    page_size: int = 2

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/youtube/v3/search", self.search)
        app.router.add_get("/youtube/v3/videos", self.videos)
        app.router.add_get("/oembed", self.oembed)
        return app

    async def _gate(self, request: web.Request, method: str) -> web.Response | None:
        self.calls[method] += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.mode == "slow":
            await asyncio.sleep(5)
        if request.query.get("key") != KEY or self.mode == "bad_key":
            body = error_body(400, "badRequest", "API key not valid. Please pass a valid API key.")
            return web.json_response(body, status=400)
        if self.mode == "quota":
            message = "The request cannot be completed because you have exceeded your quota."
            return web.json_response(
                error_body(403, "quotaExceeded", message, "youtube.quota"), status=403
            )
        if self.mode == "broken":
            return web.json_response(error_body(500, "backendError", "Backend Error"), status=500)
        return None

    async def search(self, request: web.Request) -> web.Response:
        if (refusal := await self._gate(request, "search")) is not None:
            return refusal
        assert request.query["type"] == "video"
        words = request.query["q"].casefold().split()
        hits = [
            vid for vid, (title, *_) in CATALOG.items() if all(w in title.casefold() for w in words)
        ]
        token = request.query.get("pageToken")
        start = 0
        if token:
            if not token.startswith("page") or not token[4:].isdigit():
                message = "The request specifies an invalid page token."
                return web.json_response(error_body(400, "invalidPageToken", message), status=400)
            start = int(token[4:])
        page = hits[start : start + self.page_size]
        body: dict[str, Any] = {
            "kind": "youtube#searchListResponse",
            "pageInfo": {"totalResults": len(hits), "resultsPerPage": self.page_size},
            "items": [
                {"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": vid}}
                for vid in page
            ],
        }
        if start + self.page_size < len(hits):
            body["nextPageToken"] = f"page{start + self.page_size}"
        return web.json_response(body)

    async def videos(self, request: web.Request) -> web.Response:
        if (refusal := await self._gate(request, "videos")) is not None:
            return refusal
        assert set(request.query["part"].split(",")) == {"snippet", "contentDetails"}
        items = []
        for vid in request.query["id"].split(","):
            if vid not in CATALOG:
                continue
            title, channel, duration = CATALOG[vid]
            thumbs = {
                size: {"url": f"https://i.ytimg.com/vi/{vid}/{size}.jpg", "width": w, "height": h}
                for size, w, h in (("default", 120, 90), ("medium", 320, 180), ("high", 480, 360))
            }
            items.append(
                {
                    "kind": "youtube#video",
                    "id": vid,
                    "snippet": {
                        "publishedAt": "2009-10-25T06:57:33Z",
                        "title": title,
                        "channelTitle": channel,
                        "thumbnails": thumbs,
                    },
                    "contentDetails": {"duration": duration},
                }
            )
        return web.json_response({"kind": "youtube#videoListResponse", "items": items})

    async def oembed(self, request: web.Request) -> web.Response:
        """As youtube.com/oembed answers: the video's description, 404 "Not Found" for one
        it does not know, 400 for a URL that is not a video's (oembed.com, section 2.3.4)."""
        self.calls["oembed"] += 1
        if self.mode == "broken":
            return web.Response(status=500, text="Internal Server Error")
        if request.query.get("format") != "json":
            return web.Response(status=501, text="Not Implemented")
        url = request.query.get("url", "")
        prefix = "https://www.youtube.com/watch?v="
        if not url.startswith(prefix):
            return web.Response(status=400, text="Bad Request")
        vid = url[len(prefix) :]
        if vid not in CATALOG:
            return web.Response(status=404, text="Not Found")
        title, channel, _ = CATALOG[vid]
        return web.json_response(
            {
                "title": title,
                "author_name": channel,
                "author_url": f"https://www.youtube.com/@{channel.replace(' ', '')}",
                "type": "video",
                "height": 113,
                "width": 200,
                "version": "1.0",
                "provider_name": "YouTube",
                "provider_url": "https://www.youtube.com/",
                "thumbnail_height": 360,
                "thumbnail_width": 480,
                "thumbnail_url": f"https://i.ytimg.com/vi/{vid}/hqdefault.jpg",
                "html": f'<iframe width="200" height="113" src="https://www.youtube.com/embed/{vid}?feature=oembed"></iframe>',
            }
        )
