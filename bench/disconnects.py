"""What one disconnect costs the Socket.IO manager as connections grow: python-socketio's own
``AsyncManager`` beside watchparty's (``realtime.room_index``), in the same run, alternating.

    python bench/disconnects.py [--rounds 3]

Sockets of five per room (each also in a room of its own, as python-socketio puts it), then
300 disconnects timed; prints milliseconds per disconnect and the ratio, per round.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import socketio

from watchparty.realtime.fanout import FanoutManager

NAMESPACE = "/rooms"
DISCONNECTS = 300


async def per_disconnect(manager: socketio.AsyncManager, rooms: int, per_room: int) -> float:
    socketio.AsyncServer(client_manager=manager)
    manager.initialize()
    sids = []
    for room in range(rooms):
        for k in range(per_room):
            sid = await manager.connect(f"e{room}-{k}", NAMESPACE)
            await manager.enter_room(sid, NAMESPACE, f"room{room}")
            sids.append(sid)
    started = time.perf_counter()
    for sid in sids[:DISCONNECTS]:
        await manager.disconnect(sid, NAMESPACE)
    return (time.perf_counter() - started) / DISCONNECTS * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print("| connections | round | python-socketio ms | watchparty ms | ratio |")
    print("|---|---|---|---|---|")
    for rooms in (200, 600, 2000):
        ratios = []
        for round_ in range(args.rounds):
            makers = [socketio.AsyncManager, FanoutManager]
            if round_ % 2:
                makers.reverse()
            took = {maker: await per_disconnect(maker(), rooms, 5) for maker in makers}
            theirs, ours = took[socketio.AsyncManager], took[FanoutManager]
            ratios.append(ours / theirs)
            print(
                f"| {rooms * 5} | {round_ + 1} | {theirs:.3f} | {ours:.4f} | {ours / theirs:.4f} |"
            )
        print(f"| {rooms * 5} | median | | | {statistics.median(ratios):.4f} |")


if __name__ == "__main__":
    asyncio.run(main())
