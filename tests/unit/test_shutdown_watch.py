"""A shutdown that hangs names what it waits on, even when the event loop itself is stuck; a
prompt one says nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from watchparty.wiring.shutdown import ShutdownWatch


async def stop_app(watch: ShutdownWatch, hold: float) -> None:
    app = web.Application()
    watch.watch(app)

    async def slow_clean_up(app: web.Application) -> AsyncIterator[None]:
        yield
        await asyncio.sleep(hold)

    app.cleanup_ctx.append(slow_clean_up)
    runner = web.AppRunner(app)
    await runner.setup()
    await runner.cleanup()


async def test_a_slow_clean_up_is_named(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    watch = ShutdownWatch(seconds=0.05)
    with caplog.at_level("ERROR", logger="watchparty.wiring.shutdown"):
        await stop_app(watch, 0.5)
    watch.cancel()
    assert "still shutting down after 0.05 s" in caplog.text
    assert "slow_clean_up" in caplog.text  # inside the clean-up's async generator
    assert "Current thread" in capfd.readouterr().err  # every thread's stack


async def test_a_stuck_event_loop_is_still_reported(caplog: pytest.LogCaptureFixture) -> None:
    watch = ShutdownWatch(seconds=0.05)
    with caplog.at_level("ERROR", logger="watchparty.wiring.shutdown"):
        await watch.start(web.Application())
        time.sleep(0.5)  # noqa: ASYNC251  # the loop blocked: no task of its could report
        watch.cancel()
    assert "still shutting down after 0.05 s" in caplog.text


async def test_a_prompt_shutdown_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    watch = ShutdownWatch(seconds=0.2)
    with caplog.at_level("ERROR", logger="watchparty.wiring.shutdown"):
        await stop_app(watch, 0.0)
        watch.cancel()
        await asyncio.sleep(0.4)
    assert caplog.text == ""


async def test_a_task_that_lost_its_cancellation_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def deaf() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(10)  # as Python 3.11's wait_for can: told, and carrying on

    task = asyncio.get_running_loop().create_task(deaf(), name="deaf")
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.sleep(0)
    watch = ShutdownWatch(seconds=0.05)
    with caplog.at_level("ERROR", logger="watchparty.wiring.shutdown"):
        await watch.start(web.Application())
        await asyncio.sleep(0.3)
        watch.cancel()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert "deaf (cancelled 1 times):" in caplog.text
