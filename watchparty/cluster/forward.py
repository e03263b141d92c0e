"""HTTP requests about a room another process holds, answered by that process.

A room's page and its REST routes need the live room, which only its holder has. When a
handler raises ``RoomElsewhere``, the middleware sends the request (method, path, headers,
body) to the holder over Redis; the holder replays it against its own app on a loopback
socket of its own (``Cluster.internal_url``) and sends the response back. The reply is
whatever the holder answered, so every route works the same on every process.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Middleware

from watchparty.cluster.errors import PeerGone
from watchparty.cluster.peers import Peers, RemoteFailure
from watchparty.errors import ApiError
from watchparty.rooms.ports import RoomElsewhere

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Marks a replayed request: it is not forwarded again (the room moved meanwhile: 503).
FORWARDED = "X-Watchparty-Forwarded"
# Headers about one connection, not the request (RFC 9110 7.6.1), or redone by aiohttp.
NOT_FORWARDED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "accept-encoding",
        FORWARDED.lower(),
    }
)


def _headers(pairs: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in pairs if k.lower() not in NOT_FORWARDED]


def to_holder(peers: Peers) -> Middleware:
    """The middleware that sends a request about a room held elsewhere to its holder."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except RoomElsewhere as elsewhere:
            if FORWARDED in request.headers:
                raise ApiError.of("room_moving") from None
            body = await request.read()  # aiohttp keeps the body: the handler read it first
            try:
                reply = await peers.call(
                    elsewhere.holder,
                    "http",
                    method=request.method,
                    path=request.path_qs,
                    headers=_headers(request.headers.items()),
                    body=base64.b64encode(body).decode(),
                )
            except (PeerGone, RemoteFailure):
                raise ApiError.of("room_unavailable") from None
            response = web.Response(status=reply["status"], body=base64.b64decode(reply["body"]))
            for key, value in reply["headers"]:
                response.headers.add(key, value)
            return response

    return middleware


class Replay:
    """The holder's side: a forwarded request, run against this process's own app."""

    def __init__(self) -> None:
        self.internal_url: str | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def __call__(
        self, method: str, path: str, headers: list[list[str]], body: str
    ) -> dict[str, Any]:
        if self.internal_url is None or self._session is None:
            raise RuntimeError("this process has no internal address to replay requests on")
        sent = [*((k, v) for k, v in headers), (FORWARDED, "1")]
        async with self._session.request(
            method,
            self.internal_url + path,
            headers=sent,
            data=base64.b64decode(body),
            allow_redirects=False,
        ) as response:
            content = await response.read()
            return {
                "status": response.status,
                "headers": _headers(response.headers.items()),
                "body": base64.b64encode(content).decode(),
            }
