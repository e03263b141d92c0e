"""The clock ping's payload in the form every client sends, read without the model.

``TIME`` is most of what a service receives (a page sends one every 3 s). Its usual payload,
``{"client_time": <number>}`` with an optional ``"rtt"``, is checked here by hand, which costs
a fraction of the text rule and pydantic together (docs/measurements/2026-12-07-time-path.md).
Anything else goes to ``validate(TimePing, ...)``, whose errors are the catalogue's: this
accepts only what the model accepts, with the same values (tests/unit/core/test_time_ping.py
compares the two on generated payloads).
"""

from __future__ import annotations

import math
from typing import Any

from watchparty.core.limits import MAX_RTT_SECONDS

# Integers up to here are floats exactly; the model decides about wider ones.
EXACT_INTEGER = 2**53


def _number(value: Any) -> float | None:
    kind = type(value)  # exact types: bool is an int, and the model refuses it (strict)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int and -EXACT_INTEGER <= value <= EXACT_INTEGER:
        return float(value)
    return None


def read_time_ping(payload: Any) -> tuple[float, float | None] | None:
    """``(client_time, rtt)`` of a clock ping in its usual form, or None: ask the model."""
    if type(payload) is not dict:
        return None
    client_time = _number(payload.get("client_time"))
    if client_time is None:
        return None
    size = len(payload)
    if size == 1:
        return client_time, None
    if size != 2 or "rtt" not in payload:
        return None
    if payload["rtt"] is None:
        return client_time, None
    rtt = _number(payload["rtt"])
    if rtt is None or not 0 <= rtt <= MAX_RTT_SECONDS:
        return None
    return client_time, rtt
