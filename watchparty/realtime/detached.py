"""A websocket that outlives its HTTP request: aiohttp's connection, once upgraded, handed to a
small protocol of its own.

aiohttp serves a websocket inside the request that opened it: for the connection's whole
life it keeps the request (its parsed message and headers), the response, its handler of the
connection, a task for that handler and another for the request, and the frames of every
middleware the request passed through. For an idle viewer that came to about 10 KiB of the
22 it cost (docs/measurements/2026-12-07-detached-websockets.md). Node's
``ws`` lets go of the HTTP request once the upgrade is answered.

Here, once aiohttp has answered the handshake (so its checks of the handshake stay its
own), the connection's transport is given to ``DetachedConnection``, which feeds the same
aiohttp frame parser (``WebSocketReader``) and message queue the response set up, and does
what ``WebSocketResponse.receive`` does with control frames: it answers a PING, and a CLOSE,
and closes on a frame the parser refuses, with its code. aiohttp is then told the connection
is gone, as it is told of a closed one, and the request returns. docs/decisions/005-library-
patches.md names the parts of aiohttp this reaches into and the tests that fail if they change.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

from aiohttp import WebSocketError, WSCloseCode, WSMsgType, web
from aiohttp.streams import EofStream

log = logging.getLogger(__name__)

CLOSE_OPCODE = 0x8
PONG_OPCODE = 0xA


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """An unmasked, final WebSocket frame (RFC 6455 5.2), as a server sends it."""
    size = len(payload)
    first = 0x80 | opcode
    if size < 126:
        header = bytes((first, size))
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


class DetachedConnection(asyncio.Protocol):
    """A websocket's transport and its parser, after the HTTP request that opened it."""

    __slots__ = ("_reading_paused", "closed", "queue", "reader", "transport")

    def __init__(self, transport: asyncio.Transport, queue: Any, reader: Any) -> None:
        self.transport = transport
        self.queue = queue  # aiohttp's WebSocketDataQueue: messages parsed, not yet read
        self.reader: Any = reader  # aiohttp's WebSocketReader: the frame parser
        self._reading_paused = False  # read by the queue, which pauses a fast sender
        self.closed = False  # a CLOSE frame sent: nothing more is written

    # asyncio.Protocol

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        if reader is not None:
            reader.feed_data(data)

    def eof_received(self) -> bool | None:
        return None  # the transport closes, and ``connection_lost`` follows

    def connection_lost(self, exc: BaseException | None) -> None:
        # Not ``closed``: what the client sent before it went is still read, then the end.
        reader = self.reader
        if reader is not None:
            reader.feed_eof()

    def pause_writing(self) -> None:
        """Writes are not awaited here: the fan-out watches the transport's buffer."""

    def resume_writing(self) -> None:
        pass

    # what the queue asks of its protocol

    def pause_reading(self) -> None:
        if not self._reading_paused:
            self._reading_paused = True
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self._reading_paused:
            self._reading_paused = False
            self.transport.resume_reading()

    # the websocket

    def write(self, data: bytes) -> None:
        if not self.closed and not self.transport.is_closing():
            self.transport.write(data)

    def has_more(self) -> bool:
        """Whether messages are parsed and waiting to be read (a client's burst)."""
        return bool(self.queue._buffer)

    async def receive(self) -> str | bytes | None:
        """The next text or binary message; None once the connection is closing or closed.
        A PING is answered, a CLOSE answered and the connection closed, and a frame the parser
        refuses closes it with the parser's code, as ``WebSocketResponse.receive`` does."""
        while not self.closed:
            try:
                message = await self.queue.read()
            except EofStream:
                break
            except WebSocketError as error:
                self.close(error.code)
                break
            except Exception:
                log.exception("websocket read error")
                self.close(WSCloseCode.INTERNAL_ERROR)
                break
            kind = message.type
            if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
                data: str | bytes = message.data
                return data
            if kind is WSMsgType.PING:
                self.write(frame(message.data, PONG_OPCODE))
            elif kind is WSMsgType.CLOSE:
                self.close()
                break
        return None

    def close(self, code: int = WSCloseCode.OK) -> None:
        """A CLOSE frame with ``code``, then the connection closed once what is queued for it
        has been written. The client's CLOSE is not waited for: the transport closes behind
        the frame, which every client takes as the end of the connection."""
        if self.closed:
            return
        self.closed = True
        transport = self.transport
        if not transport.is_closing():
            transport.write(frame(struct.pack("!H", code), CLOSE_OPCODE))
            transport.close()

    def forget_parser(self) -> None:
        """The parser and the queue, let go once the connection is over: the queue refers
        back to this protocol (a cycle only the cycle collector would free)."""
        self.reader = None
        self.queue._protocol = None


class DetachableResponse(web.WebSocketResponse):
    """aiohttp's websocket response, which can hand its connection to ``DetachedConnection``."""

    detached = False

    def detach(self) -> DetachedConnection:
        """Take the connection from aiohttp, which then treats it as closed by the peer and
        ends the request (returning this response writes nothing more)."""
        request, queue = self._req, self._reader  # queue: its protocol is replaced below
        if request is None or request.transport is None or queue is None:
            raise RuntimeError("a websocket is detached once prepared, while connected")
        transport: Any = request.transport
        handler = request.protocol  # aiohttp's RequestHandler of this connection
        connection = DetachedConnection(transport, queue, self._parser)
        connection._reading_paused = handler._reading_paused
        queue._protocol = connection  # type: ignore[assignment]  # what it needs of one
        transport.set_protocol(connection)
        handler._payload_parser = None  # or its connection_lost would end the stream
        handler.transport = None  # or its connection_lost would close the transport
        handler.connection_lost(None)
        self._reader = self._parser = None
        self.detached = True
        return connection

    async def write_eof(self) -> None:  # type: ignore[override]
        if not self.detached:
            await super().write_eof()
