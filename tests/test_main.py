"""``python -m watchparty`` as a user runs it: a real process, a real port, real signals."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from pathlib import Path

import aiohttp

from tests.peers import Peer


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "watchparty",
        cwd=cwd,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def wait_healthy(url: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, asyncio.timeout(20):
        while True:
            try:
                async with http.get(f"{url}/healthz") as response:
                    return dict(await response.json())
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)


async def test_serves_on_port_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    process = await start({"PORT": str(port), "HOST": "127.0.0.1"}, tmp_path)
    try:
        health = await wait_healthy(f"http://127.0.0.1:{port}")
        assert health["status"] == "ok"
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, output.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_bad_setting_fails_at_start_with_a_clear_message(tmp_path: Path) -> None:
    process = await start({"PORT": "not-a-port"}, tmp_path)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 2
    assert "PORT must be a whole number" in output.decode()


async def test_sigterm_with_clients_connected_exits_promptly(tmp_path: Path) -> None:
    """Open websockets must not hold a restart (Heroku allows 30 s after SIGTERM)."""
    port = free_port()
    process = await start({"PORT": str(port), "HOST": "127.0.0.1"}, tmp_path)
    peers = [Peer(f"p{i}") for i in range(3)]
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_healthy(base)
        async with aiohttp.ClientSession() as http, http.post(f"{base}/api/rooms") as response:
            room = (await response.json())["id"]
        for i, peer in enumerate(peers):
            transport = "polling" if i == 0 else "websocket"
            await peer.connect(base, {"room": room, "name": peer.name}, transport=transport)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=40)
        assert process.returncode == 0, output.decode()
        assert time.monotonic() - started < 10
        for peer in peers:
            await asyncio.wait_for(peer.disconnected.wait(), timeout=5)
    finally:
        for peer in peers:
            await peer.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
