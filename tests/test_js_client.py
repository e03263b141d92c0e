"""Runs tests/js/ (the npm ``socket.io-client`` in Node) against the real server."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

JS_DIR = Path(__file__).parent / "js"


async def test_node_socketio_client(server: TestServer) -> None:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        pytest.fail("node and tests/js/node_modules are needed: run `npm ci --prefix tests/js`")
    process = await asyncio.create_subprocess_exec(
        node,
        "--test",
        "--test-reporter=spec",
        str(JS_DIR / "rooms.test.js"),
        cwd=JS_DIR,
        env={**os.environ, "WATCHPARTY_URL": str(server.make_url("")).rstrip("/")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    assert re.search(r"\bpass [1-9]", text), text
    assert re.search(r"\bfail 0\b", text), text
