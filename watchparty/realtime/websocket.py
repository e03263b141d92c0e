"""Each connection's websocket: python-engineio's aiohttp websocket, written to directly.

python-engineio (4.15) serves a websocket with two tasks besides the request's own: a writer
that waits on the connection's packet queue and sends what it takes, and, for every message
the client sends, a task to read it under ``wait_for``. An idle connection holds both, and
each clock ping costs a task created, a queue wake-up and a writer wake-up. Node's socket.io
writes a packet to the socket when it is sent.

Here a connection that opens as a websocket (as the page's and the client library's do) is
served by ``DirectWebSocket._serve``: the connection leaves its HTTP request once the
handshake is answered (realtime.detached), one task reads it, and every packet queued for the
connection is framed and written at once, in the order queued, behind any frames
the room fan-out (realtime.fanout) gathered for it. A clock ping in its usual form is
answered right there (realtime.clock_pings). What engine.io decides stays its own:
the packets, ``receive``, the ping-timeout check in ``send`` and ``close``. A connection
that upgrades from long-polling, or one with per-message deflate on, keeps engine.io's
handler and writer task. docs/decisions/005-library-patches.md names the tests that fail
if the library changes underneath.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from aiohttp import web
from engineio import exceptions as engineio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as engineio_aiohttp

from watchparty.realtime.clock_pings import CLOCK_PINGS, ClockPings
from watchparty.realtime.detached import DetachableResponse, DetachedConnection, frame
from watchparty.realtime.patches import UNDECODABLE
from watchparty.realtime.slim_queue import SlimQueue
from watchparty.stopping import STOP_SECONDS, ended_within

log = logging.getLogger(__name__)

DIRECT = "_watchparty_direct"  # set on an engine.io socket whose websocket can be written to
COMPRESS = "_watchparty_compress"  # on the engine.io server: per-message deflate on or off
FANOUT = "_watchparty_fanout"  # on the engine.io server: the room fan-out (``Fanout``)
SERVING = "_watchparty_serving"  # on the engine.io server: the tasks serving detached websockets


def text_frame(payload: bytes) -> bytes:
    """A text frame: every packet of this protocol is text (JSON)."""
    return frame(payload)


class Fanout(Protocol):
    """What a websocket needs of the room fan-out (realtime.fanout.FanoutManager)."""

    backlog: set[DirectWebSocket]

    def keeps_up(self, socket: Any, transport: asyncio.Transport) -> bool: ...


class DirectWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]  # untyped library
    """python-engineio's aiohttp websocket, opened with the compression setting, which tells
    the fan-out when its transport may be written to directly."""

    def __init__(self, handler: Any, server: Any) -> None:
        super().__init__(handler, server)
        self.socket: Any = getattr(handler, "__self__", None)  # the engine.io socket it serves
        self.fanout: Fanout = getattr(server, FANOUT)  # set with this class, by the fan-out
        self.transport: asyncio.Transport | None = None
        self.idle = False  # nothing queued that engine.io's writer has yet to send
        # Frames the fan-out gathered for this connection during a burst, written together
        # (one system call) by ``flush``: when the fan-out flushes, or before
        # anything else is sent here, so that the order stays the order they were sent in.
        self.pending: list[bytes] = []
        self._closing: asyncio.Task[Any] | None = None
        self.connection: DetachedConnection | None = None  # once served by ``_serve``

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        compress = bool(getattr(self.server, COMPRESS, False))
        response = DetachableResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=compress
        )
        self._sock: Any = response  # engine.io's name; None once detached
        await response.prepare(request)
        socket = self.socket
        if compress or socket is None or request.transport is None:
            self.environ = environ
            await self.handler(self)
            return response
        self.transport = request.transport
        setattr(socket, DIRECT, self)
        if not socket.connected:  # opened as a websocket: served here, apart from the request
            self.connection = response.detach()
            self._sock = None
            serving: set[asyncio.Task[None]] = getattr(self.server, SERVING)
            task = asyncio.get_running_loop().create_task(self._serve(socket))
            serving.add(task)
            task.add_done_callback(serving.discard)
            return response
        try:  # an upgrade from long-polling: engine.io's handler, in the request
            socket.poll = self._watch(socket.poll)
            await self.handler(self)
        finally:
            self._forget(socket)
        return response

    def _forget(self, socket: Any) -> None:
        self.fanout.backlog.discard(self)
        socket.__dict__.pop(DIRECT, None)
        socket.__dict__.pop("poll", None)

    async def _serve(self, socket: Any) -> None:
        """engine.io's ``_websocket_handler`` for a connection that opened as a websocket,
        without its writer task and its task per message read, in a task of its own."""
        try:
            await self._serve_messages(socket)
        except Exception:
            log.exception("%s: websocket error", socket.sid)
        finally:
            self._forget(socket)
            if self.connection is not None:
                self.connection.close()
                self.connection.forget_parser()
            # As engine.io's connect does once a websocket's handler returns.
            sockets = self.server.sockets
            if socket.closed and sockets.get(socket.sid) is socket:
                del sockets[socket.sid]

    async def _serve_messages(self, socket: Any) -> None:
        engine = self.server
        clock_pings: ClockPings | None = getattr(engine, CLOCK_PINGS, None)
        socket.connected = socket.upgraded = True
        queue: SlimQueue = socket.queue
        queue.sink = self._send
        while queue.qsize():  # the OPEN packet, queued at the handshake
            self._send(queue.get_nowait())
            queue.task_done()
        self.idle = True
        try:
            while True:
                # No timeout per message (a timer and a context each time: aiohttp's own
                # comment puts that at up to half of its receive loop): the heartbeat
                # (realtime.heartbeats) closes a client that stops answering PINGs, and the
                # websocket of a connection closed while its client held on.
                try:
                    data = await self.wait()
                except asyncio.CancelledError:  # as engine.io's handler
                    break
                if data is None:
                    break
                answer = None
                if clock_pings is not None and isinstance(data, str) and not socket.closing:
                    try:
                        answer = await clock_pings.answer(socket.sid, data)
                    except Exception:
                        log.exception("%s: clock ping error", socket.sid)
                        continue
                if answer is not None:
                    self._write_frame(frame(f"4{answer}".encode()))  # an Engine.IO MESSAGE
                elif not await self._receive(socket, data):
                    break
                if self in self.fanout.backlog:
                    # More of a burst is read already: a turn for this message's handler to
                    # broadcast while the fan-out still sees the burst (as engine.io's reader,
                    # one message a turn, let it).
                    await asyncio.sleep(0)
        finally:
            # Unhooked, or the queue and this websocket would hold each other (a cycle that
            # only a full garbage collection frees).
            queue.sink = None
            self.idle = False
        await self.close()
        await socket.close(wait=False, abort=True, reason=engine.reason.TRANSPORT_CLOSE)

    async def _receive(self, socket: Any, data: Any) -> bool:
        """A message for engine.io, as its reader hands one over; False: the connection
        ends (a message that is no Engine.IO packet, or the socket closed)."""
        try:
            pkt = eio_packet.Packet(encoded_packet=data)
        except UNDECODABLE:
            log.info("%s: closing: sent a message that is no Engine.IO packet", socket.sid)
            return False
        try:
            await socket.receive(pkt)
        except engineio_exceptions.UnknownPacketError:
            pass
        except engineio_exceptions.SocketIsClosedError:
            return False
        except Exception:
            log.exception("%s: receive error", socket.sid)
        return True

    def _send(self, pkt: Any) -> None:
        """A packet queued for this connection, written now. ``None`` is engine.io's "no more"
        (``patches.close_connection``): the websocket closes, as engine.io's writer would."""
        if pkt is None:
            if self.connection is not None:
                self.flush()
                self.connection.close()
            elif self._closing is None and not self._sock.closed:
                self._closing = asyncio.ensure_future(self._sock.close())
            return
        self._write_message(pkt.encode())

    def _write_message(self, encoded: str | bytes) -> None:
        if isinstance(encoded, str):
            self._write_frame(frame(encoded.encode()))
        else:
            self._write_frame(frame(encoded, opcode=0x2))

    def _write_frame(self, data: bytes) -> None:
        """A packet's frame, written now (after what the fan-out gathered for it)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        self.write(data)
        self.fanout.keeps_up(self.socket, transport)

    def _watch(self, poll: Any) -> Any:
        """engine.io's poll, marking when its writer waits with nothing in hand."""

        async def watched_poll() -> Any:
            socket = self.socket
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

        return watched_poll

    def write(self, data: bytes) -> None:
        """One frame, now: after the frames the fan-out gathered for this connection."""
        self.pending.append(data)
        self.flush()

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
        connection = self.connection
        if connection is not None:
            data = await connection.receive()
            more = data is not None and connection.has_more()
        else:
            message = await self._sock.receive()
            data = message.data if isinstance(message.data, str | bytes) else None
            # Should aiohttp's queue of parsed messages change, no burst is ever seen.
            more = data is not None and bool(getattr(self._sock._reader, "_buffer", None))
        backlog = self.fanout.backlog
        if data is None:
            backlog.discard(self)
            return None
        if len(data) > self.server.max_http_buffer_size:
            backlog.discard(self)
            return None  # aiohttp's own limit is the same; as engine.io's reader does
        # More messages already parsed (a client's burst): their broadcasts are worth waiting
        # for before the fan-out writes (``FanoutManager._flush``).
        if more:
            backlog.add(self)
        else:
            backlog.discard(self)
        return data

    async def send(self, message: Any) -> None:
        """The engine.io writer's way out: after the frames the fan-out gathered."""
        if self.connection is not None:  # served here: written now, as ``_send`` does
            self._write_message(message)
            return
        self.flush()
        await super().send(message)

    async def close(self) -> None:
        self.flush()
        if self.connection is not None:
            self.connection.close()
        else:
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


async def websockets_served_to_end(engine: Any, within: float = STOP_SECONDS) -> None:
    """Wait for the tasks serving websockets to end (each does once its connection closes),
    within a bound: aiohttp's shutdown no longer waits for them, as they left their
    requests."""
    await ended_within(set(getattr(engine, SERVING, ())), within=within)
