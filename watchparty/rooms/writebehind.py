"""Write-behind: rooms are saved after their changes are broadcast, never before.

A room that changes is marked dirty; one background task waits a moment for more changes
(``GATHER_SECONDS``), then writes each dirty room's *latest* state, under the store's version
filter: a burst of commands costs one write, and at 50 commands a second a room is written
about four times a second rather than fifty. The rooms that changed in that moment go in one
request (``SAVE_BATCH`` at most), not one each. When the
database is unreachable the task keeps the rooms dirty and retries with backoff: nothing that
was accepted is lost while the process lives, and shutdown flushes what is pending.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from watchparty.rooms.ports import RoomSaver
from watchparty.stopping import cancel_and_wait
from watchparty.store.errors import StoreUnavailable
from watchparty.store.rooms import RoomRecord

log = logging.getLogger(__name__)

GATHER_SECONDS = 0.25  # what a crash (not a shutdown, which flushes) can lose at most
# Rooms one write carries: a retry after an outage repeats at most these, and one write of
# many small rooms holds no other write back for long.
SAVE_BATCH = 100
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0


class _Writer:
    """One background task that writes what is pending; ``flush`` waits until it is idle."""

    def __init__(self, retry_first: float, retry_max: float) -> None:
        self._retry_first = retry_first
        self._retry_max = retry_max
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.retries = 0  # writes that found the database unavailable (for /metrics)
        self.failures = 0  # writes the database refused for what they held (for /metrics)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _woken(self) -> None:
        """Something is pending now."""
        self._idle.clear()
        self._wake.set()

    async def flush(self, within: float) -> bool:
        """Wait until everything pending is written; False if ``within`` seconds ran out."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None

    async def _run(self) -> None:
        raise NotImplementedError

    def lag(self) -> float:
        """Seconds the oldest pending write has waited (0 when none is pending)."""
        raise NotImplementedError

    @property
    def pending(self) -> int:
        raise NotImplementedError


class WriteBehind(_Writer):
    def __init__(
        self,
        store: RoomSaver,
        *,
        gather: float = GATHER_SECONDS,
        retry_first: float = RETRY_FIRST_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
    ) -> None:
        super().__init__(retry_first, retry_max)
        self._store = store
        self._gather = gather
        self._dirty: dict[str, Callable[[], RoomRecord]] = {}
        self._since: dict[str, float] = {}  # when each dirty room first became dirty
        # Rooms whose record the database refused, with the revision that failed.
        self._broken: dict[str, int] = {}

    def mark(self, room_id: str, snapshot: Callable[[], RoomRecord]) -> None:
        """Schedule ``room_id`` for saving; ``snapshot`` returns its latest record."""
        self._dirty[room_id] = snapshot
        self._since.setdefault(room_id, time.monotonic())
        self._woken()

    def lag(self) -> float:
        return time.monotonic() - min(self._since.values()) if self._since else 0.0

    def forget(self, room_id: str) -> None:
        """Drop a pending save (the room was deleted)."""
        self._dirty.pop(room_id, None)
        self._since.pop(room_id, None)
        self._broken.pop(room_id, None)
        if not self._dirty:
            self._idle.set()

    def is_dirty(self, room_id: str) -> bool:
        return room_id in self._dirty

    @property
    def pending(self) -> int:
        return len(self._dirty)

    async def _run(self) -> None:
        delay = self._retry_first
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._gather)
            self._wake.clear()
            while due := self._due():
                try:
                    refused = await self._store.save_many([record for _, _, record in due])
                except StoreUnavailable as error:
                    self.retries += 1
                    log.warning(
                        "database unavailable (%s): %d room(s) to save; retrying in %.1f s",
                        error,
                        len(self._dirty),
                        delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                except Exception as error:  # not the database's answer: a bug of ours
                    refused = [error] * len(due)
                if delay != self._retry_first:
                    log.info("database reachable again; saving resumed")
                delay = self._retry_first
                for (room_id, snapshot, record), why in zip(due, refused, strict=True):
                    if why is not None:
                        self._unwritable(room_id, record.revision, why)
                        continue
                    self._broken.pop(room_id, None)
                    # Done unless the room changed again while we were writing (and was not
                    # deleted meanwhile).
                    if room_id not in self._dirty or snapshot().revision == record.revision:
                        self._dirty.pop(room_id, None)
                        self._since.pop(room_id, None)
                    else:
                        self._dirty[room_id] = self._dirty.pop(room_id)  # to the back of the line
            self._idle.set()

    def _due(self) -> list[tuple[str, Callable[[], RoomRecord], RoomRecord]]:
        """The first dirty rooms worth a write (up to ``SAVE_BATCH``): not those whose latest
        record already failed (each is tried again once it changes)."""
        due = []
        for room_id, snapshot in self._dirty.items():
            record = snapshot()
            if self._broken.get(room_id) != record.revision:
                due.append((room_id, snapshot, record))
                if len(due) == SAVE_BATCH:
                    break
        return due

    def _unwritable(self, room_id: str, revision: int, why: Exception) -> None:
        """A record the database refused for what it holds (not an outage): a bug, or input
        that slipped past validation. The room stays dirty, in memory, and is tried again when
        it next changes; the other rooms are saved meanwhile. Logged once per room."""
        self.failures += 1
        if room_id not in self._broken:
            log.error(
                "saving room %s failed; its other rooms are saved meanwhile",
                room_id,
                exc_info=why,
            )
        self._broken[room_id] = revision

    async def flush(self, within: float) -> bool:
        """Wait until every room that can be written is; False if ``within`` seconds ran out
        or some room's latest record could not be written."""
        return await super().flush(within) and not self._dirty


Operation = Callable[[], Awaitable[None]]
BATCH_MOST = 200  # writes one batch gathers: what one retry repeats
T = TypeVar("T")


class Batch(Generic[T]):
    """Writes of one kind gathered while they wait at the back of the queue, made as one
    operation: a burst of chat costs one insert, not one per message. It closes when it starts,
    so what arrives during the write waits for the next batch. ``write`` may run more than once
    with the same items (a retry after an outage), so it must be idempotent."""

    __slots__ = ("closed", "items", "write")

    def __init__(self, write: Callable[[list[T]], Awaitable[None]], item: T) -> None:
        self.write = write
        self.items = [item]
        self.closed = False

    def takes(self, write: Callable[[list[T]], Awaitable[None]]) -> bool:
        return not self.closed and self.write == write and len(self.items) < BATCH_MOST

    async def __call__(self) -> None:
        self.closed = True
        await self.write(self.items)


class WriteQueue(_Writer):
    """Writes that must happen in order but need not be waited for (chat history): one
    background task runs them first in, first out, and retries one that finds the database
    unreachable, with backoff, until it succeeds. At most ``limit`` writes wait; beyond that
    the oldest operation is dropped (and logged) rather than let memory grow without end."""

    def __init__(
        self,
        *,
        limit: int = 10_000,
        retry_first: float = RETRY_FIRST_SECONDS,
        retry_max: float = RETRY_MAX_SECONDS,
    ) -> None:
        super().__init__(retry_first, retry_max)
        self._pending: deque[tuple[Operation, float]] = deque()  # with when it was queued
        self._writes = 0  # writes waiting: an operation counts one, a batch its items
        self._limit = limit

    def put(self, operation: Operation) -> None:
        while self._pending and self._writes >= self._limit:
            dropped = self._pending.popleft()[0]
            self._writes -= _weight(dropped)
            log.error("write queue full: dropped its oldest %d write(s)", _weight(dropped))
        self._pending.append((operation, time.monotonic()))
        self._writes += 1
        self._woken()

    def gather(self, write: Callable[[list[T]], Awaitable[None]], item: T) -> None:
        """Queue ``item`` for ``write``, in the batch at the back of the queue when that one
        is for ``write`` and has not started (then it keeps its place and its age)."""
        last = self._pending[-1][0] if self._pending else None
        if isinstance(last, Batch) and last.takes(write) and self._writes < self._limit:
            last.items.append(item)
            self._writes += 1
        else:
            self.put(Batch(write, item))

    @property
    def pending(self) -> int:
        return self._writes

    def lag(self) -> float:
        return time.monotonic() - self._pending[0][1] if self._pending else 0.0

    async def _run(self) -> None:
        delay = self._retry_first
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                entry = self._pending[0]
                try:
                    await entry[0]()
                except StoreUnavailable as error:
                    self.retries += 1
                    log.warning("database unavailable (%s): retrying in %.1f s", error, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._retry_max)
                    continue
                except Exception:
                    self.failures += 1
                    log.exception("a queued write failed; dropped")
                delay = self._retry_first
                if self._pending and self._pending[0] is entry:
                    self._pending.popleft()
                    self._writes -= _weight(entry[0])
            self._idle.set()


def _weight(operation: Operation) -> int:
    return len(operation.items) if isinstance(operation, Batch) else 1
