"""What only Python's cycle collector would free: a closed connection must not be part of it.

The server collects rarely (watchparty.collector), so an object left in a reference cycle
lives on for minutes; under churn that is memory that grows (docs/decisions/014).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycles_left() -> Iterator[set[str]]:
    """The names of the classes (and their base classes) of the objects in reference cycles
    made inside the block, filled in as it ends: ``gc.DEBUG_SAVEALL`` keeps what a
    collection finds instead of freeing it."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    names: set[str] = set()
    try:
        yield names
        gc.collect()
        names.update(c.__qualname__ for o in gc.garbage for c in type(o).__mro__)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
