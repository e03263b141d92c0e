"""What sharing rooms through Redis costs each process (docs/scaling.md): two servers, A and
B, on ports of their own, one redis-server, one database; N receivers in one room, all on A
(which holds the room).

1. A controller on A sends K SEEKs, one after another: A's CPU per delivery, and B's CPU per
   broadcast of a room it has no viewer of (python-socketio's Redis manager sends every emit
   to every process).
2. The same from a controller on B: B relays each command to A; B's CPU per relayed command,
   and what it adds on A.
3. For comparison, phase 1 on one server without Redis.

Not a test: it prints numbers. Servers run on CPU 0, this load on CPU 1 (as compare.sh).

    python bench/cluster_cost.py --clients 200 --commands 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from fanout import NAMESPACE, Counter, bench_env, controller, cpu_seconds, receivers

from watchparty.store.embedded import free_port, server_command


def pinned(command: list[str]) -> list[str]:
    return ["taskset", "-c", "0", *command] if shutil.which("taskset") else command


def start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        pinned([sys.executable, "-m", "watchparty"]),
        env={**os.environ, **bench_env(), **env, "PORT": str(port), "HOST": "127.0.0.1"},
    )
    return process, f"http://127.0.0.1:{port}"


async def healthy(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"no answer from {url}")


async def seeks(ctl: socketio.AsyncClient, count: int, base: float) -> None:
    for k in range(count):
        ack = await ctl.call("SEEK", {"timestamp": base + k}, namespace=NAMESPACE)
        assert ack["ok"], ack


async def measure(
    holder: str, other: str | None, pids: dict[str, int], clients: int, commands: int
) -> dict[str, Any]:
    counter = Counter()
    results: dict[str, Any] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        async with http.post(f"{holder}/api/rooms", json={}) as response:
            room = (await response.json())["id"]
        sockets = await receivers(http, holder, room, clients, counter)
        phases = [("on the holder", holder)] + ([("relayed", other)] if other else [])
        for number, (label, url) in enumerate(phases):
            ctl = await controller(url, room)
            await asyncio.sleep(1.0)  # let the join's MEMBERS go out
            before = {name: cpu_seconds(pid, with_children=True) for name, pid in pids.items()}
            began = time.perf_counter()
            base = 1000.0 * (number + 1)
            await seeks(ctl, commands, base)
            while counter.count[base + commands - 1] < clients:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            elapsed = time.perf_counter() - began
            used = {
                name: cpu_seconds(pid, with_children=True) - before[name]
                for name, pid in pids.items()
            }
            results[label] = {
                "seconds": round(elapsed, 2),
                "cpu_s": {k: round(v, 3) for k, v in used.items()},
            }
            await ctl.disconnect()
        for ws in sockets:
            await ws.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--commands", type=int, default=2000)
    args = parser.parse_args()
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})
    folder = Path(tempfile.mkdtemp(prefix="wp-cluster-cost-"))
    redis_port, db_port = free_port(), free_port()
    redis = subprocess.Popen(
        pinned(["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"]),
        cwd=folder,
        stdout=subprocess.DEVNULL,
    )
    database = subprocess.Popen(
        server_command(db_port, "memory", folder / "nx"), stderr=subprocess.DEVNULL
    )
    shared = {
        "MONGODB_URI": f"mongodb://127.0.0.1:{db_port}/bench",
        "JWT_SECRET": "bench-" + "x" * 40,
        "LOG_LEVEL": "WARNING",
    }
    servers: list[subprocess.Popen[bytes]] = []
    try:
        time.sleep(1.0)
        clustered = {**shared, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
        a, a_url = start(clustered)
        b, b_url = start(clustered)
        servers += [a, b]
        asyncio.run(healthy(a_url))
        asyncio.run(healthy(b_url))
        pids = {"A (holder)": a.pid, "B": b.pid, "redis": redis.pid}
        two = asyncio.run(measure(a_url, b_url, pids, args.clients, args.commands))
        for server in servers:
            server.terminate()
            server.wait()
        alone, alone_url = start(shared)
        servers.append(alone)
        asyncio.run(healthy(alone_url))
        one = asyncio.run(
            measure(alone_url, None, {"A (holder)": alone.pid}, args.clients, args.commands)
        )
    finally:
        for process in [*servers, redis, database]:
            process.terminate()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
    n, k = args.clients, args.commands

    def us(seconds: float, per: int) -> float:
        return round(seconds * 1e6 / per, 1)

    held, relayed, solo = two["on the holder"], two["relayed"], one["on the holder"]
    a_, b_, r_ = "A (holder)", "B", "redis"
    print(f"{n} receivers on A, {k} SEEKs one after another (acknowledged), per phase")
    print(f"one process, no Redis: A {us(solo['cpu_s'][a_], n * k)} us CPU per delivery")
    print(
        f"with Redis, controller on A: A {us(held['cpu_s'][a_], n * k)} us per delivery, "
        f"B {us(held['cpu_s'][b_], k)} us per broadcast it only hears, "
        f"redis {us(held['cpu_s'][r_], k)} us per command"
    )
    print(
        f"controller on B (relayed): B {us(relayed['cpu_s'][b_], k)} us per command, "
        f"A {us(relayed['cpu_s'][a_], n * k)} us per delivery, "
        f"redis {us(relayed['cpu_s'][r_], k)} us per command"
    )
    print("(CPU time from /proc in ticks of 10 ms: figures under 10 ms / count are a floor)")


if __name__ == "__main__":
    main()
