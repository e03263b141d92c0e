"""Reactions: a member's emoji, shown over every page's player for a moment, never stored.

A room sends its members' reactions at most once per ``REACTION_WINDOW_SECONDS``: the first
reaction after a quiet window goes out at once, and those within the window are counted per
emoji and go out together at its end. A thousand viewers reacting at once cost the room a few
broadcasts a second, not a thousand; each member's own rate is limited as well.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from watchparty.core import Rejection
from watchparty.core.errors import reject
from watchparty.core.limits import REACTION_WINDOW_SECONDS
from watchparty.rooms.concerns import Concern
from watchparty.rooms.live import LiveRoom, Member
from watchparty.rooms.ports import Clock, Limit, Transport

TASK = "reactions"


@dataclass(slots=True)
class Tally:
    counts: Counter[str] = field(default_factory=Counter)  # emoji -> reactions not yet sent
    window_ends: float = 0.0  # clock time; a reaction before it waits for the window's end


class Reactions(Concern):
    def __init__(
        self,
        transport: Transport,
        limit: Limit,
        clock: Clock,
        window: float = REACTION_WINDOW_SECONDS,
    ) -> None:
        self._transport = transport
        self._limit = limit
        self._clock = clock
        self._window = window

    async def react(self, room: LiveRoom, member: Member, emoji: str) -> Rejection | None:
        verdict = await self._limit.hit(f"{room.id}:{member.key}")
        if not verdict.allowed:
            wait = verdict.retry_after
            return reject("rate_limited", detail=f"too many reactions: react again in {wait} s")
        tally = room.part(Tally)
        now = self._clock()
        if now >= tally.window_ends and not tally.counts:
            tally.window_ends = now + self._window
            await self._send(room, Counter({emoji: 1}))
            return None
        tally.counts[emoji] += 1
        if not room.tasks.pending(TASK):
            room.tasks.after(TASK, max(0.0, tally.window_ends - now), lambda: self._flush(room))
        return None

    async def _flush(self, room: LiveRoom) -> None:
        """The window's end: what came in during it goes out, and a new window begins."""
        tally = room.part(Tally)
        counts, tally.counts = tally.counts, Counter()
        if counts:
            tally.window_ends = self._clock() + self._window
            await self._send(room, counts)

    async def _send(self, room: LiveRoom, counts: Counter[str]) -> None:
        if not room.deleted:
            await self._transport.broadcast("REACTIONS", {"counts": dict(counts)}, room.id)
