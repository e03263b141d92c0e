"""Rooms survive restarts and database outages: the app, the database and clients all real."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pymongo import AsyncMongoClient

from tests.integration.test_metrics import scrape
from tests.mongo import MongoProcess, fresh_database_uri
from tests.peers import Peer
from tests.processes import spawn, wait_healthy
from tests.reach import Reached
from tests.waiting import until
from watchparty.app import create_app
from watchparty.keys import WRITE_BEHIND
from watchparty.settings import Settings
from watchparty.store.embedded import free_port, server_command


async def start(settings: Settings, reached: Reached | None = None) -> TestServer:
    app = create_app(settings)
    if reached is not None:
        reached.watch(app)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return server


def url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


async def new_room(http: aiohttp.ClientSession, base: str) -> str:
    async with http.post(f"{base}/api/rooms", json={"name": "Movie night"}) as response:
        assert response.status == 201, await response.text()
        return str((await response.json())["id"])


async def get_room(http: aiohttp.ClientSession, base: str, room: str) -> tuple[int, Any]:
    async with http.get(f"{base}/api/rooms/{room}") as response:
        return response.status, await response.json()


def position_now(state: dict[str, Any], server_time: float) -> float:
    elapsed = server_time - state["updated_at"] if state["playing"] else 0.0
    return float(state["position"] + elapsed * state["rate"])


def embedded_database_pid(data_dir: Path) -> int:
    return int((data_dir / "nx-27017.pid").read_text().split()[0])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_room_comes_back_after_a_restart_at_the_right_position(
    settings: Settings, http: aiohttp.ClientSession
) -> None:
    first = await start(settings)
    peer = Peer("ann")
    try:
        room = await new_room(http, url(first))
        await peer.connect(url(first), {"room": room, "name": "ann"})
        queue = [
            {"video_id": "a----------", "title": "First"},
            {"video_id": "b----------", "duration": 120.0},
        ]
        assert (await peer.call("UPDATE_QUEUE", {"queue": queue}))["ok"]
        assert (await peer.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"}))["ok"]
        assert (await peer.call("PLAY", {}))["ok"]
        last = await peer.call("SEEK", {"timestamp": 30.0})
        assert last["ok"]
    finally:
        await peer.close()
        await first.close()  # shutdown flushes the write-behind

    await asyncio.sleep(0.5)  # the room keeps playing while the server is down
    second = await start(settings)
    try:
        status, body = await get_room(http, url(second), room)
        assert status == 200
        state = body["state"]
        assert state == last["state"]  # same version, queue, video, anchor
        assert body["name"] == "Movie night"
        now = position_now(state, body["server_time"])
        assert now >= 30.5 - 0.3  # the seek started after the start lead, 0.3 s
        assert now == pytest.approx(30.0 + (body["server_time"] - state["updated_at"]))
        # A client joining the restarted server gets the same state, and commands go on.
        peer = Peer("bob")
        await peer.connect(url(second), {"room": room, "name": "bob"})
        assert (await peer.next("ROOM_STATE"))["state"] == state
        ack = await peer.call("PAUSE", {"version": state["version"]})
        assert ack["ok"]
        assert ack["state"]["version"] == state["version"] + 1
        await peer.close()
    finally:
        await second.close()


async def test_a_database_outage_loses_no_accepted_change(
    tmp_path: Path, http: aiohttp.ClientSession, reached: Reached
) -> None:
    database = MongoProcess(tmp_path / "mongodb")
    database.start()
    uri = fresh_database_uri(database.uri)
    settings = Settings(
        host="127.0.0.1", port=0, data_dir=tmp_path, mongodb_uri=uri, db_timeout_ms=300
    )
    server = await start(settings, reached)
    ann, bob = Peer("ann"), Peer("bob")
    try:
        room = await new_room(http, url(server))
        await ann.connect(url(server), {"room": room, "name": "ann"})
        await bob.connect(url(server), {"room": room, "name": "bob"})

        database.stop()
        # The live room keeps working: commands are accepted and broadcast.
        acks = [
            await ann.call("CHANGE_VIDEO", {"video_id": "outage-----"}),
            await ann.call(
                "UPDATE_QUEUE", {"queue": [{"video_id": "x----------", "title": "During"}]}
            ),
            await bob.call("PLAY", {}),
            await bob.call("SEEK", {"timestamp": 12.5}),
        ]
        assert all(ack["ok"] for ack in acks), acks
        assert (await ann.next("SEEK"))["state"] == acks[-1]["state"]
        status, body = await get_room(http, url(server), room)
        assert (status, body["state"]) == (200, acks[-1]["state"])
        # What needs the database says so clearly.
        async with http.post(f"{url(server)}/api/rooms") as response:
            assert response.status == 503
            assert (await response.json())["error"]["code"] == "database_unavailable"
        # A page that needs it says so too, in the reader's language.
        page = f"{url(server)}/r/notloaded01"
        async with http.get(page, headers={"Accept-Language": "de"}) as response:
            assert response.status == 503
            assert "die Datenbank ist nicht erreichbar" in await response.text()
        assert server.app is not None
        assert server.app[WRITE_BEHIND].pending == 1
        # /metrics shows the backlog, its age and the failed attempts.
        retries = ("watchparty_room_writes_retries_total", ())
        async with asyncio.timeout(10):
            while (samples := await scrape(http, url(server)))[retries] < 1:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # polling a remote endpoint: no event to wait on
        assert samples[("watchparty_room_writes_pending", ())] == 1
        assert samples[("watchparty_room_writes_lag_seconds", ())] > 0.2

        database.start()
        assert await server.app[WRITE_BEHIND].flush(30)
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
        try:
            doc = await client.get_default_database().rooms.find_one({"_id": room})
        finally:
            await client.close()
        assert doc is not None
        final = acks[-1]["state"]
        assert doc["version"] == final["version"] == 4
        assert doc["playback"] == {
            "video_id": "outage-----",
            "playing": True,
            "position": 12.5,
            "rate": 1.0,
            "updated_at": final["updated_at"],
            "duration": None,
            "title": None,
            "waiting": False,
            "lead_rate": 0.0,
            "subtitles": [],
        }
        assert [(i["video_id"], i["title"]) for i in doc["queue"]] == [("x----------", "During")]
    finally:
        await ann.close()
        await bob.close()
        await server.close()
        database.stop()


async def test_racing_writers_lose_nothing(settings: Settings, http: aiohttp.ClientSession) -> None:
    """Clients appending to the queue at once, each retrying on stale_version: all land."""
    server = await start(settings)
    peers = [Peer(f"p{i}") for i in range(3)]
    try:
        room = await new_room(http, url(server))
        for peer in peers:
            await peer.connect(url(server), {"room": room, "name": peer.name})
        assert (await peers[0].call("CHANGE_VIDEO", {"video_id": "playing----"}))["ok"]

        async def append(peer: Peer, video: str) -> None:
            state = (await get_room(http, url(server), room))[1]["state"]
            while True:
                queue = [*state["queue"], {"video_id": video}]
                ack = await peer.call("UPDATE_QUEUE", {"queue": queue, "version": state["version"]})
                if ack["ok"]:
                    return
                assert ack["error"]["code"] == "stale_version"
                state = ack["state"]

        def video(peer: Peer, k: int) -> str:
            return f"{peer.name}-{k}".ljust(11, "-")  # an 11-character YouTube-shaped id

        wanted = {video(peer, k) for peer in peers for k in range(4)}
        await asyncio.gather(*(append(p, video(p, k)) for p in peers for k in range(4)))
        status, body = await get_room(http, url(server), room)
        assert status == 200
        assert {item["video_id"] for item in body["state"]["queue"]} == wanted
        assert server.app is not None
        assert await server.app[WRITE_BEHIND].flush(10)
    finally:
        for peer in peers:
            await peer.close()
        await server.close()
    # What was stored is what the room had: start again and compare.
    again = await start(settings.model_copy())
    try:
        _, stored = await get_room(http, url(again), room)
        assert stored["state"] == body["state"]
    finally:
        await again.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
async def test_embedded_default_survives_a_restart_and_leaves_nothing_behind(
    tmp_path: Path, http: aiohttp.ClientSession, stop_signal: signal.Signals
) -> None:
    """`python -m watchparty` with no MONGODB_URI: its own database, stopped with it."""
    data_dir = tmp_path / "wp-data"

    async def run_once(check: Any) -> Any:
        server = await spawn(tmp_path, embedded_data=data_dir, capture=True)
        try:
            await wait_healthy(server.url)
            database_pid = embedded_database_pid(data_dir)
            assert alive(database_pid)
            result = await check(server.url)
            server.process.send_signal(stop_signal)
            output, _ = await asyncio.wait_for(server.process.communicate(), 30)
            assert server.process.returncode == 0, output.decode()
            assert "embedded database" in output.decode()
            assert not alive(database_pid), "the embedded database server was left running"
            return result
        finally:
            await server.stop()

    async def fill(base: str) -> tuple[str, dict[str, Any]]:
        room = await new_room(http, base)
        peer = Peer("ann")
        await peer.connect(base, {"room": room, "name": "ann"})
        await peer.call("UPDATE_QUEUE", {"queue": [{"video_id": "kept-------"}]})
        ack = await peer.call("CHANGE_VIDEO", {"video_id": "restart----"})
        await peer.close()
        return room, ack["state"]

    room, state = await run_once(fill)

    async def read(base: str) -> Any:
        return await get_room(http, base, room)

    status, body = await run_once(read)
    assert status == 200
    assert body["state"] == state
    assert time.time() - body["state"]["updated_at"] < 60


async def test_the_database_server_never_outlives_a_killed_watchparty(tmp_path: Path) -> None:
    server = await spawn(tmp_path, embedded_data=tmp_path / "data")
    try:
        await wait_healthy(server.url)
        database = embedded_database_pid(tmp_path / "data")
        server.process.kill()  # no chance to clean up
        await server.process.wait()
        await until(lambda: not alive(database))
    finally:
        await server.stop()


async def test_a_leftover_database_server_is_stopped_at_the_next_start(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    """Where the kernel cannot stop it (not Linux), the next start does."""
    data = tmp_path / "data"
    (data / "mongodb").mkdir(parents=True)
    leftover = await asyncio.create_subprocess_exec(
        *server_command(free_port(), str(data / "mongodb"), data / "nx-27017"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    await until((data / "nx-27017.pid").exists)  # it runs and says so, as a leftover would
    server = await spawn(tmp_path, embedded_data=data)
    try:
        await wait_healthy(server.url)
        await until(lambda: leftover.returncode is not None, within=5)
        assert (await get_room(http, server.url, "no-such-room"))[0] == 404
    finally:
        if leftover.returncode is None:
            leftover.kill()
        await leftover.wait()
        server.process.terminate()
        await asyncio.wait_for(server.process.wait(), 30)
