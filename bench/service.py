"""Service-shaped load, watchparty beside Node's socket.io in one run: many small rooms and a
few large ones, viewers pinging the clock, commands, chat, people leaving and coming back.

    python bench/service.py                                   # 10,000 viewers, 2,000 rooms
    python bench/service.py --connections 2000 --rooms 400 --hold 60 --rounds 3

Each server in turn (``bench/reference/server.js`` on Node's socket.io, the same room protocol
as a user picking Node would write it, then ``python -m watchparty`` with ``bench/bench.env``;
the order alternates round by round) runs on CPU 0 and this load on CPU 1:

- ``--rooms`` rooms whose sizes follow a heavy tail (a few of 200-1,000 viewers scaled to
  ``--connections``, the rest 2-5), every viewer a websocket joined by ``auth``;
- each viewer sends the page's clock ping (``TIME``) every 3 s and answers heartbeats;
- each room gets a ``SEEK`` every 20 s and a chat message every 20 s (half a period apart),
  from one of its viewers;
- 1 % of the viewers leave and join again per minute.

It prints, per server: CPU per join, CPU per connection-minute over the hold (the server
process alone; watchparty's embedded database apart), resident memory per connection,
p50/p99 latency from a command or message to its delivery at each other viewer, and errors
(joins refused, acks refused, connections dropped, deliveries missing); then watchparty's
figures over the reference's. The viewers speak Engine.IO v4 / Socket.IO v5 over aiohttp
directly, as bench/fanout.py's do. Not a test: it prints numbers and never fails on them.
Needs node and npm (``npm install`` into bench/reference/ on first use).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from connections import children, rss_mib
from fanout import bench_env, cpu_seconds, pct
from servers import free_port, wait_listening
from service_load import Load, Room, Viewer, churn, every, missing, room_sizes

REFERENCE = Path(__file__).resolve().parent / "reference"


async def measure(url: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    sizes = room_sizes(args.connections, args.rooms, rng)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        load = Load(url, http)
        rooms: list[Room] = []
        for first in range(0, len(sizes), 50):
            answers = await asyncio.gather(
                *(http.post(f"{url}/api/rooms", json={}) for _ in sizes[first : first + 50])
            )
            for answer in answers:
                rooms.append(Room((await answer.json())["id"]))
                answer.release()
        await asyncio.sleep(1)
        rss_before = rss_mib(pid)
        viewers: list[Viewer] = []
        for r, (room, size) in enumerate(zip(rooms, sizes, strict=True)):
            room.viewers = [Viewer(load, room, f"v{r}-{j}") for j in range(size)]
            viewers += room.viewers
        rng.shuffle(viewers)  # join in an order that mixes the rooms, as people arrive
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        for first in range(0, len(viewers), args.join_batch):
            await asyncio.gather(*(v.join() for v in viewers[first : first + args.join_batch]))
        join_seconds = time.perf_counter() - started
        cpu_joins = cpu_seconds(pid) - cpu_before
        joined = len(load.joins)
        for room in rooms:
            room.viewers = [v for v in room.viewers if v.left_at is None]
        await asyncio.sleep(3)  # the last MEMBERS go out
        # The load's own full garbage collections, each walking 10,000 connections' objects,
        # stopped this process for 0.4-0.6 s every 4 s of the hold, which counted as delivery
        # latency of whichever server was measured: what exists now is left out of them.
        gc.collect()
        gc.freeze()
        load.viewers = [v for v in viewers if v.left_at is None]
        period = args.command_every
        tasks = [
            asyncio.create_task(every(3.0, load.viewers, Viewer.ping)),
            asyncio.create_task(every(period, rooms, Room.seek)),
            asyncio.create_task(every(period, rooms, Room.chat, period / 2)),
            asyncio.create_task(churn(load, args.churn / 100, rng)),
        ]
        load.latencies.clear()
        cpu0, db0, own0 = cpu_seconds(pid), db_cpu(pid), time.process_time()
        held_from = time.perf_counter()
        await asyncio.sleep(args.hold)
        held = time.perf_counter() - held_from
        cpu, db, own = cpu_seconds(pid) - cpu0, db_cpu(pid) - db0, time.process_time() - own0
        rss_held = rss_mib(pid)
        database_rss = sum(rss_mib(child) for child in children(pid))
        for task in tasks:
            task.cancel()
        await asyncio.sleep(5)  # what is in flight arrives
        lost = missing(rooms, held_from + held - 5)
        still = sum(v.left_at is None for room in rooms for v in room.viewers)
        for first in range(0, len(viewers), 500):
            batch = [v for room in rooms for v in room.viewers][first : first + 500]
            await asyncio.gather(*(v.close() for v in batch))
    minutes = held / 60
    return {
        "connections": args.connections,
        "rooms": len(rooms),
        "largest_rooms": sorted(sizes, reverse=True)[:4],
        "joined": joined,
        "joined_in_s": round(join_seconds, 1),
        "join_p50_ms": round(1000 * pct(load.joins, 50), 1),
        "join_p99_ms": round(1000 * pct(load.joins, 99), 1),
        "cpu_ms_per_join": round(1000 * cpu_joins / max(1, joined), 3),
        "cpu_ms_per_connection_minute": round(1000 * cpu / args.connections / minutes, 3),
        "database_cpu_ms_per_connection_minute": round(1000 * db / args.connections / minutes, 3),
        "with_database_cpu_ms_per_connection_minute": round(
            1000 * (cpu + db) / args.connections / minutes, 3
        ),
        "rss_kib_per_connection": round((rss_held - rss_before) * 1024 / args.connections, 1),
        "database_rss_mib": round(database_rss),
        "deliveries": len(load.latencies),
        "delivery_p50_ms": round(1000 * pct(load.latencies, 50), 2),
        "delivery_p99_ms": round(1000 * pct(load.latencies, 99), 2),
        "missing": lost,
        "still_connected": still,
        "errors": dict(load.errors),
        "load_cpu_share": round(own / held, 2),  # near 1: the load, not the server, set the pace
    }


def db_cpu(pid: int) -> float:
    return sum(cpu_seconds(child, with_children=True) for child in children(pid))


def pinned(command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", "0", *command]
    return command


def start(kind: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1"}
    cwd = None
    if kind == "reference":
        command = ["node", str(REFERENCE / "server.js")]
    else:
        command = [sys.executable, "-m", "watchparty"]
        cwd = tempfile.mkdtemp(prefix="watchparty-service-")
        env |= {
            **bench_env(),
            "LOG_LEVEL": "WARNING",
            "WATCHPARTY_MAX_MEMBERS": "100000",
            "WATCHPARTY_DATA_DIR": cwd,
        }
    # Not the caller's folder: ``-m`` puts the working folder first on the import path, where
    # a checkout would win over the watchparty that PYTHONPATH names (an A/B of two worktrees
    # run from the main one measured the main one twice).
    process = subprocess.Popen(pinned(command), env=env, stdout=subprocess.DEVNULL, cwd=cwd)
    wait_listening(process, port, f"the {kind} server", 15)
    return process, f"http://127.0.0.1:{port}"


def install_reference() -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise SystemExit("node and npm are needed for the reference server")
    if not (REFERENCE / "node_modules" / "socket.io").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=REFERENCE, check=True
        )


def run_one(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    process, url = start(kind)
    try:
        time.sleep(3 if kind == "watchparty" else 1)  # the embedded database starts
        # taskset execs the server in its own place: the pid is the server's
        return asyncio.run(measure(url, process.pid, args))
    finally:
        process.terminate()
        process.wait(30)


FIGURES = (
    ("cpu_ms_per_join", "CPU per join", "ms"),
    ("cpu_ms_per_connection_minute", "CPU per connection-minute", "ms"),
    ("with_database_cpu_ms_per_connection_minute", "the same, with the database", "ms"),
    ("rss_kib_per_connection", "memory per connection", "KiB"),
    ("delivery_p50_ms", "delivery p50", "ms"),
    ("delivery_p99_ms", "delivery p99", "ms"),
)


def report(rounds: list[dict[str, dict[str, Any]]]) -> None:
    print("| figure | watchparty | Node socket.io | ratio (each round) | median ratio |")
    print("|---|---|---|---|---|")
    for key, label, unit in FIGURES:
        ours = [r["watchparty"][key] for r in rounds]
        theirs = [r["reference"][key] for r in rounds]
        ratios = [a / b if b else float("nan") for a, b in zip(ours, theirs, strict=True)]
        print(
            f"| {label} | {'; '.join(f'{x:g}' for x in ours)} {unit} "
            f"| {'; '.join(f'{x:g}' for x in theirs)} {unit} "
            f"| {'; '.join(f'{x:.2f}' for x in ratios)} | {statistics.median(ratios):.2f}x |"
        )
    for kind in ("watchparty", "reference"):
        faults = [
            {"missing": r[kind]["missing"], **r[kind]["errors"]}
            if r[kind]["missing"] or r[kind]["errors"]
            else "none"
            for r in rounds
        ]
        print(f"{kind}: errors and missing deliveries per round: {faults}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--rooms", type=int, default=2_000)
    parser.add_argument("--hold", type=float, default=120.0, help="seconds of load measured")
    parser.add_argument("--command-every", type=float, default=20.0, help="per room, seconds")
    parser.add_argument("--churn", type=float, default=1.0, help="%% of viewers per minute")
    parser.add_argument("--join-batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds")
    parser.add_argument("--only", choices=("reference", "watchparty"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # the servers inherit it
    if hard < args.connections + 200:
        raise SystemExit(f"{args.connections} viewers need more than {hard} open files")
    install_reference()
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))  # the load off CPU 0
    kinds = ["reference", "watchparty"] if args.only is None else [args.only]
    rounds: list[dict[str, dict[str, Any]]] = []
    for n in range(args.rounds):
        order = kinds if n % 2 == 0 else kinds[::-1]
        result = {}
        for kind in order:
            result[kind] = run_one(kind, args)
            print(f"round {n + 1} {kind}: {json.dumps(result[kind])}", file=sys.stderr)
        rounds.append(result)
    if args.only is None:
        report(rounds)
    if args.json:
        Path(args.json).write_text(json.dumps(rounds, indent=1))


if __name__ == "__main__":
    main()
