"""How often the serving process runs Python's cycle collector.

CPython's default starts a young collection whenever 700 more containers have been made than
freed. A server allocates in bursts that refcounting frees a moment later (a broadcast, a slice
of clock pings), so under load most young collections caught objects in flight and promoted
them, which brought on full collections that walk every object and stop the loop for up to
0.7 s at 10,000 connections. At 50,000 such bursts are gone before they count. Cycles are still
collected, less often, so a cycle left per closed connection would grow memory for a long
while (tests guard against those). docs/decisions/014-collector-thresholds.md tells more.
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
