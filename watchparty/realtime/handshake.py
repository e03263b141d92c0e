"""What a connection's HTTP handshake tells the ``/rooms`` namespace, kept without the request.

python-socketio keeps the environ of each connection's handshake for as long as the
connection lives (it hands it to ``on_connect``, which a client may trigger at any time on
an open connection), and python-engineio's aiohttp environ holds the whole aiohttp request:
its headers, its parsed message and, through it, aiohttp's handler of the connection. An
idle viewer kept all of that (docs/measurements/2026-12-07-detached-websockets.md). The
namespace reads four things of it, taken here once, at the handshake.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from watchparty.accounts.session import SESSION_COOKIE, from_host
from watchparty.addresses import Network, address_of

HANDSHAKE = "watchparty.handshake"  # the environ key python-socketio's copy keeps


@dataclass(frozen=True, slots=True)
class Handshake:
    remote: str | None  # the peer's address
    forwarded_for: tuple[str, ...]  # every X-Forwarded-For line, for a trusted proxy's peer
    session: str | None  # the session cookie, as aiohttp parses cookies
    origin: str | None
    host: str

    @classmethod
    def of(cls, request: web.BaseRequest) -> Handshake:
        headers = request.headers
        return cls(
            remote=request.remote,
            forwarded_for=tuple(headers.getall("X-Forwarded-For", ())),
            # aiohttp's parser, unlike ``SimpleCookie``, does not stop at another site's
            # oddly named cookie before ours.
            session=request.cookies.get(SESSION_COOKIE),
            origin=headers.get("Origin"),
            host=headers.get("Host", ""),
        )

    def address(self, proxies: tuple[Network, ...]) -> str:
        return address_of(self.remote, self.forwarded_for, proxies)

    def same_site(self) -> bool:
        """A handshake without ``Origin`` (not a browser's) or from a page of this host."""
        return self.origin is None or from_host(self.origin, self.host)


def handshake_of(environ: dict[str, Any]) -> Handshake | None:
    found = environ.get(HANDSHAKE)
    return found if isinstance(found, Handshake) else None


def keep_handshakes(engine: Any) -> None:
    """Hand python-socketio, at each engine.io connect, an environ with the ``Handshake``
    alone: the request it came from is then freed once aiohttp is done with it."""
    handle_connect: Callable[..., Awaitable[Any]] = engine.handlers["connect"]

    async def on_connect(eio_sid: str, environ: dict[str, Any], *args: Any) -> Any:
        request = environ.get("aiohttp.request")
        kept = {HANDSHAKE: Handshake.of(request)} if isinstance(request, web.BaseRequest) else {}
        return await handle_connect(eio_sid, kept, *args)

    engine.on("connect", on_connect)
