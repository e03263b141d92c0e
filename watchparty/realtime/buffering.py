"""Waiting for everyone: a room may pause while a member's player stalls, like a ready check.

Members report ``BUFFERING`` when their player stalls on the current video and ``READY`` when
it can play again. In a room whose owner turned ``wait_for_all`` on, the first stall of a
playing room holds it (paused, ``waiting``); when every stalled member is ready, or has left,
it plays on from where it held, scheduled ahead like any start. One bad connection cannot hold
the room for ever: after ``wait_seconds`` the room plays on without the members still stalled,
and their stalls no longer hold it until the video changes (they catch up by seeking). A
command from someone in the room (play, pause, a new video) ends the wait at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from watchparty.core import RoomState, hold, resume
from watchparty.realtime.registry import LiveRoom, Member, RoomRegistry


class Buffering:
    def __init__(self, registry: RoomRegistry, wait_seconds: float) -> None:
        self._registry = registry
        self._wait = wait_seconds
        registry.on_load.append(self._loaded)
        registry.on_state.append(self._state_changed)
        registry.on_leave.append(self._left)

    async def stalled(self, room: LiveRoom, member: Member, video_id: str) -> dict[str, Any]:
        async with room.lock:
            if room.deleted or room.state.video_id != video_id:
                return {"waiting": False}  # a report about a video the room has left
            room.stalled.add(member.key)
            if room.info.wait_for_all and room.state.playing and member.key not in room.left_behind:
                await self._registry.commit(
                    room, hold(room.state, self._registry.now()), "PAUSE", member.name
                )
                self._start_timer(room)
            return {"waiting": room.state.waiting}

    async def ready(self, room: LiveRoom, member: Member, video_id: str) -> dict[str, Any]:
        async with room.lock:
            if room.state.video_id == video_id:
                room.stalled.discard(member.key)
                await self._play_on_if_ready(room)
            return {"waiting": room.state.waiting}

    def _waited_for(self, room: LiveRoom) -> set[str]:
        present = {m.key for m in room.members.values()}
        return (room.stalled & present) - room.left_behind

    async def _play_on_if_ready(self, room: LiveRoom) -> None:
        """Call with the lock held."""
        if room.state.waiting and not room.deleted and not self._waited_for(room):
            await self._play_on(room, "everyone is ready")

    async def _play_on(self, room: LiveRoom, by: str) -> None:
        now = self._registry.now()
        await self._registry.commit(
            room, resume(room.state, now, self._registry.lead(room)), "PLAY", by
        )

    def _start_timer(self, room: LiveRoom) -> None:
        if room.wait_timer is not None:
            room.wait_timer.cancel()
        loop = asyncio.get_running_loop()
        version = room.state.version
        room.wait_timer = loop.call_later(
            self._wait, lambda: loop.create_task(self._timed_out(room, version))
        )

    async def _timed_out(self, room: LiveRoom, version: int) -> None:
        async with room.lock:
            room.wait_timer = None
            if room.deleted or room.state.version != version or not room.state.waiting:
                return
            room.left_behind |= room.stalled
            await self._play_on(room, "waited long enough")

    async def _loaded(self, room: LiveRoom) -> None:
        # A room saved while waiting: its members must report again; if they do not, it
        # plays on after the usual wait.
        if room.state.waiting:
            self._start_timer(room)

    def _state_changed(self, room: LiveRoom, previous: RoomState) -> None:
        if room.state.video_id != previous.video_id:
            room.stalled.clear()
            room.left_behind.clear()
        if not room.state.waiting and room.wait_timer is not None:
            room.wait_timer.cancel()
            room.wait_timer = None

    async def _left(self, room: LiveRoom, member: Member) -> None:
        if not any(m.key == member.key for m in room.members.values()):
            room.stalled.discard(member.key)  # its other sockets' hold stands
        await self._play_on_if_ready(room)
