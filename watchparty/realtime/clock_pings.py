"""The clock ping, answered in the task that read it, below python-socketio.

A page sends ``TIME`` every 3 s: most of what a hosted service receives (bench/service.py).
Through the libraries a ping is decoded twice (an Engine.IO packet, then a Socket.IO one),
passes five layers of dispatch, and its acknowledgement is built and encoded twice more
before it is queued and written. Here a websocket served by realtime.websocket hands over
a message in the form every client sends, ``42/rooms,<id>["TIME",{"client_time":...}]``
with a payload the quick reader takes (core.time_ping); its JSON is read once (by orjson when
installed), the namespace answers it as it answers any TIME (rate limit, round trip,
metrics), and the acknowledgement comes back as the Socket.IO packet the library would have
written.

Everything else takes the libraries' path, which answers it the same way: a message with
another namespace or event, a query in the namespace, an id that is not plain ASCII digits,
JSON that does not parse, no payload or more than one, any payload the model must judge
(every invalid one), a socket not (or no longer) in the namespace.
tests/integration/test_clock_pings.py sends each form both ways and compares.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from watchparty.core.time_ping import read_time_ping

CLOCK_PINGS = "_watchparty_clock_pings"  # on the engine.io server: its ``ClockPings``

Answer = Callable[[str, Any], Awaitable[Any]]


class ClockPings:
    """Answers a namespace's ``TIME`` events read from a websocket."""

    def __init__(self, server: socketio.AsyncServer, namespace: str, answer: Answer) -> None:
        self._manager = server.manager
        self._dumps: Callable[..., str] = server.packet_class.json.dumps
        self._namespace = namespace
        self._answer = answer  # the namespace's handler for TIME: (sid, payload) -> ack
        self._loads: Callable[[str], Any] = json.loads
        with contextlib.suppress(ImportError):  # the [fast] extra: 0.4 µs against 3 µs here
            import orjson

            self._loads = orjson.loads
        # An EVENT (2) in an Engine.IO MESSAGE (4), with an id (python-socketio takes at most
        # 100 digits; past 15 it is no client's counter) and the event's name first.
        self._ping = re.compile(r"42" + re.escape(namespace) + r',([0-9]{1,15})\["TIME",')

    async def answer(self, eio_sid: str, message: str) -> str | None:
        """The acknowledgement's Socket.IO packet for a clock ping in the usual form, or
        None: the libraries' to handle."""
        match = self._ping.match(message)
        if match is None:
            return None
        try:
            event = self._loads(message[match.end(1) :])
        except (ValueError, RecursionError):  # orjson's error is a ValueError too
            return None
        if len(event) != 2 or read_time_ping(event[1]) is None:
            return None
        manager, namespace = self._manager, self._namespace
        sid = manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not manager.is_connected(sid, namespace):
            return None
        ack = await self._answer(sid, event[1])
        # python-socketio's encoding of an ACK: the id as an integer, the data compact.
        return f"3{namespace},{int(match[1])}" + self._dumps([ack], separators=(",", ":"))


def answer_clock_pings(server: socketio.AsyncServer, namespace: socketio.AsyncNamespace) -> None:
    """Let websockets answer ``namespace``'s clock pings themselves (realtime.websocket)."""

    async def answer(sid: str, payload: Any) -> Any:
        return await namespace.trigger_event("TIME", sid, payload)

    setattr(server.eio, CLOCK_PINGS, ClockPings(server, namespace.namespace, answer))
