"""How a room's queue plays on: its mode (``manual``, ``loop``, ``shuffle``, ``vote``, ``dj``;
core.queue_modes), the members' votes for queued items, and whose turn it is.

Votes and turns are moments of a live room, like skip votes: kept in memory, not saved (a
restart starts the votes again; the turns follow the queue's adders, which are saved). A
member who leaves takes their votes along, so an item's votes never exceed the members
present. Votes are queue changes for the budgets (a member's and the room's), so toggling a
vote cannot flood the room.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from watchparty.core import Rejection, RoomState
from watchparty.core.errors import reject
from watchparty.core.policy import allows, refusal
from watchparty.core.queue_modes import QueueMode, first_adders, next_index, tally
from watchparty.rooms.concerns import Concern
from watchparty.rooms.live import LiveRoom, Member
from watchparty.rooms.ports import Transport
from watchparty.rooms.registry import RoomRegistry


@dataclass(slots=True)
class Turns:
    votes: dict[str, set[str]] = field(default_factory=dict)  # item id -> voters' keys
    djs: tuple[str, ...] = ()  # adders, in the order they first added
    last_dj: str | None = None  # whose item played last (dj mode)


class Queueing(Concern):
    def __init__(
        self,
        registry: RoomRegistry,
        transport: Transport,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._registry = registry
        self._transport = transport
        self._draw = draw

    def snapshot(self, room: LiveRoom) -> dict[str, Any]:
        return {"queue_votes": self._counts(room)}

    def on_state(self, room: LiveRoom, previous: RoomState) -> None:
        turns = room.part(Turns)
        queued = {item.id for item in room.state.queue}
        for item_id in [i for i in turns.votes if i not in queued]:
            del turns.votes[item_id]
        turns.djs = first_adders(turns.djs, room.state.queue)

    async def on_leave(self, room: LiveRoom, member: Member) -> None:
        if member.key in room.present():
            return  # still here on another connection
        turns = room.part(Turns)
        if any(member.key in voters for voters in turns.votes.values()):
            for voters in turns.votes.values():
                voters.discard(member.key)
            await self._tell(room)

    async def vote(
        self, room: LiveRoom, member: Member, item_id: str, up: bool
    ) -> dict[str, Any] | Rejection:
        async with room.lock:
            if room.deleted:
                return reject("room_not_found")
            refused = self._registry.standing(room)
            if refused is not None:
                return refused
            if room.info.queue_mode != "vote":
                return reject("no_votes")
            if all(item.id != item_id for item in room.state.queue):
                return reject("no_such_item", item_id=item_id[:64])
            budget = self._registry.queue_budget
            refused = None if budget is None else await budget.spend(room.id, member.key)
            if refused is not None:
                return refused
            voters = room.part(Turns).votes.setdefault(item_id, set())
            if up:
                voters.add(member.key)
            else:
                voters.discard(member.key)
            await self._tell(room)
            return {"votes": self._counts(room)}

    async def set_mode(self, room: LiveRoom, member: Member, mode: QueueMode) -> Rejection | None:
        async with room.lock:
            if not allows("set_queue_mode", member.role(room.info)):
                return reject("forbidden", detail=refusal("set_queue_mode"))
            await self._registry.info.set(room, queue_mode=mode)
            if mode != "vote" and room.part(Turns).votes:
                room.part(Turns).votes.clear()
                await self._tell(room)
        return None

    def choose(self, room: LiveRoom) -> tuple[int, bool]:
        """What plays next as the room moves on (lock held): the queue's index, and whether
        the finished video goes back to the end of the queue first (``loop``)."""
        mode = room.info.queue_mode
        queue = room.state.queue
        if not queue:
            return 0, mode == "loop"
        turns = room.part(Turns)
        index = next_index(
            mode,
            queue,
            votes=self._counts(room),
            last_dj=turns.last_dj,
            djs=turns.djs,
            pick=self._draw(),
        )
        turns.last_dj = queue[index].by
        return index, mode == "loop"

    def _counts(self, room: LiveRoom) -> dict[str, int]:
        """Each voted item's votes, of the members present (none unless the room votes)."""
        if room.info.queue_mode != "vote":
            return {}
        return tally(room.part(Turns).votes, room.present())

    async def _tell(self, room: LiveRoom) -> None:
        await self._transport.broadcast("QUEUE_VOTES", {"votes": self._counts(room)}, room.id)
