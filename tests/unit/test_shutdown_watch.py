"""A shutdown that hangs names what it waits on, and a prompt one says nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from watchparty.wiring.shutdown import setup_shutdown_watch


async def stop_app(hold: float, caplog: pytest.LogCaptureFixture) -> str:
    app = web.Application()
    setup_shutdown_watch(app, seconds=0.05)

    async def slow_clean_up(app: web.Application) -> AsyncIterator[None]:
        yield
        await asyncio.sleep(hold)

    app.cleanup_ctx.append(slow_clean_up)
    runner = web.AppRunner(app)
    await runner.setup()
    with caplog.at_level("ERROR", logger="watchparty.wiring.shutdown"):
        await runner.cleanup()
    return caplog.text


async def test_a_slow_shutdown_logs_the_stacks_it_waits_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = await stop_app(0.3, caplog)
    assert "still shutting down after 0.05 s" in text
    assert "slow_clean_up" in text


async def test_a_prompt_shutdown_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert await stop_app(0.0, caplog) == ""
    await asyncio.sleep(0.1)  # the watch was cancelled: it does not log later either
    assert caplog.text == ""
