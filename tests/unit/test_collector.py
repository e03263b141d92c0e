"""The collector's settings (wiring/collector.py) let objects that live a while die before a
collection looks at them: holding 20,000 new objects runs no young collection once tuned,
where CPython's defaults run dozens."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from watchparty.wiring import collector


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def young_collections_while_holding(count: int) -> int:
    gc.collect()
    before = gc.get_stats()[0]["collections"]
    held = [[n] for n in range(count)]  # each a new object the collector tracks
    after = gc.get_stats()[0]["collections"]
    del held
    return int(after - before)


def test_objects_held_a_while_are_not_walked_young(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    assert young_collections_while_holding(20_000) >= 20
    collector.tune()
    assert young_collections_while_holding(20_000) == 0
