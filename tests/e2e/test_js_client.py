"""Runs tests/js/ in Node: the npm ``socket.io-client`` against the real server, and the
page's pure units, and the client library's own tests (clients/js)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from tests.conftest import ServerFactory

JS_DIR = Path(__file__).parent.parent / "js"


async def node_test(*scripts: str, env: dict[str, str] | None = None, cwd: Path = JS_DIR) -> None:
    """Run files (of tests/js/, unless ``cwd`` says another folder) with ``node --test`` and
    check that they ran and passed."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        pytest.fail("node and tests/js/node_modules are needed: run `npm ci --prefix tests/js`")
    process = await asyncio.create_subprocess_exec(
        node,
        "--test",
        "--test-reporter=spec",
        *(str(cwd / script) for script in scripts),
        cwd=cwd,
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


CLIENT_DIR = Path(__file__).parents[2] / "clients" / "js"


async def test_the_client_library(start_server: ServerFactory) -> None:
    """clients/js's own Node tests (node --test) against the real server (with the grace
    period a lost connection comes back within, as in production)."""
    server = await start_server(reconnect_grace_seconds=5)
    if not (CLIENT_DIR / "node_modules" / "socket.io-client").is_dir():
        pytest.fail("the client's packages are needed: run `npm ci --prefix clients/js`")
    url = str(server.make_url("")).rstrip("/")
    await node_test(
        *sorted(str(p) for p in (CLIENT_DIR / "test").glob("*.test.mjs")),
        env={"WATCHPARTY_URL": url},
        cwd=CLIENT_DIR,
    )
