"""What idle connections cost: N websocket clients (default 10,000) in rooms of 100,
answering Engine.IO's heartbeats, while the server's resident memory and CPU are sampled.

    python bench/connections.py                  # starts `python -m watchparty`
    python bench/connections.py --clients 2000 --hold 30
    python bench/connections.py --clients 1000 --per-room 1000 --ping 3 --hold 20

Prints the server's RSS before the clients, after they joined, and at the end of the hold
(two heartbeat rounds at the default 60 s), whether every client is still connected, and the
share of a core the server used during the hold. With ``--ping S`` every client also sends
the room page's clock ping (``TIME``) every S seconds, as a page does every 3 s. The embedded
database is a separate process and is reported on its own. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path
from typing import Any

import aiohttp
from fanout import Counter, cpu_seconds, receiver, start_server


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def ping(ws: aiohttp.ClientWebSocketResponse, every: float, offset: float) -> None:
    """The room page's clock ping, every ``every`` seconds (acknowledged; the answer is
    read and dropped by the receiver)."""
    await asyncio.sleep(offset)
    ack = 0
    while not ws.closed:
        ack += 1
        body = json.dumps(["TIME", {"client_time": time.time(), "rtt": 0.001}])
        await ws.send_str(f"42/rooms,{ack}{body}")
        await asyncio.sleep(every)


def children(pid: int) -> list[int]:
    return [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]


async def run(
    url: str, pid: int, clients: int, per_room: int, hold: float, every: float
) -> dict[str, Any]:
    counter = Counter()
    before = rss_mib(pid)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        sockets: list[aiohttp.ClientWebSocketResponse] = []
        started = time.perf_counter()
        for first in range(0, clients, per_room):
            async with http.post(f"{url}/api/rooms", json={}) as response:
                room = (await response.json())["id"]
            members = range(first, min(clients, first + per_room))
            sockets += await asyncio.gather(
                *(receiver(http, url, room, f"c{i}", counter) for i in members)
            )
        joined_in = time.perf_counter() - started
        joined = rss_mib(pid)
        pinging = [
            asyncio.ensure_future(ping(ws, every, every * i / len(sockets)))
            for i, ws in enumerate(sockets)
            if every > 0
        ]
        cpu_before = cpu_seconds(pid)
        await asyncio.sleep(hold)  # heartbeats flow: the receivers answer every ping
        cpu_share = (cpu_seconds(pid) - cpu_before) / hold
        held = rss_mib(pid)
        for task in pinging:
            task.cancel()
        alive = sum(not ws.closed for ws in sockets)
        database = sum(rss_mib(child) for child in children(pid))
        for ws in sockets:
            await ws.close()
    return {
        "clients": clients,
        "joined_in_s": round(joined_in, 1),
        "still_connected": alive,
        "server_rss_mib": {"before": round(before), "joined": round(joined), "held": round(held)},
        "per_connection_kib": round((held - before) * 1024 / clients, 1),
        "clock_ping_every_s": every or None,
        "server_cpu_share_of_a_core": round(cpu_share, 3),
        "database_rss_mib": round(database),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--per-room", type=int, default=100)
    parser.add_argument("--hold", type=float, default=60.0, help="seconds to stay connected")
    parser.add_argument("--ping", type=float, default=0.0, help="clock ping every S seconds")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the server inherits it too
    if hard < args.clients + 100:
        raise SystemExit(f"raise the open-file limit: {args.clients} clients need more than {hard}")
    process, url = start_server()
    try:
        time.sleep(2)  # the embedded database starts
        result = asyncio.run(
            run(url, process.pid, args.clients, args.per_room, args.hold, args.ping)
        )
    finally:
        process.terminate()
        process.wait(20)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
