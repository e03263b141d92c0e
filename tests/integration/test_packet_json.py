"""orjson writes Socket.IO packets that read back as the standard library's would, and the
server's packets are never searched for binary attachments."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
import socketio.packet
from aiohttp.test_utils import TestServer

from tests.conftest import PeerFactory
from watchparty.keys import SOCKETIO
from watchparty.realtime.packet_json import OrjsonPackets

packets = OrjsonPackets(orjson)


@pytest.mark.parametrize(
    "value",
    [
        ["SEEK", {"state": {"position": 5.0, "updated_at": 1795701570.8040648, "queue": []}}],
        ["CHAT", {"text": "café 🎬 \u2028", "at": 1e16, "n": -0.0}],
        {"big": 2**70},  # orjson cannot write it
        {1: "a key that is not a string"},  # nor this
    ],
)
def test_writes_what_the_standard_library_reads_back_the_same(value: Any) -> None:
    written = packets.dumps(value, separators=(",", ":"))
    assert json.loads(written) == json.loads(json.dumps(value))
    assert ", " not in written
    assert ": " not in written  # compact, as python-socketio asks


def test_reads_with_the_standard_library() -> None:
    """orjson would read this integer as a float and refuse NaN."""
    big = "[123456789012345678901234567890,NaN]"
    read = packets.loads(big)
    assert read[0] == 123456789012345678901234567890
    assert read[1] != read[1]


async def test_only_this_servers_packets_are_written_with_orjson(server: TestServer) -> None:
    """Installed with the ``[fast]`` extra, and on the server's own packet class: the
    library's, which the clients in this process use, keeps the standard library."""
    assert not isinstance(socketio.packet.Packet.json, OrjsonPackets)
    assert isinstance(server.app[SOCKETIO].packet_class.json, OrjsonPackets)


async def test_packets_are_not_searched_for_binary(
    server: TestServer, join: PeerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The protocol is text: a join's state, an ack and a broadcast are written without
    python-socketio's walk through every payload for bytes (realtime.packet_json)."""

    def searched(cls: Any, data: Any) -> bool:
        raise AssertionError("a packet's payload was searched for binary")

    packet_class = server.app[SOCKETIO].packet_class
    monkeypatch.setattr(packet_class, "data_is_binary", classmethod(searched))
    ann, bob = await join("ann"), await join("bob")
    await ann.next("ROOM_STATE")
    ack = await ann.call("CHANGE_VIDEO", {"video_id": "v----------"})
    assert ack["ok"] is True
    assert (await bob.next("CHANGE_VIDEO"))["state"]["video_id"] == "v----------"
