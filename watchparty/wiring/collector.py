"""The garbage collector, set for a process that holds thousands of connections.

CPython 3.11 collects its youngest objects after every 700 net allocations; whatever is alive
then moves up a generation, and once the objects moved into the oldest generation since its
last collection reach a quarter of those in it, the whole heap is walked with the process
stopped. A server's objects that live a while without being permanent (a command's write,
a pending broadcast, a batch) keep moving up, so with 10,000 connections
(``bench/service.py``) a full collection ran every 4 s, took 450-620 ms, and found nothing to
free: the hot paths make no reference cycles (tests/integration/test_fanout.py::
test_a_closed_connection_is_freed_at_once). Those pauses were the service bench's p99
delivery of 1.2-1.5 s (docs/measurements/2026-12-07-collector.md).

So the youngest generation is collected after ``YOUNG`` net allocations, which lets such
objects die first, and what start-up made (modules, schemas, the app) is frozen out of every
collection's walk. A reference cycle is still collected, only later: at most ``YOUNG``
objects wait for it.
"""

from __future__ import annotations

import gc

from aiohttp import web

YOUNG = 50_000
MIDDLE = 20  # young collections per middle one (CPython's default: 10)
OLDEST = 10  # CPython's default; the quarter rule above governs full collections anyway


def tune() -> None:
    gc.set_threshold(YOUNG, MIDDLE, OLDEST)


async def freeze_start_up(app: web.Application) -> None:
    """The last start-up step: what exists now lives as long as the process."""
    gc.collect()
    gc.freeze()
