"""Room fan-out: one frame, written to every upgraded websocket (and the bound on what one
slow connection may hold back). It reaches into python-engineio's sockets and aiohttp's
websocket by design; docs/decisions/003-direct-fanout.md tells why and how it was measured.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from watchparty.realtime.room_index import IndexedRooms
from watchparty.realtime.websocket import (
    COMPRESS,
    DIRECT,
    FANOUT,
    SERVING,
    DirectWebSocket,
    text_frame,
)

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
# Order per connection is kept by writing directly only while nothing queued for that
# connection waits to be sent: a connection served by realtime.websocket writes each packet
# as it is queued; one upgraded from long-polling has engine.io's writer, which must be idle
# (waiting for its queue) with nothing in its hands (``queue._unfinished_tasks`` counts a
# packet until the writer has taken it). Otherwise the packet goes through the queue like any
# other, behind what is already there. Polling clients always take the queue. What this
# needs from python-engineio 4.15 / python-socketio 5.18 is checked by
# tests/integration/test_fanout.py::test_the_engine_internals_this_relies_on.
#
# A frame is written at once, as Node's socket.io does, unless some connection has messages
# received and not yet read (a client's burst of commands): then each viewer's frames are
# gathered and written together once the burst is read or MAX_GATHER_SECONDS have passed, so
# that a burst costs each viewer a few system calls instead of one per command.

MAX_QUEUED_PACKETS = 1000  # per connection, beyond which it counts as too slow
# How long gathered frames may wait for commands already received (a burst) before they are
# written anyway: the most a burst's first broadcast is held back (under a frame at 60 fps).
MAX_GATHER_SECONDS = 0.010


class FanoutManager(IndexedRooms, socketio.AsyncManager):  # type: ignore[misc]  # untyped library
    """The client manager (python-socketio's extension point for how emits reach clients)
    with the direct fan-out above, each socket's rooms indexed (realtime.room_index), and a
    bound on what one slow connection may hold back: past ``max_buffer`` bytes unsent or
    ``max_queued`` packets queued, the connection is closed (its client reconnects and gets
    the room's state afresh) rather than let it grow without end."""

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
                if not self.keeps_up(socket, transport):
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

    def keeps_up(self, socket: Any, transport: asyncio.Transport) -> bool:
        """Whether a connection reads what it is sent; past ``max_buffer`` unsent, it is
        closed (``realtime.websocket`` asks after each packet it writes)."""
        if transport.get_write_buffer_size() <= self.max_buffer:
            return True
        if not (socket.closing or socket.closed):
            self._drop(socket, transport)
        return False

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
    setattr(engine, FANOUT, server.manager)
    setattr(engine, SERVING, set())
