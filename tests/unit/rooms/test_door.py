"""The door in the join path, without a server: an invite is counted only for someone who got
in, two joins cannot both take its last use, and a wrong password is counted per room and
address."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from tests.unit.rooms.memory import MemoryFailures, MemoryRooms, MemoryTransport
from tests.unit.rooms.test_registry import registry_of
from watchparty.core.access import Invite
from watchparty.rooms.door import Door
from watchparty.rooms.membership import JoinRefused
from watchparty.rooms.registry import RoomRegistry
from watchparty.rooms.writebehind import WriteBehind


@pytest.fixture
def registry() -> RoomRegistry:
    return registry_of(MemoryTransport(), MemoryRooms(), max_members=2)


async def test_a_full_room_does_not_use_up_an_invite(registry: RoomRegistry) -> None:
    room = await registry.create(owner_id="o")
    room.info = replace(room.info, visibility="private", invites=(Invite("tok", 0.0, uses=1),))
    for sid in ("s1", "s2"):
        await registry.join(room.id, sid, name=sid, ticket=None, user_id="o")  # the owner, twice
    with pytest.raises(JoinRefused) as refused:
        await registry.join(room.id, "s3", name="g", ticket=None, guest_id="g1", invite="tok")
    assert refused.value.code == "room_full"
    assert room.info.invites[0].used_by == ()  # still there for them when a seat frees


async def test_two_joins_at_once_cannot_share_the_last_use(registry: RoomRegistry) -> None:
    room = await registry.create(owner_id="o")
    room.info = replace(room.info, visibility="private", invites=(Invite("tok", 0.0, uses=1),))
    joins = [
        registry.join(room.id, f"s{n}", name="g", ticket=None, guest_id=f"g{n}", invite="tok")
        for n in (1, 2)
    ]
    results = await asyncio.gather(*joins, return_exceptions=True)
    refusals = [r.code for r in results if isinstance(r, JoinRefused)]
    assert refusals == ["invite_used_up"]
    assert len(room.members) == 1
    assert len(room.info.invites[0].used_by) == 1


async def test_wrong_passwords_are_counted_per_room_and_address(registry: RoomRegistry) -> None:
    room = await registry.create(owner_id="o")
    room.info = replace(room.info, password_hash="right")  # the memory door compares plainly
    for _ in range(5):
        with pytest.raises(JoinRefused) as refused:
            await registry.join(room.id, "s", name="g", ticket=None, address="a", password="x")
        assert refused.value.code == "wrong_password"
    with pytest.raises(JoinRefused) as refused:
        await registry.join(room.id, "s", name="g", ticket=None, address="a", password="right")
    assert refused.value.code == "rate_limited"
    member = await registry.join(room.id, "s", name="g", ticket=None, address="b", password="right")
    assert room.members == {"s": member}


async def test_a_password_changed_while_it_is_checked_is_asked_again() -> None:
    checking, go_on = asyncio.Event(), asyncio.Event()

    async def slow(password: str, hashed: str | None, address: str) -> bool:
        checking.set()
        await go_on.wait()  # bcrypt's time, without the room's lock
        return password == hashed

    rooms = MemoryRooms()
    door = Door(slow, MemoryFailures(), WriteBehind(rooms, gather=0.01), time.time, 3600.0)
    registry = registry_of(MemoryTransport(), rooms, door=door)
    room = await registry.create(owner_id="o")
    room.info = replace(room.info, password_hash="old")
    joining = asyncio.ensure_future(
        registry.join(room.id, "s", name="g", ticket=None, address="a", password="old")
    )
    await checking.wait()
    room.info = replace(room.info, password_hash="new")  # the owner changes it meanwhile
    go_on.set()
    with pytest.raises(JoinRefused) as refused:
        await joining
    assert refused.value.code == "wrong_password"
    assert room.members == {}
