"""``python -m watchparty`` as a user runs it: a real process on a free port."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from watchparty.store.embedded import free_port


@dataclass
class Running:
    process: asyncio.subprocess.Process
    url: str

    async def stop(self) -> None:
        """Kill it if a test left it running."""
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def spawn(
    cwd: Path,
    *,
    embedded_data: Path | None = None,
    capture: bool = False,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    log: Path | None = None,
    **more_env: str,
) -> Running:
    """Start the server; ``embedded_data`` makes it start its own database there.

    ``capture`` collects its output for ``communicate()``; only for short runs, since nothing
    reads the pipe until then. ``log`` writes it to that file instead.
    """
    port = port or free_port()
    environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **(env or {}), **more_env}
    if embedded_data is not None:
        environment.pop("MONGODB_URI", None)
        environment["WATCHPARTY_DATA_DIR"] = str(embedded_data)
    output: Any = asyncio.subprocess.PIPE if capture else None
    if log is not None:
        output = log.open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "watchparty",
        cwd=cwd,
        env=environment,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT if capture or log is not None else None,
    )
    if log is not None:
        output.close()  # the child has its own copy
    return Running(process, f"http://127.0.0.1:{port}")


async def wait_healthy(url: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, asyncio.timeout(20):
        while True:
            try:
                async with http.get(f"{url}/healthz") as response:
                    return dict(await response.json())
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
