"""The serving process's collector: a burst of containers freed soon after starts no
collection, and a reference cycle is still collected without anyone calling ``gc.collect``."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from watchparty.collector import tune_collector


class Node:
    me: Node | None = None


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generations collected while the test runs, its thresholds put back after."""
    saved, enabled = gc.get_threshold(), gc.isenabled()
    seen: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()
    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)
        gc.set_threshold(*saved)
        if enabled:
            gc.enable()


def burst() -> None:
    """10,000 containers held for a moment, as a broadcast or a burst of pings holds them."""
    held: list[list[int]] = [[] for _ in range(10_000)]
    del held


def test_a_burst_freed_soon_after_starts_no_collection(collections: list[int]) -> None:
    gc.set_threshold(700, 10, 10)  # CPython's default: the same burst does start some
    burst()
    assert collections, "the default thresholds should have collected during the burst"
    collections.clear()
    gc.collect()
    collections.clear()
    tune_collector()
    burst()
    assert collections == []


def test_cycles_are_still_collected_on_their_own(collections: list[int]) -> None:
    tune_collector()
    node = Node()
    node.me = node
    gone = weakref.ref(node)
    del node
    # more containers than the young threshold, and still held
    kept: list[list[int]] = [[] for _ in range(60_000)]
    assert collections, "no collection ran"
    assert gone() is None
    del kept
