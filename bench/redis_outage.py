"""How long a Redis outage costs a room (docs/scaling.md, *Redis outages*): two servers sharing
one room through a redis-server, six members (three on each), Redis killed for a while and
started again empty. Alternating short (under the lease) and long outages, it prints per run:
the members' commands refused meanwhile, members disconnected, and the seconds from Redis
answering again until every member's command is accepted. Not a test: it prints numbers.

    python bench/redis_outage.py --runs 6 --lease 3
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp
import socketio
from cluster_cost import healthy, start
from fanout import NAMESPACE

from watchparty.store.embedded import free_port, server_command


def redis_server(port: int, folder: Path) -> subprocess.Popen[bytes]:
    command = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
    return subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL)


async def member(url: str, room: str, name: str, dropped: list[str]) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)

    async def gone() -> None:
        dropped.append(name)

    client.on("disconnect", gone, namespace=NAMESPACE)
    await client.connect(
        url, namespaces=[NAMESPACE], transports=["websocket"], auth={"room": room, "name": name}
    )
    return client


async def seek(client: socketio.AsyncClient, n: int) -> str:
    try:
        ack = await client.call("SEEK", {"timestamp": float(n)}, namespace=NAMESPACE, timeout=5)
    except socketio.exceptions.TimeoutError:
        return "no answer"
    return "ok" if ack["ok"] else str(ack["error"]["code"])


def database_server(port: int, folder: Path) -> subprocess.Popen[bytes]:
    command = server_command(port, "memory", folder / "nx")
    return subprocess.Popen(command, stderr=subprocess.DEVNULL)


def wait_for_port(port: int) -> None:
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"nothing listens on {port}")


async def run(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="wp-outage-"))
    redis_port, db_port = free_port(), free_port()
    redis = redis_server(redis_port, folder)
    database = database_server(db_port, folder)
    shared = {
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "MONGODB_URI": f"mongodb://127.0.0.1:{db_port}/bench",
        "WATCHPARTY_ROOM_LEASE_SECONDS": str(args.lease),
    }
    servers = [start(shared), start(shared)]
    try:
        for _, url in servers:
            await healthy(url)
        urls = [url for _, url in servers]
        backs: dict[float, list[float]] = {args.short: [], args.long: []}
        for number in range(args.runs):
            seconds = args.short if number % 2 == 0 else args.long
            async with aiohttp.ClientSession() as http, http.post(f"{urls[0]}/api/rooms") as r:
                room = (await r.json())["id"]
            dropped: list[str] = []
            members = [await member(urls[i % 2], room, f"m{i}", dropped) for i in range(6)]
            redis.kill()
            redis.wait()
            killed, sent, refused, n = time.monotonic(), 0, 0, 0
            while time.monotonic() - killed < seconds:
                n += 1
                codes = await asyncio.gather(*(seek(m, n) for m in members))
                sent += len(codes)
                refused += sum(code != "ok" for code in codes)
                await asyncio.sleep(0.2)
            redis = redis_server(redis_port, folder)
            wait_for_port(redis_port)
            started = time.monotonic()
            waiting = list(members)
            while waiting:
                n += 1
                codes = await asyncio.gather(*(seek(m, n) for m in waiting))
                waiting = [m for m, code in zip(waiting, codes, strict=True) if code != "ok"]
                await asyncio.sleep(0.05)
            back = time.monotonic() - started
            backs[seconds].append(back)
            print(
                f"outage {seconds:4.1f} s: {refused:3d} of {sent:3d} commands refused, "
                f"{len(dropped)} members dropped, all accepted again {back:.2f} s after "
                "Redis started",
                flush=True,
            )
            for m in members:
                await m.disconnect()
        for seconds, times in backs.items():
            if times:
                print(
                    f"{seconds:4.1f} s outages, {len(times)} runs: all accepted again after a "
                    f"median {statistics.median(times):.2f} s, range {min(times):.2f}-"
                    f"{max(times):.2f} s (lease {args.lease} s)"
                )
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait()
        redis.terminate()
        database.terminate()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--lease", type=int, default=3)
    parser.add_argument("--short", type=float, default=1.0, help="seconds, under the lease")
    parser.add_argument("--long", type=float, default=12.0, help="seconds, past the lease")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
