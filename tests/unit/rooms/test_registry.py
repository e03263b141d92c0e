"""The live-room domain on its own: the registry, membership, the roster and the concerns'
hooks, over the in-memory ports (tests/unit/rooms/memory.py). No Socket.IO here."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tests.unit.rooms.memory import MemoryRooms, MemoryTransport, door_of
from watchparty.core import Accepted, ChangeVideo, Play, Rejection
from watchparty.core.plans import FREE, Plan
from watchparty.rooms.concerns import Concern
from watchparty.rooms.live import Joiner, LiveRoom
from watchparty.rooms.membership import JoinRefused
from watchparty.rooms.registry import RoomRegistry
from watchparty.rooms.writebehind import WriteBehind

VIDEO = "dQw4w9WgXcQ"


async def free(owner_id: str | None) -> Plan:
    return FREE


def registry_of(transport: MemoryTransport, rooms: MemoryRooms, **options: object) -> RoomRegistry:
    settings: dict[str, object] = {
        "max_rooms": 10,
        "max_members": 50,
        "plan_of": free,
        "free_room_idle": 3600.0,
        "reconnect_grace": 0.05,
        **options,
    }
    writer = WriteBehind(rooms, gather=0.01)
    settings.setdefault("door", door_of(writer))
    return RoomRegistry(transport, rooms, writer, **settings)  # type: ignore[arg-type]


@pytest.fixture
def transport() -> MemoryTransport:
    return MemoryTransport()


@pytest.fixture
def rooms() -> MemoryRooms:
    return MemoryRooms()


@pytest.fixture
def registry(transport: MemoryTransport, rooms: MemoryRooms) -> RoomRegistry:
    return registry_of(transport, rooms)


def test_the_domain_imports_no_socketio() -> None:
    code = (
        "import sys, watchparty.rooms.registry, watchparty.rooms.concerns.autoplay, "
        "watchparty.rooms.concerns.moderation\n"
        "loaded = [m for m in ('socketio', 'engineio', 'redis') if m in sys.modules]\n"
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_a_command_reaches_the_others_and_is_saved(
    registry: RoomRegistry, transport: MemoryTransport, rooms: MemoryRooms
) -> None:
    room = await registry.create("Club")
    assert room.id in rooms.records  # written before anyone learns its id
    ann = await registry.join(room.id, "s1", name="ann", ticket=None)
    await registry.join(room.id, "s2", name="bob", ticket=None)
    assert transport.received("s1", room.id, "ROOM_STATE")[0]["you"]["id"] == ann.id
    result = await registry.execute(room, ann.actor, "CHANGE_VIDEO", ChangeVideo(video_id=VIDEO))
    assert isinstance(result, Accepted)
    assert transport.received("s1", room.id, "CHANGE_VIDEO") == []  # its ack carries it
    (seen,) = transport.received("s2", room.id, "CHANGE_VIDEO")
    assert (seen["state"]["video_id"], seen["by"]) == (VIDEO, "ann")
    registry._writer.start()
    assert await registry._writer.flush(1.0)
    assert rooms.records[room.id].state.video_id == VIDEO
    await registry._writer.close()


async def test_the_permission_table_decides_who_controls(registry: RoomRegistry) -> None:
    room = await registry.create("Club", owner_id="owner")
    guest = await registry.join(room.id, "s1", name="gus", ticket=None)
    await registry.info.update(room, control="members")
    refused = await registry.execute(room, guest.actor, "PLAY", Play())
    assert isinstance(refused, Rejection)
    assert (refused.code, refused.message) == (
        "forbidden",
        "in this room only signed-in members may control playback and the queue",
    )
    assert room.state.version == 0  # nothing changed


async def test_a_concern_may_veto_a_join(registry: RoomRegistry) -> None:
    class Doorman(Concern):
        def before_join(self, room: LiveRoom, joiner: Joiner) -> Rejection | None:
            return Rejection("banned", "no") if joiner.address == "10.0.0.9" else None

    registry.add(Doorman())
    room = await registry.create()
    with pytest.raises(JoinRefused) as refused:
        await registry.join(room.id, "s1", name="eve", ticket=None, address="10.0.0.9")
    assert refused.value.code == "banned"
    assert room.members == {}
    await registry.join(room.id, "s2", name="ann", ticket=None, address="10.0.0.1")
    assert len(room.members) == 1


async def test_a_lost_member_comes_back_unseen_within_the_grace(
    registry: RoomRegistry, transport: MemoryTransport
) -> None:
    room = await registry.create()
    ann = await registry.join(room.id, "s1", name="ann", ticket=None)
    await registry.leave("s1", lost=True)
    assert room.tasks.pending(f"away:{ann.id}")
    again = await registry.join(room.id, "s9", name="ann", ticket=None, resume=ann.resume)
    assert again is ann
    assert ann.sid == "s9"
    assert not room.tasks.pending(f"away:{ann.id}")
    await asyncio.sleep(0.1)
    assert list(room.members) == ["s9"]


async def test_delete_cancels_every_task_the_room_started(registry: RoomRegistry) -> None:
    room = await registry.create()
    await registry.join(room.id, "s1", name="ann", ticket=None)
    bob = await registry.join(room.id, "s2", name="bob", ticket=None)
    await registry.join(room.id, "s3", name="cy", ticket=None)  # within the MEMBERS window
    await registry.leave("s2", lost=True)
    assert set(room.tasks.names()) == {"roster.flush", f"away:{bob.id}"}
    held = list(room.tasks._running.values())
    await registry.delete(room)
    await asyncio.sleep(0)
    assert all(task.cancelled() for task in held)
    assert room.tasks.names() == []
    assert registry.peek(room.id) is None
    assert registry.members.locate("s1") is None


async def test_members_changes_in_one_window_share_one_broadcast(
    registry: RoomRegistry, transport: MemoryTransport
) -> None:
    room = await registry.create()
    await registry.join(room.id, "s1", name="ann", ticket=None)  # goes out at once
    for n in range(2, 6):
        await registry.join(room.id, f"s{n}", name=f"m{n}", ticket=None)
    sent = [s for s in transport.sent if s.event == "MEMBERS"]
    assert len(sent) == 1
    await asyncio.sleep(0.15)
    later = [s.data for s in transport.sent if s.event == "MEMBERS"][1:]
    assert [[m["name"] for m in d["joined"]] for d in later] == [["m2", "m3", "m4", "m5"]]
