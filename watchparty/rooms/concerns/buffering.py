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

from dataclasses import dataclass, field
from typing import Any

from watchparty.core import RoomState, hold, resume
from watchparty.rooms.concerns import Concern
from watchparty.rooms.live import LiveRoom, Member
from watchparty.rooms.registry import RoomRegistry

WAIT = "buffering.wait"


@dataclass(slots=True)
class Stalls:
    stalled: set[str] = field(default_factory=set)  # member keys whose player cannot play
    left_behind: set[str] = field(default_factory=set)  # stalled too long: not waited for


class Buffering(Concern):
    def __init__(self, registry: RoomRegistry, wait_seconds: float) -> None:
        self._registry = registry
        self._wait = wait_seconds

    async def stalled(self, room: LiveRoom, member: Member, video_id: str) -> dict[str, Any]:
        async with room.lock:
            if room.deleted or room.state.video_id != video_id:
                return {"waiting": False}  # a report about a video the room has left
            stalls = room.part(Stalls)
            stalls.stalled.add(member.key)
            if (
                room.info.wait_for_all
                and room.state.playing
                and member.key not in stalls.left_behind
            ):
                await self._registry.commit(
                    room, hold(room.state, self._registry.now()), "PAUSE", member.name
                )
                self._start_timer(room)
            return {"waiting": room.state.waiting}

    async def ready(self, room: LiveRoom, member: Member, video_id: str) -> dict[str, Any]:
        async with room.lock:
            if room.state.video_id == video_id:
                room.part(Stalls).stalled.discard(member.key)
                await self._play_on_if_ready(room)
            return {"waiting": room.state.waiting}

    async def _play_on_if_ready(self, room: LiveRoom) -> None:
        """Call with the lock held."""
        if not room.state.waiting or room.deleted:
            return
        stalls = room.part(Stalls)
        if not (stalls.stalled & room.present()) - stalls.left_behind:
            await self._play_on(room, "everyone is ready")

    async def _play_on(self, room: LiveRoom, by: str) -> None:
        now = self._registry.now()
        await self._registry.commit(
            room, resume(room.state, now, self._registry.lead(room)), "PLAY", by
        )

    def _start_timer(self, room: LiveRoom) -> None:
        version = room.state.version
        room.tasks.after(
            WAIT, self._wait, lambda: self._timed_out(room, version), remade_on_load=True
        )

    async def _timed_out(self, room: LiveRoom, version: int) -> None:
        async with room.lock:
            if room.deleted or room.state.version != version or not room.state.waiting:
                return
            if not self._registry.may_run(room, WAIT, lambda: self._timed_out(room, version)):
                return
            stalls = room.part(Stalls)
            stalls.left_behind |= stalls.stalled
            await self._play_on(room, "waited long enough")

    async def on_load(self, room: LiveRoom) -> None:
        # A room saved while waiting: its members must report again; if they do not, it
        # plays on after the usual wait.
        if room.state.waiting:
            self._start_timer(room)

    def on_state(self, room: LiveRoom, previous: RoomState) -> None:
        if room.state.video_id != previous.video_id:
            stalls = room.part(Stalls)
            stalls.stalled.clear()
            stalls.left_behind.clear()
        if not room.state.waiting:
            room.tasks.cancel(WAIT)

    async def on_leave(self, room: LiveRoom, member: Member) -> None:
        if member.key not in room.present():
            room.part(Stalls).stalled.discard(member.key)  # its other sockets' hold stands
        await self._play_on_if_ready(room)
