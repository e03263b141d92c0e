"""The connection's packet queue: asyncio.Queue's behaviour where engine.io relies on it,
and nothing lost when a wait is cut short."""

from __future__ import annotations

import asyncio

import pytest

from watchparty.realtime.slim_queue import SlimQueue


async def test_items_come_out_in_order() -> None:
    queue = SlimQueue()
    for item in ("a", "b", None):
        await queue.put(item)
    assert queue.qsize() == 3
    assert [queue.get_nowait(), await queue.get(), queue.get_nowait()] == ["a", "b", None]
    assert queue.empty()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_a_waiting_reader_wakes_on_put() -> None:
    queue = SlimQueue()
    reader = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not reader.done()
    queue.put_nowait("packet")
    assert await asyncio.wait_for(reader, 1) == "packet"


async def test_a_wait_cut_short_loses_nothing() -> None:
    queue = SlimQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.ready(), 0.01)
    queue.put_nowait("late")  # after the timeout: it must stay for the next wait
    await asyncio.wait_for(queue.ready(), 1)
    assert queue.get_nowait() == "late"


async def test_ready_at_once_when_something_is_queued() -> None:
    queue = SlimQueue()
    queue.put_nowait(1)
    assert queue.ready().done()
    assert queue.qsize() == 1  # waiting took nothing


async def test_join_waits_for_every_task_done() -> None:
    queue = SlimQueue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    joined = asyncio.ensure_future(queue.join())
    queue.get_nowait()
    queue.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    assert queue._unfinished_tasks == 1
    queue.get_nowait()
    queue.task_done()
    await asyncio.wait_for(joined, 1)
    await asyncio.wait_for(queue.join(), 1)  # nothing unfinished: at once
    with pytest.raises(ValueError, match="too many"):
        queue.task_done()
