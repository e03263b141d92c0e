"""A per-connection packet queue that costs an idle connection less than ``asyncio.Queue``.

python-engineio gives every connection an ``asyncio.Queue`` for its outgoing packets (three
deques and an ``Event`` with a fourth: about 2 KiB), and its writer waits on it with
``asyncio.wait_for(queue.get(), ...)``, which on Python 3.11 wraps ``get()`` in one more task
per connection for as long as the connection is idle. Here the packets sit in a list, and the
poll (``patches.own_packet_queues``) waits on ``ready()``, a plain future, then takes the
packets itself: a wait cut short by its timeout never loses one.

It keeps the part of ``asyncio.Queue`` that engine.io and this package use, for one reader
per queue (engine.io's writer or a long-polling GET, never both): ``get``, ``get_nowait``,
``put``, ``put_nowait``, ``task_done``, ``join``, ``qsize``, ``empty`` and the
``_unfinished_tasks`` count the fan-out reads. Installed as the engine's ``create_queue``
(docs/decisions/005-library-patches.md).

With a ``sink`` (a connection served without engine.io's writer, realtime.websocket), an
item put is handed to it at once instead of waiting in the queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class SlimQueue:
    __slots__ = ("_getter", "_items", "_joined", "_unfinished_tasks", "sink")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._getter: asyncio.Future[None] | None = None
        self._joined: asyncio.Future[None] | None = None
        self._unfinished_tasks = 0
        self.sink: Callable[[Any], None] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        if self.sink is not None:
            self.sink(item)
            return
        self._items.append(item)
        self._unfinished_tasks += 1
        getter = self._getter
        if getter is not None:
            self._getter = None
            if not getter.done():
                getter.set_result(None)

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    def ready(self) -> asyncio.Future[None]:
        """A future done once the queue holds an item. Waiting on it (with a timeout, say)
        takes nothing off the queue, so a wait cut short loses nothing: the reader takes the
        item with ``get_nowait`` once it runs again."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._items:
            ready.set_result(None)
        else:
            self._getter = ready
        return ready

    async def get(self) -> Any:
        while not self._items:
            await self.ready()
        return self._items.pop(0)

    def task_done(self) -> None:
        if self._unfinished_tasks <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished_tasks -= 1
        joined = self._joined
        if self._unfinished_tasks == 0 and joined is not None:
            self._joined = None
            if not joined.done():
                joined.set_result(None)

    async def join(self) -> None:
        if self._unfinished_tasks == 0:
            return
        if self._joined is None:
            self._joined = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._joined)
