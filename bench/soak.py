"""Soak: many clients joining, leaving, sending commands and chat for a long while, with the
database stopped and started once in the middle. Not a test: it prints numbers.

    python bench/soak.py                       # 2,000 clients, 10 minutes, 40 rooms
    python bench/soak.py --clients 300 --duration 60

It starts its own MongoDB-wire server (nx-27017, on disk, so that it can be stopped and
started again) and ``python -m watchparty`` with ``bench/bench.env``. Each room has one
controller (python-socketio's client) sending a command or a chat message every
``--interval`` seconds; the other clients speak Engine.IO/Socket.IO over raw websockets
(cheaper than the library's client), join a random room, stay 10-60 s, leave and join again.

Printed at the end:
- errors: refused connections, commands refused for anything but a client mistake, server
  log lines at ERROR (target 0);
- accepted commands lost: for each room, the last acknowledged version against what the
  database holds after the server's graceful stop (target 0);
- broadcasts missed: gaps in the versions a continuously connected viewer received (target 0);
- RSS of the server over time (target: flat once everyone is in);
- fan-out latency, command sent to each viewer's receipt: p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from fanout import NAMESPACE, bench_env, pct
from pymongo import AsyncMongoClient

from watchparty.store.embedded import free_port, server_command

COMMAND_EVENTS = ("PLAY", "PAUSE", "SEEK")
TRACKED = (*COMMAND_EVENTS, "CHANGE_VIDEO")  # what a viewer counts versions of


@dataclass
class Tally:
    errors: list[str] = field(default_factory=list)
    sent_at: dict[tuple[str, int], float] = field(default_factory=dict)  # (room, version)
    last_version: dict[str, int] = field(default_factory=dict)  # acknowledged, per room
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (at, seconds)
    missed: int = 0
    delivered: int = 0
    joins: int = 0
    commands: int = 0
    chats: int = 0
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MiB)

    def error(self, what: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(what)


class Database:
    """nx-27017 on disk, stoppable and startable on the same port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        (self.folder / "db").mkdir(exist_ok=True)
        command = server_command(self.port, str(self.folder / "db"), self.folder / "nx")
        self.process = subprocess.Popen(command, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None


async def viewer(
    http: aiohttp.ClientSession, url: str, rooms: list[str], name: str, tally: Tally, until: float
) -> None:
    """Join a random room, stay 10-60 s, leave; again, until ``until``."""
    prefix = f"42{NAMESPACE},"
    while time.monotonic() < until:
        room = random.choice(rooms)
        try:
            ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
        except aiohttp.ClientError as error:
            tally.error(f"connect: {error!r}")
            await asyncio.sleep(1)
            continue
        stay = min(random.uniform(10, 60), until - time.monotonic())
        last: int | None = None
        try:
            await ws.receive_str()  # Engine.IO open
            await ws.send_str(f"40{NAMESPACE}," + json.dumps({"room": room, "name": name}))
            async with asyncio.timeout(max(stay, 1)):
                async for message in ws:
                    data = message.data
                    if data == "2":
                        await ws.send_str("3")
                    elif data.startswith(f"44{NAMESPACE}"):
                        tally.error(f"join refused: {data[:120]}")
                        break
                    elif data.startswith(prefix):
                        event, payload = json.loads(data[len(prefix) :])
                        if event == "ROOM_STATE":
                            tally.joins += 1
                            last = payload["state"]["version"]
                        elif event in TRACKED and last is not None:
                            version = payload["state"]["version"]
                            if version > last + 1:
                                tally.missed += version - last - 1
                            last = max(last, version)
                            tally.delivered += 1
                            sent = tally.sent_at.get((room, version))
                            if sent is not None:
                                now = time.perf_counter()
                                tally.latencies.append((now, now - sent))
        except TimeoutError:
            pass  # its stay is over
        except (aiohttp.ClientError, ConnectionError) as error:
            tally.error(f"viewer: {error!r}")
        finally:
            await ws.close()


async def controller(url: str, room: str, tally: Tally, interval: float, until: float) -> None:
    """Commands and chat in one room, each acknowledged; remembers what was accepted."""
    client = socketio.AsyncClient(reconnection_delay=0.5)
    await client.connect(url, namespaces=[NAMESPACE], auth={"room": room, "name": "ctl"})
    first = await client.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"}, namespace=NAMESPACE)
    tally.last_version[room] = first["state"]["version"]
    await asyncio.sleep(random.uniform(0, interval))
    step = 0
    while time.monotonic() < until:
        step += 1
        try:
            if step % 5 == 0:
                ack = await client.call("CHAT", {"text": f"hello {step}"}, namespace=NAMESPACE)
                tally.chats += 1
                if not ack.get("ok"):
                    tally.error(f"chat refused: {ack}")
            else:
                event = COMMAND_EVENTS[step % 3]
                payload = {"timestamp": float(step)} if event == "SEEK" else {}
                # Latency counts from here; the version is known only from the ack, so the
                # next one is guessed (one controller per room: it is right).
                expected = tally.last_version[room] + 1
                tally.sent_at[(room, expected)] = time.perf_counter()
                ack = await client.call(event, payload, namespace=NAMESPACE, timeout=10)
                tally.commands += 1
                if ack.get("ok"):
                    tally.last_version[room] = ack["state"]["version"]
                else:
                    tally.error(f"{event} refused: {ack.get('error')}")
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError) as error:
            tally.error(f"controller: {error!r}")
            await asyncio.sleep(1)
        await asyncio.sleep(interval)
    await client.disconnect()


async def watch_rss(pid: int, tally: Tally, began: float, until: float) -> None:
    while time.monotonic() < until:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():  # noqa: ASYNC240
            if line.startswith("VmRSS:"):
                tally.rss.append((time.monotonic() - began, int(line.split()[1]) / 1024))
        await asyncio.sleep(15)


async def outage(database: Database, at: float, seconds: float) -> None:
    await asyncio.sleep(at)
    print(f"database stopped at {at:.0f} s for {seconds:.0f} s", flush=True)
    database.stop()
    await asyncio.sleep(seconds)
    database.start()
    print("database started again", flush=True)


async def run(args: argparse.Namespace, url: str, pid: int, database: Database) -> Tally:
    tally = Tally()
    began = time.monotonic()
    until = began + args.duration
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        rooms = []
        for _ in range(args.rooms):
            async with http.post(f"{url}/api/rooms", json={}) as response:
                rooms.append((await response.json())["id"])
        tasks = [asyncio.create_task(watch_rss(pid, tally, began, until))]
        tasks.append(asyncio.create_task(outage(database, args.duration / 2, args.outage)))
        tasks += [
            asyncio.create_task(controller(url, room, tally, args.interval, until))
            for room in rooms
        ]
        viewers = args.clients - args.rooms
        for first in range(0, viewers, 100):  # let them in a hundred at a time
            tasks += [
                asyncio.create_task(viewer(http, url, rooms, f"v{i}", tally, until))
                for i in range(first, min(viewers, first + 100))
            ]
            await asyncio.sleep(0.5)
        await asyncio.gather(*tasks)
    return tally


async def lost_commands(uri: str, tally: Tally) -> int:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        rooms = client.get_default_database()["rooms"]
        lost = 0
        for room, version in tally.last_version.items():
            doc = await rooms.find_one({"_id": room})
            saved = -1 if doc is None else int(doc["version"])
            lost += max(0, version - saved)
        return lost
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--rooms", type=int, default=40)
    parser.add_argument("--duration", type=float, default=600, help="seconds")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between commands")
    parser.add_argument("--outage", type=float, default=20, help="seconds without the database")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wp-soak-"))
    database = Database(folder)
    database.start()
    uri = f"mongodb://127.0.0.1:{database.port}/soak"
    port = free_port()
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "watchparty"],
        env={
            **os.environ,
            **bench_env(),
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "MONGODB_URI": uri,
            "LOG_LEVEL": "WARNING",
            "JWT_SECRET": "soak-" + "x" * 40,
        },
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        time.sleep(3)
        began, cpu = time.monotonic(), time.process_time()
        tally = asyncio.run(run(args, url, server.pid, database))
        # This load generator is one Python process: when it is busy, latency is its own too.
        load_share = (time.process_time() - cpu) / (time.monotonic() - began)
        server.send_signal(signal.SIGTERM)  # it saves what is pending, then exits
        code = server.wait(timeout=60)
        lost = asyncio.run(lost_commands(uri, tally))
    finally:
        if server.poll() is None:
            server.kill()
        database.stop()
    server_errors = [
        line for line in (folder / "server.log").read_text().splitlines() if " ERROR " in line
    ]
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.clients} clients in {args.rooms} rooms for {args.duration:.0f} s")
    print(
        f"joins {tally.joins}, commands {tally.commands}, chat {tally.chats}, "
        f"deliveries {tally.delivered}; server exit code {code}"
    )
    print(f"errors: {len(tally.errors)} client-side, {len(server_errors)} in the server log")
    for line in (tally.errors + server_errors)[:10]:
        print("   ", line[:200])
    print(f"accepted commands lost: {lost}")
    print(f"this load generator used {load_share:.0%} of a core (the server shares the machine)")
    print(f"broadcasts missed by connected viewers: {tally.missed}")
    if tally.latencies:
        ms = [seconds * 1000 for _, seconds in tally.latencies]
        print(
            f"fan-out latency: p50 {pct(ms, 50):.1f} ms, p99 {pct(ms, 99):.1f} ms, "
            f"mean {statistics.fmean(ms):.1f} ms"
        )
        start = tally.latencies[0][0]
        windows: dict[int, list[float]] = {}
        for at, seconds in tally.latencies:
            windows.setdefault(int((at - start) // 60), []).append(seconds * 1000)
        by_minute = (f"{m}: {pct(v, 99):.0f} ms" for m, v in sorted(windows.items()))
        print("  p99 by minute: " + ", ".join(by_minute))
    print("server RSS (MiB) over time: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in tally.rss))


if __name__ == "__main__":
    main()
