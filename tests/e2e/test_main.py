"""``python -m watchparty`` as a user runs it: a real process, a real port, real signals."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from tests.peers import NAMESPACE, Peer
from tests.processes import spawn, wait_healthy
from watchparty.store.embedded import free_port


async def test_serves_on_port_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    server = await spawn(tmp_path, capture=True)
    process = server.process
    try:
        health = await wait_healthy(server.url)
        assert health["status"] == "ok"
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as got:
            metrics = await got.text()
        assert 'python_gc_collections_total{generation="2"}' in metrics
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
        assert process.returncode == 0, output.decode()
    finally:
        await server.stop()


async def test_web_concurrency_without_redis_runs_one_process_and_says_so(
    tmp_path: Path,
) -> None:
    """Heroku's Python buildpack may set WEB_CONCURRENCY: without REDIS_URL, processes could
    not share rooms, so the server runs one and says why rather than failing to start."""
    server = await spawn(tmp_path, capture=True, WEB_CONCURRENCY="3")
    try:
        await wait_healthy(server.url)
        server.process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(server.process.communicate(), timeout=20)
        assert server.process.returncode == 0
        text = output.decode()
        assert "WEB_CONCURRENCY=3 needs REDIS_URL" in text
        assert text.count("starting on http://") == 1
    finally:
        await server.stop()


async def test_bad_setting_fails_at_start_with_a_clear_message(tmp_path: Path) -> None:
    server = await spawn(tmp_path, capture=True, PORT="not-a-port")
    output, _ = await asyncio.wait_for(server.process.communicate(), timeout=20)
    assert server.process.returncode == 2
    assert "PORT must be a whole number" in output.decode()


async def test_sigterm_with_clients_connected_exits_promptly(tmp_path: Path) -> None:
    """Open websockets must not hold a restart (Heroku allows 30 s after SIGTERM)."""
    server = await spawn(tmp_path, capture=True)
    process = server.process
    peers = [Peer(f"p{i}") for i in range(3)]
    try:
        base = server.url
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
        assert time.monotonic() - started < 10, output.decode()
        for peer in peers:
            await asyncio.wait_for(peer.disconnected.wait(), timeout=5)
    finally:
        for peer in peers:
            await peer.close()
        await server.stop()


async def test_a_restart_keeps_the_room_playing_and_clients_come_back_by_themselves(
    tmp_path: Path,
) -> None:
    """SIGTERM in the middle of playback: the server saves and closes every connection as a
    dropped one, so clients (python-socketio's too) reconnect by themselves to its successor,
    which has the room's queue, video and position, still playing."""
    port, data = free_port(), tmp_path / "data"
    first = await spawn(tmp_path, embedded_data=data, port=port)
    second = None
    snapshots: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    client = socketio.AsyncClient(reconnection_delay=0.2, reconnection_delay_max=1)
    client.on("ROOM_STATE", snapshots.put, namespace=NAMESPACE)
    try:
        await wait_healthy(first.url)
        async with aiohttp.ClientSession() as http, http.post(f"{first.url}/api/rooms") as r:
            room = (await r.json())["id"]
        await client.connect(
            first.url, namespaces=[NAMESPACE], auth={"room": room, "name": "ann"}, wait_timeout=5
        )
        await snapshots.get()
        queue = [{"video_id": "dQw4w9WgXcQ"}, {"video_id": "9bZkp7q19f0"}]
        queued = await client.call("UPDATE_QUEUE", {"queue": queue}, namespace=NAMESPACE)
        await client.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"}, namespace=NAMESPACE)
        await client.call("SEEK", {"timestamp": 30.0}, namespace=NAMESPACE)
        played = await client.call("PLAY", namespace=NAMESPACE)
        assert played["ok"], played
        first.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.process.wait(), timeout=20) == 0
        second = await spawn(tmp_path, embedded_data=data, port=port)
        snapshot = await asyncio.wait_for(snapshots.get(), timeout=30)
        state = snapshot["state"]
        assert state["video_id"] == "dQw4w9WgXcQ"
        assert [i["id"] for i in state["queue"]] == [i["id"] for i in queued["state"]["queue"]]
        assert state["playing"] is True
        assert state["version"] == played["state"]["version"]
        now = state["position"] + (snapshot["server_time"] - state["updated_at"])
        assert now > 30.0  # it kept playing through the restart
    finally:
        await client.disconnect()
        await first.stop()
        if second is not None:
            await second.stop()


def test_the_server_runs_on_uvloop_when_it_is_installed() -> None:
    """The [fast] extra (installed with the test extras) gives python -m watchparty uvloop's
    event loop; every server the tests above start runs on it."""
    import uvloop

    from watchparty.__main__ import new_event_loop

    loop = new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


async def test_json_log_lines_carry_request_ids(tmp_path: Path) -> None:
    server = await spawn(tmp_path, capture=True, LOG_FORMAT="json")
    process = server.process
    try:
        await wait_healthy(server.url)
        async with aiohttp.ClientSession() as http:
            proxied = {"X-Request-Id": "edge-1234-abcd"}
            async with http.get(f"{server.url}/healthz", headers=proxied) as response:
                assert response.headers["X-Request-Id"] == "edge-1234-abcd"
            # An id that does not look like one is replaced; errors get an id too.
            odd = {"X-Request-Id": "x\u00e9", "Authorization": "Bearer secret-looking-token"}
            async with http.get(f"{server.url}/api/rooms/nope?q=private", headers=odd) as r:
                assert r.status == 404
                generated = r.headers["X-Request-Id"]
        assert len(generated) == 16
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        await server.stop()
    text = output.decode()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]  # all JSON
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    requests = {line.get("request_id"): line for line in lines if "status" in line}
    health = requests["edge-1234-abcd"]
    assert (health["method"], health["path"], health["status"]) == ("GET", "/healthz", 200)
    missing = requests[generated]
    assert (missing["path"], missing["status"]) == ("/api/rooms/nope", 404)
    assert "secret-looking-token" not in text
    assert "private" not in text  # no query strings
