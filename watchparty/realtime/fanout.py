"""Room fan-out: one frame, written to every upgraded websocket (and the bound on what one
slow connection may hold back). It reaches into python-engineio's sockets and aiohttp's
websocket by design; docs/decisions/003-direct-fanout.md tells why and how it was measured.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Callable
from typing import Any

import socketio
from aiohttp import web
from engineio import exceptions as engineio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as engineio_aiohttp
from socketio import packet as sio_packet

log = logging.getLogger(__name__)

# --- Room fan-out: one frame, written to every upgraded websocket ------------------------------
#
# python-socketio encodes a room's packet once, then gives every recipient a task that puts it on
# that socket's queue, where python-engineio's writer task takes it and aiohttp frames it again (and
# deflates it, per connection, when the client offered permessage-deflate). Profiled at 200 viewers
# (docs/decisions/003-direct-fanout.md), those per-recipient hops and the compression were most of a
# delivery's cost. Here the frame is built once per broadcast and written straight to each
# websocket's transport: the same bytes aiohttp would write, in the order they would be written.
#
# Order per connection is kept by writing directly only while that connection's engine.io
# writer is idle (waiting for its queue) with nothing queued or in its hands
# (``queue._unfinished_tasks`` counts a packet until the writer has taken it); otherwise the
# packet goes through the queue like any other, behind what is already there. Polling clients
# always take the queue. What this needs from python-engineio 4.15 / python-socketio 5.18 is
# checked by tests/integration/test_fanout.py::test_the_engine_internals_this_relies_on.
#
# A frame is written at once, as Node's socket.io does, unless some connection has messages
# received and not yet read (a client's burst of commands): then each viewer's frames are
# gathered and written together once the burst is read or MAX_GATHER_SECONDS have passed, so
# that a burst costs each viewer a few system calls instead of one per command.

MAX_QUEUED_PACKETS = 1000  # per connection, beyond which it counts as too slow
# How long gathered frames may wait for commands already received (a burst) before they are
# written anyway: the most a burst's first broadcast is held back (under a frame at 60 fps).
MAX_GATHER_SECONDS = 0.010
DIRECT = "_watchparty_direct"  # set on an engine.io socket whose websocket can be written to
COMPRESS = "_watchparty_compress"  # on the engine.io server: per-message deflate on or off
BACKLOG = "_watchparty_backlog"  # on the engine.io server: websockets with messages unread


def text_frame(payload: bytes) -> bytes:
    """An unmasked, final WebSocket text frame (RFC 6455 5.2), as a server sends it."""
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


class DirectWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]  # untyped library
    """python-engineio's aiohttp websocket, opened with the compression setting, which tells
    the fan-out when its transport may be written to directly."""

    def __init__(self, handler: Any, server: Any) -> None:
        super().__init__(handler, server)
        self.socket: Any = getattr(handler, "__self__", None)  # the engine.io socket it serves
        # Shared with the fan-out: the websockets that have received more than they have read.
        self.backlog: set[DirectWebSocket] = getattr(server, BACKLOG, set())
        self.transport: asyncio.Transport | None = None
        self.idle = False  # the engine.io writer is waiting for its queue
        # Frames the fan-out gathered for this connection during a burst, written together
        # (one system call) by ``flush``: when the fan-out flushes, or before
        # anything else is sent here, so that the order stays the order they were sent in.
        self.pending: list[bytes] = []

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        compress = bool(getattr(self.server, COMPRESS, False))
        self._sock = web.WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=compress
        )
        await self._sock.prepare(request)
        self.environ = environ
        socket = self.socket
        direct = not compress and socket is not None and request.transport is not None
        if direct:
            self.transport = request.transport
            poll = socket.poll

            async def watched_poll() -> Any:
                self.idle = True
                try:
                    while True:
                        try:
                            return await poll()
                        except engineio_exceptions.QueueEmpty:
                            # engine.io's writer quits after an interval and a timeout with
                            # nothing queued; PINGs and broadcasts written past the queue make
                            # a quiet queue no sign of a dead connection (its reader's own
                            # timeout, on the client's PONGs, is that sign).
                            if socket.closing or socket.closed:
                                raise
                finally:
                    self.idle = False

            socket.poll = watched_poll
            setattr(socket, DIRECT, self)
        try:
            await self.handler(self)
        finally:
            self.backlog.discard(self)
            if direct:
                socket.__dict__.pop(DIRECT, None)
                socket.__dict__.pop("poll", None)
        return self._sock

    def flush(self) -> None:
        frames, self.pending = self.pending, []
        transport = self.transport
        if frames and transport is not None and not transport.is_closing():
            transport.write(frames[0] if len(frames) == 1 else b"".join(frames))

    async def wait(self) -> Any:
        """The next message, or None once the websocket closed.

        python-engineio's aiohttp driver raises ``OSError`` here instead, which its reader
        catches; the exception's traceback then holds the reader's frame, which holds the
        task holding the exception: a reference cycle per closed connection that takes the
        whole connection (request, protocol, transport, about 60 objects) with it, which only
        a full garbage collection frees. Under churn those collections took 200-600 ms with
        2,000 connections (docs/operations.md). None is what the reader itself takes for
        "closed by the client".
        tests/integration/test_fanout.py::test_a_closed_connection_is_freed_at_once fails if it
        comes back.
        """
        message = await self._sock.receive()
        if isinstance(message.data, str | bytes):
            # More messages already in aiohttp's queue of parsed ones (a client's burst): their
            # broadcasts are worth waiting for before the fan-out writes
            # (``FanoutManager._flush``). Should that queue change, no burst is ever seen.
            if getattr(self._sock._reader, "_buffer", None):
                self.backlog.add(self)
            else:
                self.backlog.discard(self)
            return message.data
        self.backlog.discard(self)
        return None

    async def send(self, message: Any) -> None:
        """The engine.io writer's way out: after the frames the fan-out gathered."""
        self.flush()
        await super().send(message)

    async def close(self) -> None:
        self.flush()
        await super().close()

    def writable(self) -> bool:
        socket, transport = self.socket, self.transport
        return (
            self.idle
            and transport is not None
            and not transport.is_closing()
            and socket.upgraded
            and not socket.upgrading
            and not socket.closing
            and socket.queue._unfinished_tasks == 0
        )


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]  # untyped library
    """The client manager (python-socketio's extension point for how emits reach clients)
    with the direct fan-out above, and a bound on what one slow connection may hold back:
    past ``max_buffer`` bytes unsent or ``max_queued`` packets queued, the connection is
    closed (its client reconnects and gets the room's state afresh) rather than let it
    grow without end."""

    # Defaults, because python-socketio's pub/sub managers call ``__init__()`` bare.
    def __init__(self, *, max_buffer: int = 1 << 20, max_queued: int = MAX_QUEUED_PACKETS) -> None:
        super().__init__()
        self.max_buffer = max_buffer
        self.max_queued = max_queued
        self.direct_deliveries = 0  # counted for tests and /healthz-style introspection
        self.direct_writes = 0  # the writes (system calls) those deliveries took
        self.dropped = 0
        self._gathered: list[DirectWebSocket] = []  # with frames to flush (``_flush``)
        self._flushing: asyncio.Handle | None = None
        self._gathering_since = 0.0  # when the frames in ``_gathered`` began to wait
        # The websockets with messages received and not yet read (``DirectWebSocket.wait``).
        self.backlog: set[DirectWebSocket] = set()
        # Told each room broadcast's fan-out time (seconds): /metrics' histogram.
        self.observe: Callable[[float], None] = lambda seconds: None

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if callback is not None or namespace not in self.rooms:
            return await super().emit(  # type: ignore[no-any-return]
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
        if isinstance(room, str) and room not in self.rooms[namespace]:
            # Nobody here (with several processes, every process hears every room's emits).
            return None
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(
            sio_packet.EVENT, namespace=namespace, data=[event, *args]
        ).encode()
        if isinstance(encoded, list):  # binary attachments: the library's own way
            return await super().emit(  # type: ignore[no-any-return]
                event, data, namespace, room=room, skip_sid=skip_sid, **kwargs
            )
        started = time.perf_counter()
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        sockets = self.server.eio.sockets
        frame: bytes | None = None
        queued: Any = None
        gather = bool(self.backlog)
        for sid, eio_sid in self.get_participants(namespace, room):
            if sid in skip:
                continue
            socket = sockets.get(eio_sid)
            if socket is None or socket.closed or socket.closing:
                continue
            direct: DirectWebSocket | None = socket.__dict__.get(DIRECT)
            if direct is not None and direct.writable():
                transport = direct.transport
                assert transport is not None
                if transport.get_write_buffer_size() > self.max_buffer:
                    self._drop(socket, transport)
                    continue
                if frame is None:
                    frame = text_frame(b"4" + encoded.encode())
                if direct.pending:  # behind frames still gathered
                    direct.pending.append(frame)
                elif gather:
                    self._gathered.append(direct)
                    direct.pending.append(frame)
                else:
                    transport.write(frame)
                    self.direct_writes += 1
                self.direct_deliveries += 1
            else:
                if socket.queue.qsize() >= self.max_queued:
                    self._drop(socket, direct.transport if direct else None)
                    continue
                if queued is None:
                    queued = eio_packet.Packet(eio_packet.MESSAGE, encoded)
                # Straight onto the queue, as ``socket.send`` would after its ping-timeout
                # check: that check can close the socket and run the disconnect handler right
                # here, inside a broadcast that holds its room's lock, which the handler needs.
                socket.queue.put_nowait(queued)
        if self._gathered and self._flushing is None:
            self._gathering_since = started
            self._flushing = asyncio.get_running_loop().call_soon(self._next_turn)
        self.observe(time.perf_counter() - started)
        return None

    def _next_turn(self) -> None:
        self._flushing = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Write what the last turns' broadcasts gathered: several broadcasts to one
        connection (a burst of commands) cost one system call instead of one each.

        While a connection has messages received and not yet read (a client's burst:
        engine.io reads one message every other turn), the frames wait for the broadcasts
        those will make, up to ``MAX_GATHER_SECONDS``: writes are most of a delivery's cost.
        """
        if self.backlog and time.perf_counter() - self._gathering_since < MAX_GATHER_SECONDS:
            self._flushing = asyncio.get_running_loop().call_soon(self._flush)
            return
        self._flushing = None
        gathered, self._gathered = self._gathered, []
        for direct in gathered:
            if direct.pending:  # else sent already, ahead of something the writer sent
                self.direct_writes += 1
                direct.flush()

    def _drop(self, socket: Any, transport: asyncio.Transport | None) -> None:
        """Close a connection that cannot keep up; its client reconnects and resyncs."""
        self.dropped += 1
        log.warning("closing connection %s: it is not reading what it is sent", socket.sid)
        if transport is not None:
            transport.abort()  # frees its unsent buffer now
        reason = self.server.eio.reason.TRANSPORT_ERROR
        self.server.start_background_task(socket.close, wait=False, abort=True, reason=reason)


def install_direct_websockets(server: socketio.AsyncServer, *, compress: bool) -> None:
    """Open this server's websockets with ``DirectWebSocket`` (per-message deflate as set)."""
    engine = server.eio
    engine._async = {**engine._async, "websocket": DirectWebSocket}
    setattr(engine, COMPRESS, compress)
    setattr(engine, BACKLOG, server.manager.backlog)
