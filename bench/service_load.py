"""The viewers of bench/service.py: Engine.IO v4 / Socket.IO v5 over aiohttp websockets
(python-socketio's client would cost more CPU per message than the servers measured), the
rooms they sit in, and the schedules that make them ping, command, chat and come and go.
Every send is remembered, so that each delivery's latency and each missing one are counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections import Counter
from collections.abc import Coroutine
from typing import Any

import aiohttp

PREFIX = "42/rooms,"
ACK_PREFIX = "43/rooms,"
TICK = 0.1  # the schedules below walk their viewers or rooms in slices, one slice a tick
LARGE_ROOMS = (1000, 600, 300, 200)  # at 10,000 connections; scaled to --connections


def room_sizes(connections: int, rooms: int, rng: random.Random) -> list[int]:
    """A few large rooms (``LARGE_ROOMS`` scaled), the rest 2-5 viewers each, ``connections``
    in all."""
    large = [max(2, round(size * connections / 10_000)) for size in LARGE_ROOMS]
    small = rooms - len(large)
    rest = connections - sum(large)
    if small < 1 or not 2 * small <= rest <= 5 * small:
        raise SystemExit(f"{connections} viewers do not fit {rooms} rooms of this shape")
    sizes = [2] * small
    spare = rest - 2 * small
    while spare:
        i = rng.randrange(small)
        if sizes[i] < 5:
            sizes[i] += 1
            spare -= 1
    return large + sizes


class Room:
    def __init__(self, room_id: str) -> None:
        self.id = room_id
        self.viewers: list[Viewer] = []
        self.seq = 0
        # each message sent: its key -> (when, the other viewers then)
        self.sent: dict[str, tuple[float, list[Viewer]]] = {}

    def seek(self) -> None:
        send(self, "SEEK")

    def chat(self) -> None:
        send(self, "CHAT")


class Load:
    """What one server's run counts."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = http
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.joins: list[float] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.viewers: list[Viewer] = []  # everyone connected, in the order they are pinged

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background, holding it until it ends."""
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


class Viewer:
    __slots__ = ("ack", "got", "left_at", "load", "name", "reader", "room", "ws")

    def __init__(self, load: Load, room: Room, name: str) -> None:
        self.load = load
        self.room = room
        self.name = name
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None
        self.got: set[str] = set()
        self.ack = 0
        self.left_at: float | None = None

    async def join(self) -> bool:
        started = time.perf_counter()
        try:
            ws = await self.load.http.ws_connect(
                f"{self.load.url}/socket.io/?EIO=4&transport=websocket"
            )
        except (aiohttp.ClientError, OSError):
            self.load.errors["connect failed"] += 1
            return False
        self.ws = ws
        joined = asyncio.get_running_loop().create_future()
        auth = json.dumps({"room": self.room.id, "name": self.name})
        try:
            await ws.receive_str(timeout=10)  # Engine.IO's OPEN
            self.reader = asyncio.create_task(self._read(ws, joined))
            await ws.send_str(f"40/rooms,{auth}")
            ok = await asyncio.wait_for(joined, 20)
        except (TimeoutError, aiohttp.ClientError, TypeError):
            ok = False
        if not ok:
            self.load.errors["join refused or timed out"] += 1
            await self.close()
            return False
        self.load.joins.append(time.perf_counter() - started)
        return True

    async def _read(
        self, ws: aiohttp.ClientWebSocketResponse, joined: asyncio.Future[bool]
    ) -> None:
        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                self._receive(message.data, joined)
        except (aiohttp.ClientError, OSError):
            pass
        if not joined.done():
            joined.set_result(False)
        if self.left_at is None:
            self.load.errors["connection dropped"] += 1
            self.left_at = time.perf_counter()

    def _receive(self, data: str, joined: asyncio.Future[bool]) -> None:
        if data == "2":  # Engine.IO PING
            self.load.spawn(self._send("3"))
        elif data.startswith(PREFIX):
            event, payload = json.loads(data[len(PREFIX) :])
            if event == "ROOM_STATE":
                if not joined.done():
                    joined.set_result(True)
            elif event == "SEEK":
                self._delivered(f"s{payload['state']['position']:g}")
            elif event == "CHAT":
                self._delivered(payload["text"])
        elif data.startswith(ACK_PREFIX):
            body = data[len(ACK_PREFIX) :]
            answer = json.loads(body[body.index("[") :])[0]
            if not answer.get("ok"):
                self.load.errors[f"refused: {answer.get('error', {}).get('code')}"] += 1
        elif data.startswith("44/rooms,") and not joined.done():
            joined.set_result(False)

    def _delivered(self, key: str) -> None:
        sent = self.room.sent.get(key)
        if sent is not None:
            self.got.add(key)
            self.load.latencies.append(time.perf_counter() - sent[0])

    async def _send(self, text: str) -> None:
        ws = self.ws
        if ws is not None and not ws.closed:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                await ws.send_str(text)

    def emit(self, event: str, payload: Any) -> None:
        self.ack += 1
        self.load.spawn(self._send(f"{PREFIX}{self.ack}{json.dumps([event, payload])}"))

    def ping(self) -> None:
        """The page's clock ping."""
        if self.left_at is None:
            self.emit("TIME", {"client_time": time.time(), "rtt": 0.001})

    async def close(self) -> None:
        self.left_at = time.perf_counter()
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


def send(room: Room, kind: str) -> None:
    """A SEEK or a chat message from one of the room's viewers, remembered for delivery."""
    live = [v for v in room.viewers if v.left_at is None]
    if len(live) < 2:
        return
    room.seq += 1
    sender = live[0] if kind == "SEEK" else random.choice(live)
    key = f"s{room.seq:g}" if kind == "SEEK" else f"c{room.seq}"
    room.sent[key] = (time.perf_counter(), [v for v in live if v is not sender])
    payload = {"timestamp": room.seq} if kind == "SEEK" else {"text": key}
    sender.emit(kind, payload)


async def every(period: float, items: list[Any], action: Any, offset: float = 0.0) -> None:
    """``action(item)`` for every item once a ``period``, spread over it in ``TICK`` slices."""
    slots = max(1, round(period / TICK))
    await asyncio.sleep(offset)
    tick = 0
    start = time.perf_counter()
    while True:
        for item in items[tick % slots :: slots]:
            action(item)
        tick += 1
        await asyncio.sleep(max(0.0, start + tick * TICK - time.perf_counter()))


async def churn(load: Load, per_minute: float, rng: random.Random) -> None:
    """Viewers, picked at random, leaving and joining the same room again (a new connection,
    a new name)."""
    gap = 60 / max(1e-9, per_minute * len(load.viewers))
    n = 0
    while True:
        await asyncio.sleep(gap)
        leaving = rng.choice(load.viewers)
        if leaving.left_at is not None:  # still coming back from an earlier turn
            continue
        n += 1
        load.spawn(rejoin(load, leaving.room, leaving, f"again{n}"))


async def rejoin(load: Load, room: Room, leaving: Viewer, name: str) -> None:
    await leaving.close()
    room.viewers.remove(leaving)
    viewer = Viewer(load, room, name)
    if await viewer.join():
        room.viewers.append(viewer)
        load.viewers[load.viewers.index(leaving)] = viewer


def missing(rooms: list[Room], until: float) -> int:
    """Deliveries that never came to a viewer still connected 5 s after the send."""
    count = 0
    for room in rooms:
        for key, (at, others) in room.sent.items():
            if at > until:
                continue
            for viewer in others:
                gone = viewer.left_at is not None and viewer.left_at < at + 5
                count += key not in viewer.got and not gone
    return count
