"""Background tasks stop for certain: one that loses a cancellation, as Python 3.11's
``asyncio.wait_for`` can (CPython gh-86296), is cancelled again; one that never stops is named
and left, instead of hanging the shutdown."""

from __future__ import annotations

import asyncio

import pytest

from watchparty.stopping import cancel_and_wait


async def loses_one_cancellation(told: list[int]) -> None:
    try:
        await asyncio.sleep(10)
    except asyncio.CancelledError:
        told.append(1)
    await asyncio.sleep(10)  # goes on as if never told: only a second cancel ends it


async def stops_only_when(told: asyncio.Event) -> None:
    while True:
        try:
            await told.wait()
            return
        except asyncio.CancelledError:
            pass


async def test_a_task_that_lost_a_cancellation_is_cancelled_again() -> None:
    told: list[int] = []
    task = asyncio.get_running_loop().create_task(loses_one_cancellation(told))
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait([task], every=0.01), 2)
    assert task.cancelled()
    assert told == [1]


async def test_a_task_that_never_stops_is_named_and_left(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = asyncio.get_running_loop()
    told = asyncio.Event()
    task = loop.create_task(stops_only_when(told), name="stubborn")
    quiet = loop.create_task(asyncio.sleep(10))
    await asyncio.sleep(0)
    started = loop.time()
    with caplog.at_level("ERROR", logger="watchparty.stopping"):
        await cancel_and_wait([task, quiet], within=0.1, every=0.02)
    assert loop.time() - started < 1
    assert quiet.cancelled()
    assert not task.done()
    assert "stubborn did not stop within 0.1 s of being cancelled" in caplog.text
    told.set()
    await task


async def test_finished_tasks_need_no_wait() -> None:
    done = asyncio.get_running_loop().create_future()
    done.set_result(None)
    await asyncio.wait_for(cancel_and_wait([done]), 0.1)
    assert not done.cancelled()
