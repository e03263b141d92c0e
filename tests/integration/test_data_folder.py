"""The embedded database's folder (the review's findings: a second server on one folder
killed the first one's database; the folder's files were readable by anyone)."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import aiohttp

from tests.processes import spawn, wait_healthy


async def test_a_second_server_on_the_same_folder_refuses_and_changes_nothing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    first = await spawn(tmp_path, embedded_data=data)
    try:
        await wait_healthy(first.url)
        second = await spawn(tmp_path, embedded_data=data, capture=True)
        output, _ = await asyncio.wait_for(second.process.communicate(), timeout=30)
        text = output.decode()
        assert second.process.returncode == 2, text
        assert f"the data folder {data} is in use by a running watchparty" in text
        assert f"(pid {first.process.pid})" in text
        assert "Traceback" not in text
        # The first server's database is untouched: it still creates and serves rooms.
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{first.url}/api/rooms", json={}) as response:
                assert response.status == 201
                room = (await response.json())["id"]
            async with http.get(f"{first.url}/api/rooms/{room}") as response:
                assert response.status == 200
    finally:
        await first.stop()


async def test_the_data_folder_is_its_owners_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "old-file").write_text("made before, with a loose umask")
    (data / "old-file").chmod(0o644)
    server = await spawn(tmp_path, embedded_data=data)
    try:
        await wait_healthy(server.url)
        # Something written to the database.
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{server.url}/api/rooms", json={}) as response,
        ):
            assert response.status == 201
        await asyncio.sleep(0.5)
        paths = [data, *data.rglob("*")]
        assert len(paths) > 3
        for path in paths:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path}: {oct(mode)}"
    finally:
        await server.stop()
