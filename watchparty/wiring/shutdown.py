"""Say what a slow shutdown waits on.

A platform kills a process that outlives its stop grace period (Docker's and Heroku's: 30 s)
without a word in the log. So once shutdown has run for ``WATCH_SECONDS``, the stack of every
task still running is logged: the next hang names its cause.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import types

from aiohttp import web

log = logging.getLogger(__name__)
WATCH_SECONDS = 20.0
MOST_TASKS = 40  # stacks logged at most (connections are closed by then: few tasks remain)


def setup_shutdown_watch(app: web.Application, seconds: float = WATCH_SECONDS) -> None:
    """Call before the other steps add theirs: the watch starts as shutdown does."""

    watches: list[asyncio.Task[None]] = []  # a started app's state may not change

    async def start(app: web.Application) -> None:
        watches.append(asyncio.get_running_loop().create_task(_watch(seconds)))

    async def stop(app: web.Application) -> None:
        for task in watches:
            task.cancel()
        await asyncio.gather(*watches, return_exceptions=True)

    app.on_shutdown.append(start)
    app.on_cleanup.append(stop)  # after every clean-up context


async def _watch(seconds: float) -> None:
    await asyncio.sleep(seconds)
    log.error("still shutting down after %g s; waiting on:\n%s", seconds, task_stacks())


def task_stacks() -> str:
    """Each other task's chain of awaits, outermost first. ``Task.print_stack`` shows only the
    outermost frame, and nothing of an async generator's (a clean-up context is one)."""
    me = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not me][:MOST_TASKS]
    return "\n".join(f"{task.get_name()}:\n" + "\n".join(awaiting(task)) for task in tasks)


def awaiting(task: asyncio.Task[object]) -> list[str]:
    lines = []
    step: object = task.get_coro()
    while step is not None:
        frame = _first(step, "cr_frame", "ag_frame", "gi_frame")
        if isinstance(frame, types.FrameType):
            code = frame.f_code
            lines.append(f"  {code.co_filename}:{frame.f_lineno} in {code.co_name}")
        following = _first(step, "cr_await", "ag_await", "gi_yieldfrom")
        if following is None and type(step).__name__ == "async_generator_asend":
            # It keeps its generator only where the garbage collector can see it.
            following = next(
                (r for r in gc.get_referents(step) if isinstance(r, types.AsyncGeneratorType)),
                None,
            )
        step = following
    return lines


def _first(step: object, *names: str) -> object:
    for name in names:
        value = getattr(step, name, None)
        if value is not None:
            return value
    return None
