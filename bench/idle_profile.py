"""Where an idle connection's memory goes: the server in this process under tracemalloc,
N official Socket.IO clients (Node, tests/js's socket.io-client) joined to one room and left
idle, and the allocations that grew, by the line that made them, per connection.

    python bench/idle_profile.py [--clients 1000] [--top 25]

Run from the project root after ``bash scripts/test --co -q`` (it installs tests/js). The
figures are tracemalloc's (Python objects only, not the allocator's slack), so they add up
to less than the RSS growth that ../shared/bench/idle.sh reports; they say *where*.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import tempfile
import tracemalloc
from pathlib import Path

import aiohttp
from aiohttp import web

from watchparty.app import create_app
from watchparty.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CLIENTS_JS = """
const { io } = require("socket.io-client");
const [url, room, n] = process.argv.slice(1);  // node -e: no script path
let up = 0;
for (let i = 0; i < Number(n); i++) {
  const s = io(`${url}/rooms`, { transports: ["websocket"], auth: { room, name: `idle${i}` },
    forceNew: true, reconnection: false });
  s.once("ROOM_STATE", () => { if (++up === Number(n)) console.log("up"); });
  s.once("connect_error", (e) => { console.error(e.message); process.exit(1); });
}
"""


async def main(clients: int, top: int) -> None:
    environ = {
        **os.environ,
        "WATCHPARTY_DATA_DIR": tempfile.mkdtemp(),
        "LOG_LEVEL": "WARNING",
        "WATCHPARTY_MAX_MEMBERS": "100000",
        "WATCHPARTY_FREE_MAX_MEMBERS": "100000",
        "WATCHPARTY_CONNECT_RATE_LIMIT": "1000000/minute",
        "WATCHPARTY_GUEST_RATE_LIMIT": "1000000/hour",
    }
    tracemalloc.start(8)
    runner = web.AppRunner(create_app(Settings.from_env(environ)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    room = await _room(url)
    await asyncio.sleep(1)
    gc.collect()
    before = tracemalloc.take_snapshot()
    node = await asyncio.create_subprocess_exec(
        "node",
        "-e",
        CLIENTS_JS,
        url,
        room,
        str(clients),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(ROOT / "tests" / "js" / "node_modules")},
    )
    assert node.stdout is not None
    if await asyncio.wait_for(node.stdout.readline(), 120) != b"up\n":
        raise SystemExit("the clients did not all join")
    await asyncio.sleep(5)  # the joins' broadcasts settle
    gc.collect()
    after = tracemalloc.take_snapshot()
    stats = after.compare_to(before, "lineno")
    total = sum(stat.size_diff for stat in stats)
    print(f"{clients} idle connections: {total / clients / 1024:.1f} KiB each (tracemalloc)")
    for stat in stats[:top]:
        frame = stat.traceback[0]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        print(f"{stat.size_diff / clients:8.0f} B {stat.count_diff / clients:6.2f} obj  {where}")
    tasks = len(asyncio.all_tasks())
    print(f"asyncio tasks: {tasks} ({tasks / clients:.2f} per connection)")
    node.kill()
    await node.wait()
    await runner.cleanup()


async def _room(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms", json={}) as r:
        return str((await r.json())["id"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--top", type=int, default=25)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.clients, arguments.top))
