"""Local stand-ins of the video services a room embeds, for the browser tests (CI has no
internet): Vimeo's, Twitch's and Dailymotion's player scripts, with the calls, events and
answers their documentation gives, driving a frame of their own origin by postMessage as the
real ones do; and a PeerTube instance's ``GET /api/v1/videos/{id}``. They play
tests/media's clip and HLS stream.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from watchparty.http import Handler

HERE = Path(__file__).parent / "fake_players"
MEDIA = Path(__file__).parent / "media"
MISSING_PEERTUBE = "9c9de5e8-0a1e-484a-b099-000000000000"
SCRIPTS = {
    "/vimeo/api/player.js": "vimeo.js",
    "/twitch/js/embed/v1.js": "twitch.js",
    "/dailymotion/libs/player.js": "dailymotion.js",
}


@web.middleware
async def _anyone(request: web.Request, handler: Handler) -> web.StreamResponse:
    """PeerTube's API and media answer any origin, as the instances do."""
    response = await handler(request)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


class FakePlayers:
    """The stand-ins, on one origin (``base_url`` once served)."""

    def __init__(self) -> None:
        self.base_url = ""
        self.described: list[str] = []  # the PeerTube ids asked about

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_anyone])
        for path in SCRIPTS:
            app.router.add_get(path, self.script)
        app.router.add_get("/frame.html", self.file)
        app.router.add_get("/frame.js", self.file)
        app.router.add_get("/api/v1/videos/{id}", self.peertube_video)
        app.router.add_static("/media", MEDIA)
        return app

    def settings(self) -> dict[str, str]:
        """The server's settings that point at these stand-ins."""
        return {
            "vimeo_player_url": f"{self.base_url}/vimeo/api/player.js",
            "twitch_player_url": f"{self.base_url}/twitch/js/embed/v1.js",
            "dailymotion_player_url": f"{self.base_url}/dailymotion/libs/player.js",
        }

    async def script(self, request: web.Request) -> web.Response:
        shared = (HERE / "embed.js").read_text()
        own = (HERE / SCRIPTS[request.path]).read_text()
        return web.Response(text=f"{shared}\n{own}", content_type="application/javascript")

    async def file(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(HERE / request.path.lstrip("/"))

    async def peertube_video(self, request: web.Request) -> web.Response:
        video_id = request.match_info["id"]
        self.described.append(video_id)
        if video_id == MISSING_PEERTUBE:
            error = {"type": "about:blank", "title": "Not Found", "status": 404}
            return web.json_response(error, status=404, content_type="application/problem+json")
        origin = f"{request.scheme}://{request.host}"
        return web.json_response(
            {
                "uuid": "9c9de5e8-0a1e-484a-b099-e80766180a6d",
                "shortUUID": video_id,
                "name": "A PeerTube video",
                "duration": 20,
                "isLive": False,
                "channel": {"name": "films", "displayName": "Free films"},
                "thumbnailPath": f"/lazy-static/thumbnails/{video_id}.jpg",
                "files": [],
                "streamingPlaylists": [
                    {"id": 1, "type": 1, "playlistUrl": f"{origin}/media/hls/stream.m3u8"}
                ],
            }
        )
