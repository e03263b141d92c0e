"""A real python-socketio client in a room, recording every event it receives."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import socketio

NAMESPACE = "/rooms"


def apply_members(members: list[dict[str, Any]], delta: dict[str, Any]) -> list[dict[str, Any]]:
    """A member list after a MEMBERS event (the protocol's rule: a whole ``members`` list
    replaces it; else drop ``left``, replace ``changed`` in place, add ``joined`` at the end;
    ids are unique)."""
    if "members" in delta:
        return list(delta["members"])
    gone = set(delta["left"])
    changed = {m["id"]: m for m in delta["changed"]}
    kept = [changed.get(m["id"], m) for m in members if m["id"] not in gone]
    known = {m["id"] for m in kept}
    return kept + [m for m in delta["joined"] if m["id"] not in known]


class Peer:
    def __init__(self, name: str) -> None:
        self.name = name
        # Our own HTTP session, closed by ``close`` even when the handshake failed (the
        # client's own would be left open then).
        self.http = aiohttp.ClientSession()
        self.client = socketio.AsyncClient(reconnection=False, http_session=self.http)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.refusal: dict[str, Any] | None = None
        self.disconnected = asyncio.Event()
        # The member list as this client knows it: ROOM_STATE's, kept current by MEMBERS.
        self.members: list[dict[str, Any]] = []
        self.guest_token: str | None = None  # the guest pass a ROOM_STATE gave it, if any
        self.client.on("*", self._record, namespace=NAMESPACE)
        self.client.on("connect_error", self._refused, namespace=NAMESPACE)
        self.client.on("disconnect", self._disconnected, namespace=NAMESPACE)

    async def _record(self, event: str, data: Any) -> None:
        if event == "ROOM_STATE":
            self.members = list(data["members"])
            self.guest_token = data["you"].get("guest_token", self.guest_token)
        elif event == "MEMBERS":
            self.members = apply_members(self.members, data)
        await self.events.put((event, data))

    async def _refused(self, data: Any) -> None:
        self.refusal = data

    async def _disconnected(self, reason: Any = None) -> None:
        self.disconnected.set()

    async def connect(
        self,
        base_url: str,
        auth: Any,
        transport: str | list[str] = "websocket",
        headers: dict[str, str] | None = None,
    ) -> None:
        await self.client.connect(
            base_url,
            namespaces=[NAMESPACE],
            auth=auth,
            transports=[transport] if isinstance(transport, str) else transport,
            headers=headers or {},
            wait_timeout=5,
        )

    async def call(self, event: str, payload: Any = None) -> Any:
        if payload is None:
            return await self.client.call(event, namespace=NAMESPACE, timeout=5)
        return await self.client.call(event, payload, namespace=NAMESPACE, timeout=5)

    async def next(self, event: str, within: float = 5.0) -> Any:
        """The next ``event`` received within ``within`` seconds (earlier events of other
        names are dropped)."""
        async with asyncio.timeout(within):
            while True:
                name, data = await self.events.get()
                if name == event:
                    return data

    async def members_become(self, names: list[str]) -> None:
        """Wait until the member list, as MEMBERS updates it, is ``names`` (in join order)."""
        while [m["name"] for m in self.members] != names:
            await self.next("MEMBERS")

    def drain(self) -> list[tuple[str, Any]]:
        items = []
        while not self.events.empty():
            items.append(self.events.get_nowait())
        return items

    async def close(self) -> None:
        if self.client.connected:
            await self.client.disconnect()
        await self.http.close()
