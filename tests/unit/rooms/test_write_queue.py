"""The write queue's batches, without a database: what arrives during a write waits for the
next batch, a retry repeats the same items, and the limit counts writes, not operations."""

from __future__ import annotations

import asyncio

from watchparty.rooms.writebehind import BATCH_MOST, WriteQueue
from watchparty.store.errors import StoreUnavailable


class Recorder:
    """A batch write that can be held open, or fail with an outage a number of times."""

    def __init__(self, outages: int = 0) -> None:
        self.batches: list[list[int]] = []
        self.outages = outages
        self.release = asyncio.Event()
        self.release.set()
        self.started = asyncio.Event()

    async def write(self, items: list[int]) -> None:
        self.batches.append(list(items))
        self.started.set()
        await self.release.wait()
        if self.outages:
            self.outages -= 1
            raise StoreUnavailable("AutoReconnect")


async def test_items_that_arrive_during_a_write_wait_for_the_next_batch() -> None:
    recorder = Recorder()
    recorder.release.clear()
    queue = WriteQueue()
    queue.start()
    try:
        queue.gather(recorder.write, 1)
        queue.gather(recorder.write, 2)
        await recorder.started.wait()
        queue.gather(recorder.write, 3)  # the first batch has started: a new one
        queue.gather(recorder.write, 4)
        assert queue.pending == 4
        recorder.release.set()
        assert await queue.flush(5)
    finally:
        await queue.close()
    assert recorder.batches == [[1, 2], [3, 4]]
    assert queue.pending == 0


async def test_a_retried_batch_repeats_exactly_its_items() -> None:
    recorder = Recorder(outages=2)
    queue = WriteQueue(retry_first=0.01, retry_max=0.02)
    for item in range(BATCH_MOST + 5):
        queue.gather(recorder.write, item)
    queue.start()
    try:
        assert await queue.flush(5)
    finally:
        await queue.close()
    first = list(range(BATCH_MOST))
    assert recorder.batches == [first, first, first, list(range(BATCH_MOST, BATCH_MOST + 5))]
    assert queue.retries == 2


async def test_the_limit_counts_the_writes_in_batches() -> None:
    recorder = Recorder()
    queue = WriteQueue(limit=10)
    for item in range(10):
        queue.gather(recorder.write, item)
    done: list[str] = []

    async def other() -> None:
        done.append("other")

    queue.put(other)  # over the limit: the oldest operation, the whole batch, is dropped
    assert queue.pending == 1
    queue.start()
    try:
        assert await queue.flush(5)
    finally:
        await queue.close()
    assert (recorder.batches, done) == ([], ["other"])
