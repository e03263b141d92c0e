"""Runs tests/js/ in Node: the npm ``socket.io-client`` against the real server, and the
page's sync arithmetic (static/js/sync.js)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

JS_DIR = Path(__file__).parent.parent / "js"


async def node_test(*scripts: str, env: dict[str, str] | None = None) -> None:
    """Run files of tests/js/ with ``node --test`` and check that they ran and passed."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        pytest.fail("node and tests/js/node_modules are needed: run `npm ci --prefix tests/js`")
    process = await asyncio.create_subprocess_exec(
        node,
        "--test",
        "--test-reporter=spec",
        *(str(JS_DIR / script) for script in scripts),
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
    await node_test("rooms.test.js", env={"WATCHPARTY_URL": str(server.make_url("")).rstrip("/")})


async def test_the_pages_pure_units() -> None:
    """static/js's pure modules (clock offset, steering, links, the member list) in Node."""
    units = sorted(path.name for path in (JS_DIR / "unit").glob("*.test.mjs"))
    assert len(units) >= 4
    await node_test(*(f"unit/{name}" for name in units))
