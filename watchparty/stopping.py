"""Stop background tasks for certain, on Python 3.11 too.

Python 3.11's ``asyncio.wait_for`` loses a cancellation that arrives in the loop turn its
operation completes in (CPython gh-86296, fixed in 3.12): the task carries on as if never told.
redis-py sends each command through ``wait_for`` when a socket timeout is set, so a Redis
listener cancelled once at shutdown sometimes listened for ever, and the process outlived its
stop grace period (docs/operations.md, Heroku). Cancelling again until the task ends
closes that window wherever it opens, within a bound, and names a task that still will not
stop instead of hanging.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)
STOP_SECONDS = 5.0
RECANCEL_SECONDS = 0.2  # long enough for a task's own clean-up (a pub/sub unsubscribing)


async def cancel_and_wait(
    tasks: Iterable[asyncio.Future[Any]],
    *,
    within: float = STOP_SECONDS,
    every: float = RECANCEL_SECONDS,
) -> None:
    """Cancel ``tasks`` and wait until they are done, cancelling again every ``every`` s a
    task that is still running; after ``within`` s, log those left and return."""
    pending = {task for task in tasks if not task.done()}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while pending:
        left = deadline - loop.time()
        if left <= 0:
            break
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=min(every, left))
    for task in pending:
        name = task.get_name() if isinstance(task, asyncio.Task) else repr(task)
        log.error("%s did not stop within %g s of being cancelled", name, within)


async def ended_within(tasks: Iterable[asyncio.Future[Any]], within: float = STOP_SECONDS) -> None:
    """Let ``tasks`` end by themselves for up to ``within`` s, then cancel those left."""
    pending = {task for task in tasks if not task.done()}
    if pending:
        _, pending = await asyncio.wait(pending, timeout=within)
    await cancel_and_wait(pending)
