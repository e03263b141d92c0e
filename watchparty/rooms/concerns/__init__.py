"""Room concerns: what a room does beyond playback (chat, moderation, autoplay, buffering,
and the next ones). Each is a ``Concern`` with the same lifecycle hooks, called by the
registry and membership with the room's lock held (except ``on_load``: a room read back from
the database, before anyone can use it); each keeps its per-room state in the room's
``parts`` and starts its timers through the room's ``tasks``, so unloading or deleting a
room stops them all in one place (CyTube's ``ChannelModule`` habit, without its globals).
"""

from __future__ import annotations

from typing import Any

from watchparty.core import Command, Rejection, RoomState
from watchparty.rooms.live import Joiner, LiveRoom, Member


class Concern:
    """Every hook does nothing unless a concern overrides it."""

    async def on_load(self, room: LiveRoom) -> None:
        """The room was read from the database (schedule what its saved state needs)."""

    def on_state(self, room: LiveRoom, previous: RoomState) -> None:
        """The room's playback or queue changed (``room.state`` is the new one)."""

    async def on_join(self, room: LiveRoom, member: Member) -> None:
        """A member joined (not a lost connection coming back)."""

    async def on_leave(self, room: LiveRoom, member: Member) -> None:
        """A member left (its socket; the same person may still be here on another)."""

    def on_delete(self, room_id: str) -> None:
        """The room was deleted: drop what is kept about it elsewhere."""

    def before_join(self, room: LiveRoom, joiner: Joiner) -> Rejection | None:
        """A veto: a rejection keeps ``joiner`` out."""
        return None

    def before_command(self, room: LiveRoom, command: Command) -> Rejection | None:
        """A veto: a rejection refuses ``command`` before it is applied."""
        return None

    def snapshot(self, room: LiveRoom) -> dict[str, Any]:
        """What this concern adds to the join snapshot (ROOM_STATE)."""
        return {}
