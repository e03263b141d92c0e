"""Every connection's heartbeat from one timer, instead of a task per connection.

python-engineio (4.15) sends each connection's PING from a task of its own, started at the
handshake and again on every PONG: it sleeps ``ping_interval``, then queues the PING for the
connection's writer task. N idle connections are N sleeping tasks (and their timers), and
every interval N task creations, N queue wake-ups and N writer wake-ups; a closed connection's
task sleeps on for the rest of its interval, holding the socket.

Here one loop per server sends the PINGs that are due, from buckets of ``tick`` seconds: a
PING is written straight to the connection's transport when its writer is idle (as the
fan-out writes broadcasts, realtime.fanout), else queued as engine.io would queue it. What
engine.io decides stays its own: the ping-pong cycle (a PING only after the last one's PONG),
``last_ping`` and the timeouts its service task checks.
tests/integration/test_heartbeats.py fails if engine.io stops calling ``schedule_ping``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from functools import partial
from typing import Any

import socketio
from engineio import packet as eio_packet

from watchparty.realtime.fanout import DIRECT, text_frame

log = logging.getLogger(__name__)

PING_FRAME = text_frame(b"2")  # engine.io's PING packet, in one websocket frame
MAX_TICK_SECONDS = 0.5


class Heartbeats:
    def __init__(self, server: socketio.AsyncServer) -> None:
        self._engine = server.eio
        interval = float(self._engine.ping_interval)
        self._tick = min(MAX_TICK_SECONDS, interval / 10)
        self._buckets: dict[int, list[Any]] = {}  # tick number -> sockets due then
        self._task: asyncio.Task[None] | None = None
        self.sent = 0  # PINGs sent
        self.written = 0  # of those, written straight to the transport
        connect = self._engine.handlers["connect"]

        async def connected(sid: str, environ: dict[str, Any]) -> Any:
            socket = self._engine.sockets.get(sid)
            if socket is not None:  # engine.io calls this just before its first schedule_ping
                socket.schedule_ping = partial(self.schedule, socket)
            return await connect(sid, environ)

        self._engine.handlers["connect"] = connected

    def schedule(self, socket: Any) -> None:
        """engine.io's ``schedule_ping``: a PING one interval from now. One cycle at a time, as
        engine.io's own: ``last_ping`` is set from the handshake, or from a PING until its
        PONG, which schedules the next."""
        if not socket.last_ping:
            return
        socket.last_ping = None
        due = asyncio.get_running_loop().time() + float(self._engine.ping_interval)
        self._buckets.setdefault(math.ceil(due / self._tick), []).append(socket)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeats")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._buckets.clear()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        done = math.floor(loop.time() / self._tick)
        while True:
            await asyncio.sleep(self._tick)
            now = math.floor(loop.time() / self._tick)
            for number in range(done + 1, now + 1):
                for socket in self._buckets.pop(number, ()):
                    await self._ping(socket)
            done = now

    async def _ping(self, socket: Any) -> None:
        if socket.closing or socket.closed or self._engine.sockets.get(socket.sid) is not socket:
            return
        socket.last_ping = time.time()
        self.sent += 1
        direct = socket.__dict__.get(DIRECT)
        if direct is not None and direct.writable():
            direct.pending.append(PING_FRAME)  # after any broadcast frames gathered for it
            direct.flush()
            self.written += 1
            return
        try:
            await socket.send(eio_packet.Packet(eio_packet.PING))
        except Exception:
            log.debug("no PING for %s: it is closing", socket.sid)
