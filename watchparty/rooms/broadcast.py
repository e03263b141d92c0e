"""A room's state, told to its members: at once, or (queue changes) once per window.

Each state broadcast carries the whole queue to every member, so a burst of small queue edits
cost every viewer megabytes. A queue change therefore goes out at once unless another went out
less than ``QUEUE_WINDOW`` ago: then one broadcast at the end of that window carries the
latest state to everyone. Any other broadcast meanwhile carries the queue too, and the held
one is dropped.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from watchparty.rooms.live import LiveRoom
from watchparty.rooms.ports import Clock, Transport

QUEUE_WINDOW = 0.25
QUEUE_FLUSH = "queue.flush"


@dataclass(slots=True)
class QueueWindow:
    sent_at: float = -math.inf  # event-loop time of the room's last queue broadcast


class StateBroadcasts:
    def __init__(self, transport: Transport, clock: Clock) -> None:
        self._transport = transport
        self._clock = clock

    async def now(self, room: LiveRoom, event: str, by: str, skip_sid: str | None = None) -> None:
        """The room's state to its members (all but ``skip_sid``), as ``event``; a queue
        broadcast held back is dropped (this one carries the queue). Lock held."""
        room.tasks.cancel(QUEUE_FLUSH)
        await self._send(room, event, by, skip_sid)

    async def queue_changed(self, room: LiveRoom, by: str, skip_sid: str | None) -> None:
        """An ``UPDATE_QUEUE`` now, or once at the end of the window; lock held."""
        if room.tasks.pending(QUEUE_FLUSH):
            return  # a broadcast at the end of this window carries it
        window = room.part(QueueWindow)
        now = asyncio.get_running_loop().time()
        wait = window.sent_at + QUEUE_WINDOW - now
        if wait > 0:
            room.tasks.after(QUEUE_FLUSH, wait, lambda: self._flush(room, by))
            return
        window.sent_at = now
        await self._send(room, "UPDATE_QUEUE", by, skip_sid)

    async def _flush(self, room: LiveRoom, by: str) -> None:
        async with room.lock:
            if room.deleted:
                return
            room.part(QueueWindow).sent_at = asyncio.get_running_loop().time()
            await self._send(room, "UPDATE_QUEUE", by)

    async def _send(self, room: LiveRoom, event: str, by: str, skip_sid: str | None = None) -> None:
        payload = {"state": room.state.to_wire(), "by": by, "server_time": self._clock()}
        await self._transport.broadcast(event, payload, room.id, skip_sid=skip_sid)
