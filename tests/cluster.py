"""Several real ``python -m watchparty`` processes sharing Redis and one database, and the
clients the cluster tests join them with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from pymongo import AsyncMongoClient

from tests.conftest import JWT_SECRET
from tests.peers import NAMESPACE, Peer
from tests.processes import Running, spawn, wait_healthy

LEASE_SECONDS = 2
Start = Callable[..., Awaitable[list[Running]]]


@asynccontextmanager
async def servers(tmp_path: Path, redis_url: str, mongo_uri: str) -> AsyncIterator[Start]:
    """``start(n, **env)`` starts n server processes; all are killed at the end. A ``log``
    keyword names a file for each process's output (``<log>.<i>``)."""
    running: list[Running] = []

    async def start(count: int, log: Path | None = None, **env: str) -> list[Running]:
        settings = {
            "REDIS_URL": redis_url,
            "MONGODB_URI": mongo_uri,
            "JWT_SECRET": JWT_SECRET,
            "WATCHPARTY_ROOM_LEASE_SECONDS": str(LEASE_SECONDS),
            "WATCHPARTY_CONNECT_RATE_LIMIT": "100000/minute",
            "WATCHPARTY_EVENT_RATE_LIMIT": "100000/second",
            "WATCHPARTY_RECONNECT_GRACE_SECONDS": "0",
            **env,
        }
        started = []
        # One at a time: a process binds an ephemeral port of its own for the cluster's
        # replays as it starts, which could be the free port picked for the next one.
        for _ in range(count):
            output = None if log is None else log.with_suffix(f".{len(running)}")
            server = await spawn(tmp_path, env=settings, log=output)
            running.append(server)
            started.append(server)
            await wait_healthy(server.url)
        return started

    try:
        yield start
    finally:
        for server in running:
            await server.stop()


async def new_room(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms") as response:
        assert response.status == 201
        return str((await response.json())["id"])


async def joined(url: str, room: str, name: str) -> Peer:
    peer = Peer(name)
    await peer.connect(url, {"room": room, "name": name})
    await peer.next("ROOM_STATE")
    return peer


async def saved(mongo_uri: str, room: str, version: int) -> None:
    """Wait until the database holds the room at ``version`` (saving is behind the
    broadcast, by design)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        rooms = client.get_default_database()["rooms"]
        async with asyncio.timeout(5):
            while True:
                doc = await rooms.find_one({"_id": room})
                if doc is not None and doc["version"] == version:
                    return
                await asyncio.sleep(0.05)
    finally:
        await client.close()


class Reconnecting:
    """A python-socketio client that reconnects by itself, keeping each join's snapshot and
    noting each connection."""

    def __init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection_delay=0.1, reconnection_delay_max=0.5)
        self.states: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.connects: asyncio.Queue[None] = asyncio.Queue()
        self.client.on("ROOM_STATE", self.states.put, namespace=NAMESPACE)
        self.client.on("connect", self._connected, namespace=NAMESPACE)

    async def _connected(self) -> None:
        await self.connects.put(None)

    async def join(self, url: str, room: str, name: str) -> None:
        await self.client.connect(
            url,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            auth={"room": room, "name": name},
            wait_timeout=5,
        )
        await asyncio.wait_for(self.states.get(), timeout=5)
        await self.connects.get()

    async def rejoined(self, within: float) -> dict[str, Any]:
        """The snapshot of its next join, once connected again (the snapshot comes first)."""
        snapshot = await asyncio.wait_for(self.states.get(), timeout=within)
        await asyncio.wait_for(self.connects.get(), timeout=5)
        return snapshot

    async def call(self, event: str, payload: Any = None) -> Any:
        return await self.client.call(event, payload, namespace=NAMESPACE, timeout=5)


async def metric(url: str, name: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        for line in (await response.text()).splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
    raise AssertionError(f"{name} is not in /metrics")
