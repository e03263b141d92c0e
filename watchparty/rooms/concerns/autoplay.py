"""The queue plays on: when the current video ends the room moves to the next item by itself,
once, and everyone starts it together; ``VOTE_SKIP`` does the same when enough members ask.

The end is known two ways. When the room knows the video's length (a queue item with a
duration, or a ``CHANGE_VIDEO`` that gave one), a timer fires at the moment playback reaches
it. Otherwise clients report ``ENDED`` when their player reaches the end; the first report
that agrees with the room's own clock moves the room on, and the rest find the video already
changed. Either way the room's version changes once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from watchparty.core import Rejection, RoomState, advance, current_position, ends_at
from watchparty.core.errors import reject
from watchparty.core.policy import allows
from watchparty.rooms.concerns import Concern
from watchparty.rooms.concerns.queueing import Queueing
from watchparty.rooms.live import LiveRoom, Member
from watchparty.rooms.ports import Transport
from watchparty.rooms.registry import RoomRegistry

# How far (in seconds) a client's ENDED may be ahead of the room's own position: players
# report the end a little early or late, and a client's clock estimate is not exact.
END_TOLERANCE = 2.0
END = "autoplay.end"


@dataclass(slots=True)
class Votes:
    skip: set[str] = field(default_factory=set)  # member keys, for the current video
    ended: set[str] = field(default_factory=set)  # member keys that reported ENDED


class Autoplay(Concern):
    def __init__(self, registry: RoomRegistry, transport: Transport, queueing: Queueing) -> None:
        self._registry = registry
        self._transport = transport
        self._queueing = queueing  # which item is next, by the room's queue mode

    async def on_load(self, room: LiveRoom) -> None:
        self._schedule(room)  # a room that was playing when the server stopped plays on

    def on_state(self, room: LiveRoom, previous: RoomState) -> None:
        votes = room.part(Votes)
        if room.state.video_id != previous.video_id:
            votes.skip.clear()
        votes.ended.clear()
        self._schedule(room)

    def _schedule(self, room: LiveRoom) -> None:
        room.tasks.cancel(END)
        end = ends_at(room.state)
        if end is None:
            return
        version = room.state.version
        delay = max(0.0, end - self._registry.now())
        room.tasks.after(
            END, delay, lambda: self._ended_by_clock(room, version), remade_on_load=True
        )

    async def _ended_by_clock(self, room: LiveRoom, version: int) -> None:
        async with room.lock:
            if room.deleted or room.state.version != version:
                return
            if self._registry.may_run(room, END, lambda: self._ended_by_clock(room, version)):
                await self._advance(room, "autoplay")

    async def _advance(self, room: LiveRoom, by: str) -> None:
        """Move on (call with the lock held): the next item, or a stop when none is queued."""
        index, loop = self._queueing.choose(room)
        moves_on = bool(room.state.queue) or (loop and room.state.video_id is not None)
        lead = self._registry.lead(room, loading=moves_on)
        state = advance(room.state, self._registry.now(), lead, index=index, loop=loop)
        event = "CHANGE_VIDEO" if moves_on else "PAUSE"
        await self._registry.commit(room, state, event, by)

    async def ended(
        self, room: LiveRoom, member: Member, video_id: str, duration: float | None
    ) -> dict[str, Any] | Rejection:
        """A client saw the video end. With the length known, the room's clock decides.
        Without it, the client's word is taken from someone who may control the room (who
        could skip anyway); anyone else's counts as one report, and the room moves on once
        as many members as a vote to skip needs have reported: one guest's made-up length
        cannot skip the video in a room they may not control."""
        async with room.lock:
            state = room.state
            if state.video_id != video_id or not state.playing:
                return {"advanced": False}  # someone else's report moved the room on already
            length = state.duration if state.duration is not None else duration
            if length is None:
                return reject("invalid_payload", detail="duration: needed when the room has none")
            position = current_position(state, self._registry.now())
            if position + END_TOLERANCE < length:
                return reject("not_ended", position=position, length=length)
            if state.duration is None and not allows(
                "control", member.role(room.info), room.info.control
            ):
                votes = room.part(Votes)
                votes.ended.add(member.key)
                present = room.present()
                votes.ended &= present
                if len(votes.ended) < self._needed(room, len(present)):
                    return {"advanced": False}
            await self._advance(room, "autoplay")
        return {"advanced": True}

    @staticmethod
    def _needed(room: LiveRoom, members: int) -> int:
        return max(1, math.ceil(room.info.skip_threshold * members - 1e-9))

    async def vote(self, room: LiveRoom, member: Member) -> dict[str, Any] | Rejection:
        async with room.lock:
            if room.state.video_id is None:
                return reject("no_video", detail="nothing is playing")
            room.part(Votes).skip.add(member.key)
            return await self._count(room)

    async def on_leave(self, room: LiveRoom, member: Member) -> None:
        votes = room.part(Votes)
        key = member.key
        if key in votes.skip and key not in room.present():
            votes.skip.discard(key)
        if votes.skip:
            await self._count(room)  # fewer members: the votes left may now be enough

    async def _count(self, room: LiveRoom) -> dict[str, Any]:
        """Tell the room the tally and skip once it is reached; call with the lock held."""
        votes = room.part(Votes)
        present = room.present()
        votes.skip &= present
        needed = self._needed(room, len(present))
        tally = {"video_id": room.state.video_id, "votes": len(votes.skip), "needed": needed}
        await self._transport.broadcast("SKIP_VOTES", tally, room.id)
        skipped = len(votes.skip) >= needed
        if skipped:
            await self._advance(room, "vote")
        return {**tally, "skipped": skipped}
