"""Every connection's heartbeat from one timer, instead of a task per connection.

python-engineio (4.15) sends each connection's PING from a task of its own, started at the
handshake and again on every PONG: it sleeps ``ping_interval``, then queues the PING for the
connection's writer task. N idle connections are N sleeping tasks (and their timers), and
every interval N task creations, N queue wake-ups and N writer wake-ups; a closed connection's
task sleeps on for the rest of its interval, holding the socket.

Its "service task" then walks every connection each ``ping_timeout``, one ``wait_for`` per
connection, to find those whose PONG is overdue: for N idle connections, N timed waits every
20 s whether any PING is outstanding or not.

Here one loop per server does both from buckets of ``tick`` seconds: it sends the PINGs that
are due, written straight to the connection's transport when its writer is idle (as the
fan-out writes broadcasts, realtime.fanout), else queued as engine.io would queue it; and,
``ping_timeout`` after each PING, looks at that one connection: unanswered, engine.io's own
``check_ping_timeout`` closes it. What engine.io decides stays its own: the ping-pong cycle
(a PING only after the last one's PONG), ``last_ping`` and the closing.
tests/integration/test_heartbeats.py fails if engine.io stops calling ``schedule_ping``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Coroutine
from typing import Any

import socketio
from engineio import packet as eio_packet

from watchparty.realtime.engine_socket import override
from watchparty.realtime.websocket import DIRECT, text_frame
from watchparty.stopping import cancel_and_wait

log = logging.getLogger(__name__)

PING_FRAME = text_frame(b"2")  # engine.io's PING packet, in one websocket frame
MAX_TICK_SECONDS = 0.5


class Heartbeats:
    def __init__(self, server: socketio.AsyncServer) -> None:
        self._engine = server.eio
        interval = float(self._engine.ping_interval)
        self._tick = min(MAX_TICK_SECONDS, interval / 10)
        self._buckets: dict[int, list[Any]] = {}  # tick number -> sockets to ping then
        self._checks: dict[int, list[tuple[Any, float]]] = {}  # -> (socket, its PING's time)
        self._engine.start_service_task = False  # its timeouts are checked here
        self._task: asyncio.Task[None] | None = None
        self.sent = 0  # PINGs sent
        self.written = 0  # of those, written straight to the transport
        heartbeats = self

        def schedule_ping(socket: Any) -> None:
            heartbeats.schedule(socket)

        override(self._engine, "schedule_ping", schedule_ping)

    def schedule(self, socket: Any) -> None:
        """engine.io's ``schedule_ping``: a PING one interval from now. One cycle at a time, as
        engine.io's own: ``last_ping`` is set from the handshake, or from a PING until its
        PONG, which schedules the next."""
        if not socket.last_ping or socket.closing or socket.closed:
            return  # a PONG after the end starts nothing
        socket.last_ping = None
        due = asyncio.get_running_loop().time() + float(self._engine.ping_interval)
        self._buckets.setdefault(self._number(due), []).append(socket)

    def _number(self, at: float) -> int:
        return math.ceil(at / self._tick)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeats")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None
        self._buckets.clear()
        self._checks.clear()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        done = math.floor(loop.time() / self._tick)
        while True:
            await asyncio.sleep(self._tick)
            now = math.floor(loop.time() / self._tick)
            for number in range(done + 1, now + 1):
                await self._due(number)
            done = now

    async def _due(self, number: int) -> None:
        """A tick's PINGs and checks; in a call of its own, so that no variable of the loop
        holds the last connection on until the next tick."""
        loop = asyncio.get_running_loop()
        for socket in self._buckets.pop(number, ()):
            await self._safely(self._ping(socket, loop.time()), socket)
        for socket, sent in self._checks.pop(number, ()):
            await self._safely(self._check(socket, sent), socket)

    @staticmethod
    async def _safely(step: Coroutine[Any, Any, None], socket: Any) -> None:
        """One connection's step; its failure must not stop every other's heartbeat."""
        try:
            await step
        except Exception:
            log.exception("heartbeat of %s failed", socket.sid)

    def _gone(self, socket: Any) -> bool:
        """Whether the connection ended; a closed one is dropped from the engine's table, as
        its service task would (a long-polling client may never come back to be told).

        A websocket still served after its connection closed (closed by this heartbeat, or
        for a packet that does not parse, while the client holds on) is ended here: ``None``
        ends its writer, which closes it. Its reader has no timeout of its own
        (realtime.websocket), and a client of ours closes on the CLOSE packet long before."""
        if socket.closed:
            if self._engine.sockets.get(socket.sid) is socket:
                del self._engine.sockets[socket.sid]
            if DIRECT in socket.__dict__:
                socket.queue.put_nowait(None)
        return bool(socket.closed or socket.closing)

    async def _ping(self, socket: Any, now: float) -> None:
        if self._gone(socket) or self._engine.sockets.get(socket.sid) is not socket:
            return
        socket.last_ping = sent = time.time()
        check = now + float(self._engine.ping_timeout) + self._tick
        self._checks.setdefault(self._number(check), []).append((socket, sent))
        self.sent += 1
        direct = socket.__dict__.get(DIRECT)
        if direct is not None and direct.writable():
            direct.write(PING_FRAME)
            self.written += 1
            return
        try:
            await socket.send(eio_packet.Packet(eio_packet.PING))
        except Exception:
            log.debug("no PING for %s: it is closing", socket.sid)

    async def _check(self, socket: Any, sent: float) -> None:
        """The PING sent at ``sent`` is still unanswered: engine.io closes the connection (as
        its service task would), and it is forgotten as the task would forget it."""
        if self._gone(socket) or socket.last_ping != sent:
            return  # closed, or answered since
        await socket.check_ping_timeout()
        self._gone(socket)
