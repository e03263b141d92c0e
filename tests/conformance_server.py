"""A Socket.IO server configured as the Socket.IO protocol's own conformance checks expect
(socketio/socket.io-protocol, its Readme's reference server): pings every 300 ms with a
200 ms timeout, a 1,000,000-byte payload cap, the main namespace and ``/custom``, an ``auth``
event echoing the handshake's payload, ``message`` echoed back as ``message-back`` and
``message-with-ack`` acknowledged with its arguments.

``ours`` builds it on watchparty's own stack (its client manager with the direct fan-out,
its websockets, its heartbeats and its packet guards, binary allowed as the protocol does);
otherwise it is plain python-socketio, the reference to compare with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import socketio
from aiohttp import web

from watchparty.keys import HEARTBEATS
from watchparty.realtime.fanout import MAX_QUEUED_PACKETS, FanoutManager, install_direct_websockets
from watchparty.realtime.heartbeats import Heartbeats
from watchparty.realtime.patches import (
    close_on_malformed_packets,
    own_packet_queues,
    refuse_malformed_polls,
    refuse_reserved_events,
    release_polls_on_close,
)

PING_INTERVAL = 0.3
PING_TIMEOUT = 0.2
MAX_PAYLOAD = 1_000_000


def conformance_app(*, ours: bool) -> web.Application:
    options: dict[str, Any] = {
        "async_mode": "aiohttp",
        "ping_interval": PING_INTERVAL,
        "ping_timeout": PING_TIMEOUT,
        "max_http_buffer_size": MAX_PAYLOAD,
        "cors_allowed_origins": "*",
        "namespaces": ["/", "/custom"],
    }
    if ours:
        options["client_manager"] = FanoutManager(max_queued=MAX_QUEUED_PACKETS)
    sio = socketio.AsyncServer(**options)

    async def connect(sid: str, environ: Any, auth: Any) -> None:
        await sio.emit("auth", auth or {}, to=sid)

    async def message(sid: str, *args: Any) -> None:
        await sio.emit("message-back", args if len(args) != 1 else args[0], to=sid)

    async def message_with_ack(sid: str, *args: Any) -> Any:
        return args

    async def custom_connect(sid: str, environ: Any, auth: Any) -> None:
        await sio.emit("auth", auth or {}, to=sid, namespace="/custom")

    sio.on("connect", connect)
    sio.on("message", message)
    sio.on("message-with-ack", message_with_ack)
    sio.on("connect", custom_connect, namespace="/custom")
    if ours:
        release_polls_on_close(sio)
        own_packet_queues(sio)
        refuse_reserved_events(sio)
        close_on_malformed_packets(sio, binary=True)
        refuse_malformed_polls(sio)
        install_direct_websockets(sio, compress=False)
    app = web.Application()
    sio.attach(app)
    if ours:
        heartbeats = app[HEARTBEATS] = Heartbeats(sio)

        async def beating(app: web.Application) -> AsyncIterator[None]:
            heartbeats.start()
            yield
            await heartbeats.stop()

        app.cleanup_ctx.append(beating)
    return app
