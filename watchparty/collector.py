"""How often the serving process runs Python's cycle collector.

CPython's default starts a young collection whenever 700 more containers have been made than
freed. A server allocates in bursts that refcounting frees a moment later (a broadcast, a burst
of clock pings), so at 10,000 connections the default ran about twenty young collections a
second. Each one moved whatever was in flight into an older generation, so the full collections
that walk every object came about every minute, stopping the loop for 0.5-0.7 s each.
Delivery p99 was 0.5 s or more. With a young threshold of 50,000, such bursts are freed before
a collection counts them. Cycles are still collected, only less often. The most garbage left
waiting is bounded by that threshold (a few MiB). docs/decisions/014-collector-thresholds.md
has the measurements.
"""

from __future__ import annotations

import gc

# (young, middle, old): a young collection per 50,000 containers made and not yet freed; a
# middle one per 20 young; the full one per 10 middle (and, as CPython adds, only once the
# survivors since the last one are a quarter of what it walks).
THRESHOLDS = (50_000, 20, 10)


def tune_collector() -> None:
    """Set the serving process's collector thresholds (process-wide, so the entry point
    calls this, not ``create_app``: tests build many apps in one process)."""
    gc.set_threshold(*THRESHOLDS)
