"""Say what a slow shutdown waits on.

A platform kills a process that outlives its stop grace period (Docker's and Heroku's: 30 s)
without a word in the log. So once shutdown has run for ``WATCH_SECONDS``, a thread logs the
chain of awaits of every task still running and writes every thread's stack to standard error:
the next hang names its cause. A thread, because the hang may be the event loop's own (a task
that will not be cancelled after the clean-up, a call that blocks).
"""

from __future__ import annotations

import asyncio
import faulthandler
import gc
import logging
import sys
import threading
import types

from aiohttp import web

log = logging.getLogger(__name__)
WATCH_SECONDS = 20.0
MOST_TASKS = 40  # chains logged at most (connections are closed by then: few tasks remain)


class ShutdownWatch:
    """``start`` goes first in ``on_shutdown``; ``cancel`` once the server has stopped."""

    def __init__(self, seconds: float = WATCH_SECONDS) -> None:
        self.seconds = seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: threading.Timer | None = None

    def watch(self, app: web.Application) -> None:
        app.on_shutdown.insert(0, self.start)

    async def start(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()
        self._timer = threading.Timer(self.seconds, self.report)
        self._timer.daemon = True
        self._timer.start()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def report(self) -> None:
        tasks = task_stacks(self._loop) if self._loop is not None else ""
        log.error("still shutting down after %g s; waiting on:\n%s", self.seconds, tasks)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)


def task_stacks(loop: asyncio.AbstractEventLoop) -> str:
    """Each task's chain of awaits, outermost first. ``Task.print_stack`` shows only the
    outermost frame, and nothing of an async generator's (a clean-up context is one). Read from
    another thread while the loop may run: good enough for a diagnosis, never for logic."""
    try:
        tasks = list(asyncio.all_tasks(loop))[:MOST_TASKS]
        # Cancelled, yet still running: it lost the cancellation (watchparty.stopping).
        return "\n".join(
            f"{task.get_name()} (cancelled {task.cancelling()} times):\n"
            + "\n".join(awaiting(task))
            for task in tasks
        )
    except Exception as error:  # the loop changed the tasks underneath
        return f"(tasks unreadable: {error!r})"


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
