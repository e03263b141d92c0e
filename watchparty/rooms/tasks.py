"""Every timer and task a live room starts, held in one place.

A room's timers (the video's end, the wait for stalled players, a lost member's grace) and
its held-back broadcasts (MEMBERS, the queue) each run as a named task of the room. Holding
them here means none is started and forgotten: unload, delete, give-up and shutdown cancel
them all with ``cancel_all``, and a task's reference lives until it is done (the event loop
keeps only weak ones)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

Job = Callable[[], Coroutine[Any, Any, None]]


class RoomTasks:
    def __init__(self, room_id: str) -> None:
        self._room_id = room_id
        self._running: dict[str, asyncio.Task[None]] = {}
        self._remade: set[str] = set()  # names a concern starts again when the room loads

    def after(self, name: str, delay: float, job: Job, *, remade_on_load: bool = False) -> None:
        """Run ``job`` in ``delay`` seconds as task ``name``, replacing one of that name.
        ``remade_on_load``: a concern schedules it again from the saved state when the room
        is loaded, so unloading the room may cancel it (``busy`` does not count it)."""
        self.cancel(name)
        if remade_on_load:
            self._remade.add(name)
        else:
            self._remade.discard(name)
        self._running[name] = asyncio.get_running_loop().create_task(
            self._run(name, delay, job), name=f"room {self._room_id} {name}"
        )

    async def _run(self, name: str, delay: float, job: Job) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s of room %s failed", name, self._room_id)
        finally:
            if self._running.get(name) is asyncio.current_task():
                del self._running[name]

    def pending(self, name: str) -> bool:
        return name in self._running

    def cancel(self, name: str) -> None:
        task = self._running.pop(name, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def cancel_all(self) -> list[asyncio.Task[None]]:
        """Cancel every task (the room is unloaded, deleted, given up, or the server stops);
        answers them, for a caller that waits until they are done."""
        tasks = [t for t in self._running.values() if t is not asyncio.current_task()]
        self._running.clear()
        for task in tasks:
            task.cancel()
        return tasks

    def busy(self) -> bool:
        """Whether a task would be lost by unloading the room (a held-back broadcast)."""
        return any(name not in self._remade for name in self._running)

    def names(self) -> list[str]:
        return list(self._running)
