"""Fan-out benchmark: N clients in one room, one controller sending paced SEEKs, then a burst.

Prints p50/p95/p99 latency from a command's send to its delivery at the *last* receiver, and
deliveries per second in the burst. Not a test: it prints numbers and never fails on timing.

    python bench/fanout.py                 # starts `python -m watchparty` on a free port
    python bench/fanout.py --url http://127.0.0.1:8080 --clients 1000

The receivers speak Engine.IO v4 / Socket.IO v5 directly over aiohttp websockets (a few lines
below) because python-socketio's client costs more CPU per message than the server being
measured; the controller uses python-socketio's ``AsyncClient``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from servers import free_port, wait_listening

NAMESPACE = "/rooms"


class Counter:
    def __init__(self) -> None:
        self.count: dict[float, int] = defaultdict(int)
        self.last_at: dict[float, float] = {}

    def seen(self, timestamp: float) -> None:
        self.count[timestamp] += 1
        self.last_at[timestamp] = time.perf_counter()


async def receiver(
    http: aiohttp.ClientSession, url: str, room: str, name: str, counter: Counter
) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
    opened = await ws.receive_str()
    assert opened.startswith("0"), opened
    await ws.send_str(f"40{NAMESPACE}," + json.dumps({"room": room, "name": name}))
    joined = asyncio.get_running_loop().create_future()

    async def read() -> None:
        prefix = f"42{NAMESPACE},"
        async for message in ws:
            data = message.data
            if data == "2":  # Engine.IO ping
                await ws.send_str("3")
            elif data.startswith(prefix):
                event, payload = json.loads(data[len(prefix) :])
                if event == "ROOM_STATE" and not joined.done():
                    joined.set_result(None)
                elif event == "SEEK":
                    counter.seen(payload["state"]["position"])

    asyncio.get_running_loop().create_task(read())
    await asyncio.wait_for(joined, 10)
    return ws


async def receivers(
    http: aiohttp.ClientSession, url: str, room: str, clients: int, counter: Counter
) -> list[aiohttp.ClientWebSocketResponse]:
    """``clients`` receivers in the room, joined fifty at a time."""
    sockets = []
    for start in range(0, clients, 50):
        batch = range(start, min(clients, start + 50))
        sockets += await asyncio.gather(
            *(receiver(http, url, room, f"r{i}", counter) for i in batch)
        )
    return sockets


async def controller(url: str, room: str) -> socketio.AsyncClient:
    """The client that sends the commands (python-socketio's)."""
    client = socketio.AsyncClient()
    await client.connect(
        url, namespaces=[NAMESPACE], auth={"room": room, "name": "ctl"}, transports=["websocket"]
    )
    return client


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """The process's CPU time so far, from /proc; with ``with_children``, its descendants'
    too (the embedded database, a supervisor's workers)."""
    total = 0.0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            if with_children:
                children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
                pids += [int(child) for child in children]
        except FileNotFoundError:
            continue
    return total


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


async def run(url: str, clients: int, rate: float, commands: int, burst: int) -> dict[str, Any]:
    counter = Counter()
    # limit=0: the default pool of 100 connections would stall the 101st websocket.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async with http.post(f"{url}/api/rooms", json={}) as response:
            room = (await response.json())["id"]
        sockets = await receivers(http, url, room, clients, counter)
        ctl = await controller(url, room)

        async def wait_all(stamps: list[float], limit: float) -> None:
            """Poll until every receiver has every stamp (as the shared load.js does)."""
            deadline = time.perf_counter() + limit
            while time.perf_counter() < deadline:
                if all(counter.count[s] >= clients for s in stamps):
                    return
                await asyncio.sleep(0.005)

        sent: dict[float, float] = {}
        t0 = time.perf_counter()
        for k in range(1, commands + 1):
            sent[float(k)] = time.perf_counter()
            await ctl.emit("SEEK", {"timestamp": float(k)}, namespace=NAMESPACE)
            delay = t0 + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        await wait_all(list(sent), 30)
        latencies = [
            (counter.last_at[s] - sent[s]) * 1000 for s in sent if counter.count[s] == clients
        ]

        stamps = [100_000.0 + k for k in range(burst)]
        b0 = time.perf_counter()
        for stamp in stamps:
            await ctl.emit("SEEK", {"timestamp": stamp}, namespace=NAMESPACE)
        await wait_all(stamps, 60)
        b1 = max((counter.last_at.get(s, time.perf_counter()) for s in stamps), default=b0)
        delivered = sum(counter.count[s] for s in stamps)

        await ctl.disconnect()
        for ws in sockets:
            await ws.close()
    return {
        "clients": clients,
        "commands": commands,
        "complete": len(latencies),
        "p50_ms": round(pct(latencies, 50), 1),
        "p95_ms": round(pct(latencies, 95), 1),
        "p99_ms": round(pct(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "burst_deliveries_per_s": round(delivered / (b1 - b0)) if b1 > b0 else None,
        "burst_delivered": delivered,
        "burst_expected": burst * clients,
    }


def bench_env() -> dict[str, str]:
    """The settings in bench/bench.env (what compare.sh loads too)."""
    values = {}
    for raw in (Path(__file__).resolve().parent / "bench.env").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "watchparty"]
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        command = ["taskset", "-c", "0", *command]  # server on CPU 0, this load on the others
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))
    env = {
        **os.environ,
        **bench_env(),
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "WATCHPARTY_MAX_MEMBERS": "100000",
        "WATCHPARTY_DATA_DIR": tempfile.mkdtemp(prefix="watchparty-bench-"),
    }
    process = subprocess.Popen(command, env=env)
    wait_listening(process, port, "the server", 10)
    return process, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50, help="paced commands per second")
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--burst", type=int, default=300)
    args = parser.parse_args()
    process = None
    url = args.url
    if url is None:
        process, url = start_server()
    try:
        result = asyncio.run(run(url, args.clients, args.rate, args.commands, args.burst))
    finally:
        if process is not None:
            process.terminate()
            process.wait(10)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
