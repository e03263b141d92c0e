"""How fast chat history is saved: messages a second, batched as the server does against one
at a time with a trim after each (how it was saved before), in one run, alternating.

    python bench/chat_writes.py                      # 3,000 messages in 2,000 rooms, 3 rounds
    python bench/chat_writes.py --rooms 200 --history 200    # rooms with a full history

Both against the embedded MongoDB-wire server on disk (what a fresh install uses), each round
on a fresh database whose rooms have ``--history`` messages saved. The batched side runs
``WriteQueue.gather`` as the chat concern does, each message naming the one it pushes out of
its room's history; the reference saves each message alone and then trims its room. Prints
each run's rate and the ratio of the medians. Not a test: it never fails on numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections import deque

from watchparty.core.limits import CHAT_HISTORY
from watchparty.rooms.writebehind import WriteQueue
from watchparty.store.chat import NewMessage
from watchparty.store.database import Store
from watchparty.store.embedded import EmbeddedMongo

KEEP = CHAT_HISTORY


def messages(count: int, rooms: int, seed: int) -> list[tuple[str, dict[str, object]]]:
    chance = random.Random(seed)
    return [
        (
            f"room-{chance.randrange(rooms)}",
            {
                "id": f"m{seed}-{n}",
                "member_id": "m1",
                "user_id": None,
                "by": "ann",
                "text": "a message of about the usual length, said in passing",
                "at": 1_795_540_000.0 + n / 1000,
            },
        )
        for n in range(count)
    ]


def prefill_ids(room: int, history: int) -> list[str]:
    return [f"old-{room}-{n}" for n in range(history)]


async def prefill(store: Store, rooms: int, history: int) -> None:
    template = messages(1, 1, 0)[0][1]
    for room in range(rooms):
        old = [
            NewMessage(f"room-{room}", {**template, "id": id_, "at": float(n)}, None)
            for n, id_ in enumerate(prefill_ids(room, history))
        ]
        if old:
            await store.chat.add(old)


async def one_at_a_time(
    store: Store, sent: list[tuple[str, dict[str, object]]], history: int
) -> float:
    started = time.perf_counter()
    for room_id, message in sent:
        await store.chat.add([NewMessage(room_id, message, None)])
        await store.chat.trim(room_id, KEEP)
    return time.perf_counter() - started


async def batched(store: Store, sent: list[tuple[str, dict[str, object]]], history: int) -> float:
    kept: dict[str, deque[str]] = {}
    queue = WriteQueue()
    queue.start()
    started = time.perf_counter()
    for room_id, message in sent:
        if room_id not in kept:
            kept[room_id] = deque(prefill_ids(int(room_id[5:]), history), maxlen=KEEP)
        ids = kept[room_id]
        dropped = ids[0] if len(ids) == KEEP else None
        ids.append(str(message["id"]))
        queue.gather(store.chat.add, NewMessage(room_id, message, dropped))
    await queue.flush(600)
    took = time.perf_counter() - started
    await queue.close()
    return took


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rooms", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--history", type=int, default=0, help="messages each room has saved")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {"batched": [], "one at a time": []}
    with tempfile.TemporaryDirectory() as data:
        server = EmbeddedMongo(data)
        await server.start()
        try:
            for round_number in range(args.rounds):
                sides = [("batched", batched), ("one at a time", one_at_a_time)]
                for name, run in sides if round_number % 2 == 0 else sides[::-1]:
                    store = Store(
                        f"{server.uri}chat_bench_{round_number}_{len(name)}", timeout_ms=30_000
                    )
                    await store.prepare()
                    await prefill(store, args.rooms, args.history)
                    sent = messages(args.messages, args.rooms, round_number)
                    took = await run(store, sent, args.history)
                    kept = await store.db["chat"].count_documents({})
                    await store.close()
                    rates[name].append(args.messages / took)
                    print(
                        f"round {round_number + 1} {name:>13}: {args.messages / took:8.0f} msg/s"
                        f" ({kept} kept)"
                    )
        finally:
            await server.stop()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratios = [b / o for b, o in zip(rates["batched"], rates["one at a time"], strict=True)]
    print(
        f"median: batched {medians['batched']:.0f} msg/s, one at a time "
        f"{medians['one at a time']:.0f} msg/s; batched/one at a time "
        f"{statistics.median(ratios):.1f}x (each round {min(ratios):.1f}-{max(ratios):.1f}x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
