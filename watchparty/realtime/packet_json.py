"""This server's Socket.IO packets: text only, and written by orjson when the ``[fast]``
extra installed it.

orjson encodes a room's state an order of magnitude faster than the standard library, which
makes a viewer's join (its ``ROOM_STATE``, with the queue and the member list) cheaper; a
broadcast is encoded once per command, so the fan-out itself barely moves
(docs/measurements/2026-11-fanout.md, "orjson").

Only writing: packets are *read* by the standard library as before, since orjson reads some
inputs differently (integers wider than 64 bits become floats; ``NaN`` is refused), and the
commands a client sends are small. What orjson cannot write (an integer wider than 64 bits, a
key that is not a string) is written by the standard library.
"""

from __future__ import annotations

import json
from types import ModuleType
from typing import Any

from socketio import packet as sio_packet


class OrjsonPackets:
    """The ``dumps``/``loads`` pair python-socketio's packets call."""

    def __init__(self, orjson: ModuleType) -> None:
        self._orjson = orjson

    def dumps(self, obj: Any, **options: Any) -> str:
        try:
            return str(self._orjson.dumps(obj).decode())
        except self._orjson.JSONEncodeError:
            return json.dumps(obj, **options)

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return json.loads(text)


def packet_class() -> type[sio_packet.Packet]:
    """This server's packet class: text only, written with orjson when it is installed.

    Text only: python-socketio walks every packet's whole payload (each list and dict, with a
    list built per level) to see whether it holds bytes to send as binary attachments. This
    protocol has none (binary frames from clients are refused: realtime.patches), and the walk
    is repeated for each ``ROOM_STATE`` (the queue, the members, the chat) and each broadcast.

    A class of this server's own, passed as the ``serializer``, rather than the ``json``
    option: that one sets the module on python-socketio's own packet class, which every
    Socket.IO client in the process uses too (the tests' clients: orjson writes a ``NaN``
    they send as ``null``, where the standard library writes ``NaN`` and the server refuses
    it).
    """
    try:
        import orjson
    except ImportError:
        writer: Any = json
    else:
        writer = OrjsonPackets(orjson)

    class TextPacket(sio_packet.Packet):  # type: ignore[misc]  # untyped library
        uses_binary_events = False
        json = writer

    return TextPacket
