"""Runs tests/js/ in Node: the npm ``socket.io-client`` against the real server, and the
page's sync arithmetic (static/sync.js)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

JS_DIR = Path(__file__).parent / "js"


async def node_test(script: str, env: dict[str, str] | None = None) -> None:
    """Run one of tests/js/ with ``node --test`` and check that it ran and passed."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        pytest.fail("node and tests/js/node_modules are needed: run `npm ci --prefix tests/js`")
    process = await asyncio.create_subprocess_exec(
        node,
        "--test",
        "--test-reporter=spec",
        str(JS_DIR / script),
        cwd=JS_DIR,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert re.search(r"\bpass [1-9]", text), text
    assert re.search(r"\bfail 0\b", text), text


async def test_node_socketio_client(server: TestServer) -> None:
    await node_test("rooms.test.js", {"WATCHPARTY_URL": str(server.make_url("")).rstrip("/")})


async def test_the_pages_sync_arithmetic() -> None:
    """static/sync.js (clock offset, room position, drift steering) in Node."""
    await node_test("sync.test.js")
