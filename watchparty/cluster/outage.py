"""What a Redis outage means for the members of rooms (docs/decisions/008-redis-outages.md).

Nobody is disconnected. When this process loses Redis, every member connected to it is told
(``DEGRADED {"degraded": true}``): its page plays on from the last state; commands work where
this process still provably holds the room, and are refused with ``cluster_unavailable`` where
it does not. When Redis answers again, the lapsed leases are taken back first, then every
member hears ``DEGRADED {"degraded": false, "state"}`` with its room's state, which it may have
missed meanwhile (broadcasts to other processes go through Redis).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from watchparty.cluster.leases import Leases
from watchparty.cluster.relay import DEGRADED, Relay, degraded_news
from watchparty.rooms.ports import Rooms, Transport
from watchparty.rooms.registry import RoomRegistry
from watchparty.store.errors import StoreUnavailable

TellHere = Callable[[str, Any], Awaitable[None]]  # an event to every socket of this process


class Outage:
    def __init__(
        self,
        registry: RoomRegistry,
        store: Rooms,
        transport: Transport,
        tell_here: TellHere,
        leases: Leases,
        relay: Relay,
    ) -> None:
        self._registry = registry
        self._store = store
        self._transport = transport
        self._tell_here = tell_here
        self._leases = leases
        self._relay = relay

    async def lost(self) -> None:
        await self._tell_here(DEGRADED, {"degraded": True})

    async def back(self) -> None:
        """Take the lapsed rooms back, then bring every member up to date."""
        await self._leases.reassert()
        await self._relay.resume()
        for room in self._registry.live():
            async with room.lock:  # in order with the room's broadcasts
                if self._registry.authoritative(room):
                    news = degraded_news(self._registry, room)
                    await self._transport.broadcast(DEGRADED, news, room.id)

    async def regained(self, room_ids: list[str]) -> None:
        """Lapsed rooms taken back: give up each one the database holds a newer revision of
        (another process held it meanwhile, while this one could not reach Redis) or no longer
        holds, so that its members reconnect and load it afresh."""
        changed = []
        for room_id in room_ids:
            room = self._registry.peek(room_id)
            if room is None:
                continue
            try:
                record = await self._store.load(room_id)
            except StoreUnavailable:
                continue  # cannot tell; the store's revision check still refuses stale saves
            if record is None or record.revision > room.revision:
                changed.append(room_id)
        self._relay.forget(await self._registry.give_up(changed))
        for room_id in changed:
            self._leases.release(room_id)

    async def lost_leases(self, room_ids: list[str]) -> None:
        self._relay.forget(await self._registry.give_up(room_ids))
