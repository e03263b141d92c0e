"""Stopping the embedded database server when it does not act on the first SIGTERM (nx-27017
now and then does not): it is asked again, and killed only when asking does not work."""

from __future__ import annotations

import asyncio
import sys

import pytest

from watchparty.store import embedded
from watchparty.store.embedded import EmbeddedMongo

# A server stand-in that lets ``ignored`` SIGTERMs pass before it exits 0.
STUBBORN = """
import signal, sys, time
ignored = int(sys.argv[1])
def on_term(*_):
    global ignored
    if ignored == 0:
        raise SystemExit(0)
    ignored -= 1
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
while True:
    time.sleep(0.01)
"""


async def stop_one_that_ignores(ignored: int, caplog: pytest.LogCaptureFixture) -> int | None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", STUBBORN, str(ignored), stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    assert await process.stdout.readline() == b"ready\n"
    server = EmbeddedMongo("memory")
    server._process = process  # as start() leaves it
    with caplog.at_level("INFO", logger="watchparty.store.embedded"):
        await server.stop()
    return process.returncode


async def test_a_server_that_lets_a_sigterm_pass_is_asked_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await stop_one_that_ignores(1, caplog) == 0
    assert "stopped after 2 SIGTERMs" in caplog.text
    assert "killing" not in caplog.text


async def test_a_server_that_never_stops_is_killed(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "STOP_SECONDS", 1.0)
    assert await stop_one_that_ignores(1000, caplog) == -9
    assert "did not stop; killing it" in caplog.text
