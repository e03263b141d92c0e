"""When a room starts playing: a moment just ahead, so that everyone starts together.

A start broadcast "now" begins on each client when the message happens to arrive, so viewers
would start as far apart as their latencies. Instead a start is scheduled ``lead`` seconds
ahead in server time (the state's ``updated_at``); every client, knowing its offset to the
server's clock, starts at that moment. The lead covers the slowest member's round trip (a
one-way trip is about half of it; the other half absorbs jitter), within bounds. A new video,
or a seek (mostly beyond what a player has buffered), must load before it can play, which
takes a player a few round trips (connection, header, index, first data): such a start waits
``LOAD_TRIPS`` round trips instead of one.
"""

from __future__ import annotations

from collections.abc import Iterable

LOAD_TRIPS = 4


def start_lead(
    round_trips: Iterable[float], minimum: float, maximum: float, loading: bool = False
) -> float:
    """The lead for a room whose members report these round-trip times (seconds)."""
    trips = LOAD_TRIPS if loading else 1
    return min(maximum, minimum + trips * max(round_trips, default=0.0))
