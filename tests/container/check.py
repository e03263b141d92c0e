"""What scripts/container-test asks of a running container, over its published port.

``prepare URL``: register, create a room, give it a video, read the home page in French;
prints what ``verify`` needs.
``verify URL ROOM TOKEN``: after a restart, the account, the room and its video are still there.
``spread URL``: with several workers, one room's members sit on two processes and still hear
each other (each worker's /metrics carries its cluster id and connection count).
Exits non-zero, saying why, when a check fails.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
import socketio

NAMESPACE = "/rooms"
VIDEO = "dQw4w9WgXcQ"
MEMBERS = 8
# The kernel hashes each connection to a worker: eight can all land on one (1 in 128), so the
# check adds members until both workers hold some, up to this many (1 in 2**23 to fail; below
# the 30 new guests an address may make in an hour).
MOST_MEMBERS = 24


class CheckFailed(Exception):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)


async def prepare(url: str) -> None:
    name = "c" + secrets.token_hex(4)
    body = {"username": name, "email": f"{name}@example.org", "password": secrets.token_hex(8)}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/auth/register", json=body) as response:
            expect(response.status == 201, f"register: {response.status} {await response.text()}")
            token = (await response.json())["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        async with http.post(f"{url}/api/rooms", json={"name": "den"}, headers=bearer) as response:
            expect(response.status == 201, f"create room: {response.status}")
            room = (await response.json())["id"]
    client = await member(url, room, "ann")
    try:
        added = await client.call("QUEUE_ADD", {"item": {"video_id": VIDEO}}, namespace=NAMESPACE)
        expect(added.get("ok") is True, f"QUEUE_ADD: {added}")
        expect(added["state"]["video_id"] == VIDEO, f"the first item is not the video: {added}")
    finally:
        await client.disconnect()
    # The installed package carries its catalogues: the home page in French.
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/", headers={"Accept-Language": "fr"}) as response,
    ):
        expect("Regardez ensemble" in await response.text(), "the page is not in French")
    print(json.dumps({"room": room, "token": token}))


async def verify(url: str, room: str, token: str) -> None:
    bearer = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/api/users/me/rooms", headers=bearer) as response,
    ):
        expect(response.status == 200, f"my rooms after a restart: {response.status}")
        ids = [r["id"] for r in (await response.json())["rooms"]]
        expect(room in ids, f"room {room} is not among the owner's rooms {ids}")
    client = await member(url, room, "bob")
    try:
        state = await client.call("PAUSE", {}, namespace=NAMESPACE)
        expect(state["state"]["video_id"] == VIDEO, f"the room lost its video: {state}")
    finally:
        await client.disconnect()


async def spread(url: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms") as response:
        expect(response.status == 201, f"create room: {response.status}")
        room = (await response.json())["id"]
    heard: list[asyncio.Queue[dict[str, Any]]] = []
    clients: list[socketio.AsyncClient] = []
    try:
        workers: dict[str, float] = {}
        busy: list[float] = []
        while len(clients) < MEMBERS or (len(busy) < 2 and len(clients) < MOST_MEMBERS):
            queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
            clients.append(await member(url, room, f"m{len(clients)}", queue))
            heard.append(queue)
            if len(clients) >= MEMBERS:
                workers = await connections_per_worker(url)
                expect(len(workers) >= 2, f"/metrics answered from one worker only: {workers}")
                busy = [count for count in workers.values() if count > 0]
        expect(len(busy) >= 2, f"the members did not land on two workers: {workers}")
        for queue in heard:
            while not queue.empty():
                queue.get_nowait()
        added = await clients[0].call(
            "QUEUE_ADD", {"item": {"video_id": VIDEO}}, namespace=NAMESPACE
        )
        expect(added.get("ok") is True, f"QUEUE_ADD: {added}")
        version = added["state"]["version"]
        for i, queue in enumerate(heard[1:], 1):
            while True:
                event = await asyncio.wait_for(queue.get(), timeout=10)
                if event.get("version") == version:
                    expect(event.get("video_id") == VIDEO, f"member {i} saw {event}")
                    break
        counts = sorted(workers.values())
        print(f"{len(clients)} members on {len(busy)} workers {counts}: all in sync")
    finally:
        for client in clients:
            await client.disconnect()


async def member(
    url: str, room: str, name: str, states: asyncio.Queue[dict[str, Any]] | None = None
) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    if states is not None:

        async def heard(message: dict[str, Any]) -> None:
            await states.put(message["state"])

        client.on("UPDATE_QUEUE", heard, namespace=NAMESPACE)
    await client.connect(
        url,
        namespaces=[NAMESPACE],
        auth={"room": room, "name": name},
        transports=["websocket"],
        wait_timeout=10,
    )
    return client


async def connections_per_worker(url: str) -> dict[str, float]:
    """Ask /metrics on fresh connections until both workers answered (the kernel spreads
    connections over them): each worker's cluster id -> its connected clients."""
    found: dict[str, float] = {}
    for _ in range(60):
        connector = aiohttp.TCPConnector(force_close=True)
        async with (
            aiohttp.ClientSession(connector=connector) as http,
            http.get(f"{url}/metrics") as response,
        ):
            text = await response.text()
        worker = re.search(r'^watchparty_process_info\{id="(\w+)"\} ', text, re.M)
        clients = re.search(r"^watchparty_connected_clients (\S+)$", text, re.M)
        if worker is None or clients is None:
            raise CheckFailed("/metrics lacks the process id or its connections")
        found[worker.group(1)] = float(clients.group(1))
        if len(found) >= 2:
            break
    return found


def main(argv: list[str]) -> int:
    commands: dict[str, Callable[..., Coroutine[Any, Any, None]]] = {
        "prepare": prepare,
        "verify": verify,
        "spread": spread,
    }
    if len(argv) < 2 or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        asyncio.run(commands[argv[0]](*argv[1:]))
    except (CheckFailed, TimeoutError, aiohttp.ClientError, socketio.exceptions.SocketIOError) as e:
        print(f"container check {argv[0]} failed: {e!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
