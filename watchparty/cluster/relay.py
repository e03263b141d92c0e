"""Sockets whose room another process holds, from both ends.

On the process a client is connected to (the relay), such a socket's join, events and leave
go to the room's authority; events are validated here first, so bad input never travels.
Everything the authority sends to the room or to that socket comes back through python-
socketio's Redis manager, which delivers it to the socket where it lives. On the authority,
the member is an ordinary member whose ``sid`` happens to live elsewhere.

When a room changes hands (its holder died, or gave it up), the relays close its sockets: the
clients reconnect by themselves and join the room where it is now, from its saved state. A room
that nobody holds for a moment (its holder is taking it back after a Redis outage) is not a
change of hands: its sockets stay until it has been free for a lease time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from watchparty.cluster.errors import PeerGone
from watchparty.cluster.leases import Leases
from watchparty.cluster.peers import Peers, RemoteFailure
from watchparty.core.errors import message, reject
from watchparty.rooms.live import LiveRoom
from watchparty.rooms.membership import JoinRefused
from watchparty.rooms.ports import ClusterUnavailable, RegistryFull, RoomElsewhere, Transport
from watchparty.rooms.registry import RoomRegistry
from watchparty.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

Ack = dict[str, Any]
Dispatch = Callable[[str, str, Any], Awaitable[Ack]]  # (sid, event, payload) -> its ack
CHECK_SECONDS = 1.0  # how often relays look for rooms that changed hands
UNAVAILABLE = {"ok": False, "error": reject("room_unavailable").to_wire()}
NO_CLUSTER = {"ok": False, "error": reject("cluster_unavailable").to_wire()}
DEGRADED = "DEGRADED"  # the event that tells a member whether its room is degraded


@dataclass(frozen=True, slots=True)
class Route:
    room_id: str
    holder: str  # the process that held the room when this socket joined it


class Relay:
    def __init__(
        self,
        peers: Peers,
        leases: Leases,
        transport: Transport,
        degraded: Callable[[], bool],
    ) -> None:
        self._peers = peers
        self._leases = leases
        self._transport = transport
        self.degraded = degraded  # whether this process has lost Redis
        self.routes: dict[str, Route] = {}  # relayed sid -> where its room is held
        self.remote: dict[str, str] = {}  # on the authority: a member's sid -> its process
        self._registry: RoomRegistry | None = None
        self._unsent: dict[str, tuple[str, bool]] = {}  # leaves Redis did not take: (holder, lost)
        self._free_since: dict[str, float] = {}  # a relayed room nobody holds: since when
        self._silent_since: dict[str, float] = {}  # a members' process not listening: since

    def __contains__(self, sid: str) -> bool:
        return sid in self.routes

    # --- the relay's side ---------------------------------------------------------------------

    async def join(self, holder: str, room_id: str, sid: str, **auth: Any) -> bool:
        """Join ``sid`` to the room at its holder. False when the room turned out to be this
        process's to hold (the caller joins it here). Raises ``JoinRefused``."""
        for _ in range(5):
            if holder == self._leases.me:
                return False
            try:
                reply: dict[str, Any] = await self._peers.call(
                    holder, "join", process=self._peers.me, room_id=room_id, sid=sid, **auth
                )
            except (PeerGone, RemoteFailure):
                self._peers.notify(holder, "leave", sid=sid, lost=False)  # if it joined late
                holder = await self._next_holder(room_id, holder)
                continue
            if "elsewhere" in reply:
                holder = reply["elsewhere"]
                continue
            if not reply["ok"]:
                raise JoinRefused(reply["code"], reply["message"])
            self.routes[sid] = Route(room_id, holder)
            return True
        raise JoinRefused("room_unavailable", message("room_unavailable"))

    async def _next_holder(self, room_id: str, silent: str) -> str:
        """The room's holder after ``silent`` stopped answering: once its lease runs out,
        whoever takes the room (perhaps this process)."""
        deadline = time.monotonic() + self._leases.ttl + 1.0
        while time.monotonic() < deadline:
            holder = await self._leases.claim(room_id)
            if holder != silent or await self._peers.listening([silent]):
                return holder  # moved on, or alive after all (slow): ask it again
            await asyncio.sleep(0.2)
        raise JoinRefused("room_unavailable", message("room_unavailable"))

    async def forward(self, sid: str, event: str, payload: Any) -> Ack:
        """A relayed socket's event, handled by its room's authority; the acknowledgement."""
        route = self.routes[sid]
        try:
            ack: Ack = await self._peers.call(
                route.holder, "event", sid=sid, event=event, payload=payload
            )
        except (PeerGone, RemoteFailure):
            return UNAVAILABLE
        except ClusterUnavailable:
            return NO_CLUSTER
        if not ack.get("ok") and ack.get("error", {}).get("code") == "not_joined":
            # The authority does not know this socket (it restarted, or gave the room up):
            # reconnecting joins it again, wherever the room is now.
            self.routes.pop(sid, None)
            await self._transport.drop([sid])
        return ack

    def note_rtt(self, sid: str, rtt: float) -> None:
        route = self.routes.get(sid)
        if route is not None:
            self._peers.notify(route.holder, "rtt", sid=sid, rtt=rtt)

    def leave(self, sid: str, lost: bool) -> None:
        route = self.routes.pop(sid, None)
        if route is not None:
            self._tell_left(sid, route.holder, lost)

    def _tell_left(self, sid: str, holder: str, lost: bool) -> None:
        """A leave the holder must hear, or it keeps a member who is gone: sent again by
        ``check`` once Redis takes it."""

        def unsent() -> None:
            self._unsent[sid] = (holder, lost)

        self._unsent.pop(sid, None)
        self._peers.notify(holder, "leave", unsent, sid=sid, lost=lost)

    async def resume(self) -> None:
        """Redis answers again: give each relayed socket its room's state (the broadcasts of
        the outage never reached it) and whether the room is still degraded."""
        rooms: dict[tuple[str, str], list[str]] = {}
        for sid, route in self.routes.items():
            rooms.setdefault((route.holder, route.room_id), []).append(sid)
        for (holder, room_id), sids in rooms.items():
            try:
                news = await self._peers.call(holder, "state", room_id=room_id)
            except (PeerGone, RemoteFailure):
                continue  # ``check`` moves its sockets on
            if news is None:
                continue
            for sid in sids:
                await self._transport.send(DEGRADED, news, sid)

    # --- the authority's side -----------------------------------------------------------------

    def serve(self, registry: RoomRegistry, dispatch: Dispatch) -> None:
        """Answer other processes' requests for the rooms this process holds."""
        self._registry = registry

        async def join(process: str, room_id: str, sid: str, **auth: Any) -> dict[str, Any]:
            try:
                await registry.join(room_id, sid, **auth)
            except RoomElsewhere as elsewhere:
                return {"elsewhere": elsewhere.holder}
            except JoinRefused as refused:
                return {"ok": False, "code": refused.code, "message": refused.message}
            except (StoreUnavailable, RegistryFull) as unavailable:
                return {"ok": False, **reject(unavailable.code).to_wire()}
            self.remote[sid] = process
            return {"ok": True}

        async def event(sid: str, event: str, payload: Any) -> Ack:
            return await dispatch(sid, event, payload)

        async def leave(sid: str, lost: bool) -> None:
            self.remote.pop(sid, None)
            await registry.leave(sid, lost=lost)

        async def rtt(sid: str, rtt: float) -> None:
            registry.members.note_rtt(sid, float(rtt))

        async def state(room_id: str) -> dict[str, Any] | None:
            room = registry.peek(room_id)
            return None if room is None else degraded_news(registry, room)

        self._peers.handlers.update(join=join, event=event, leave=leave, rtt=rtt, state=state)

    def forget(self, sids: list[str]) -> None:
        """These members are gone with the rooms this process gave up."""
        for sid in sids:
            self.remote.pop(sid, None)

    # --- both -----------------------------------------------------------------------------------

    async def watch(self) -> None:
        """Once a second: close relayed sockets whose room changed hands, and let go of the
        members whose process died. For ever."""
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            try:
                await self.check()
            except ClusterUnavailable:
                pass  # said once (cluster.health); checked again when Redis answers
            except Exception:
                log.exception("checking where rooms are held failed")

    async def check(self) -> None:
        # A socket that went away while its join was on its way (python-socketio then calls
        # no disconnect handler) is a member the holder would otherwise keep.
        for sid in [sid for sid in self.routes if not self._transport.here(sid)]:
            self.leave(sid, lost=True)
        holders = await self._leases.holders({route.room_id for route in self.routes.values()})
        for sid, (holder, lost) in list(self._unsent.items()):
            self._tell_left(sid, holder, lost)
        now = time.monotonic()
        free = {r.holder for r in self.routes.values() if holders.get(r.room_id) is None}
        alive = await self._peers.listening(free)
        moved = [
            sid for sid, route in self.routes.items() if self._moved(route, holders, alive, now)
        ]
        for room_id in set(self._free_since) - set(holders):
            del self._free_since[room_id]
        for sid in moved:
            del self.routes[sid]
        if moved:
            log.info("%d relayed connection(s) closed: their room changed hands", len(moved))
            await self._transport.drop(moved)
        registry = self._registry
        if registry is None or not self.remote:
            return
        for sid in [sid for sid in self.remote if registry.members.locate(sid) is None]:
            del self.remote[sid]  # gone with a room this process gave up, or kicked
        processes = set(self.remote.values())
        alive = await self._peers.listening(processes)
        for process in set(self._silent_since) - processes:
            del self._silent_since[process]
        for sid, process in list(self.remote.items()):
            if process in alive:
                self._silent_since.pop(process, None)
            elif now - self._silent_since.setdefault(process, now) >= self._leases.ttl:
                # Dead (its Redis connection closed), not just subscribing again after an
                # outage: its members go.
                del self.remote[sid]
                await registry.leave(sid, lost=True)

    def _moved(
        self, route: Route, holders: dict[str, str | None], alive: set[str], now: float
    ) -> bool:
        """Whether a relayed socket's room changed hands. Nobody holding it is a change once
        its holder is seen dead twice, or after a lease time: a live holder may be taking it
        back after an outage."""
        holder = holders.get(route.room_id)
        if holder == route.holder:
            self._free_since.pop(route.room_id, None)
            return False
        if holder is not None:
            return True
        free_for = now - self._free_since.setdefault(route.room_id, now)
        if route.holder not in alive and free_for >= CHECK_SECONDS / 2:
            return True
        return free_for >= self._leases.ttl


def degraded_news(registry: RoomRegistry, room: LiveRoom) -> dict[str, Any]:
    """DEGRADED's payload for a room held here: whether it takes commands, and its state."""
    return {"degraded": not registry.authoritative(room), "state": room.state.to_wire()}
