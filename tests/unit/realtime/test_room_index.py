"""Each socket's rooms, indexed (realtime.room_index), agree with python-socketio's own manager
after any sequence of joins, leaves, closed rooms and disconnects, and a disconnect leaves
exactly the rooms python-socketio's would."""

from __future__ import annotations

import random
from typing import Any

import pytest
import socketio

from watchparty.realtime.fanout import FanoutManager

NAMESPACES = ("/rooms", "/other")


def started(manager: socketio.AsyncManager) -> socketio.AsyncManager:
    socketio.AsyncServer(client_manager=manager)
    manager.initialize()
    return manager


def table(manager: socketio.AsyncManager) -> dict[str, dict[Any, dict[str, str]]]:
    return {
        namespace: {room: dict(members) for room, members in rooms.items()}
        for namespace, rooms in manager.rooms.items()
    }


@pytest.mark.parametrize("seed", range(20))
async def test_the_index_agrees_with_python_socketio(seed: int) -> None:
    theirs, ours = started(socketio.AsyncManager()), started(FanoutManager())
    chance = random.Random(seed)
    sids: dict[tuple[str, str], tuple[str, str]] = {}  # (namespace, eio) -> both managers' sids
    for step in range(300):
        namespace = chance.choice(NAMESPACES)
        action = chance.random()
        live = [key for key in sids if key[0] == namespace]
        if action < 0.3 or not live:
            eio = f"e{step}"
            sids[namespace, eio] = (
                await theirs.connect(eio, namespace),
                await ours.connect(eio, namespace),
            )
            continue
        key = chance.choice(live)
        their_sid, our_sid = sids[key]
        room = f"room{chance.randrange(6)}"
        if action < 0.6:
            await theirs.enter_room(their_sid, namespace, room)
            await ours.enter_room(our_sid, namespace, room)
        elif action < 0.75:
            await theirs.leave_room(their_sid, namespace, room)
            await ours.leave_room(our_sid, namespace, room)
        elif action < 0.8:
            await theirs.close_room(room, namespace)
            await ours.close_room(room, namespace)
        else:
            await theirs.disconnect(their_sid, namespace)
            await ours.disconnect(our_sid, namespace)
            del sids[key]
            assert ours.get_rooms(our_sid, namespace) == []
        for (space, _), (their_sid, our_sid) in sids.items():
            assert set(ours.get_rooms(our_sid, space)) - {our_sid} == set(
                theirs.get_rooms(their_sid, space)
            ) - {their_sid}
    # The sids differ between the two managers (random ids): compare with them renamed.
    rename = {our: their for their, our in sids.values()}
    ours_renamed = {
        namespace: {
            rename.get(room, room): {rename.get(s, s): e for s, e in members.items()}
            for room, members in rooms.items()
        }
        for namespace, rooms in table(ours).items()
    }
    assert ours_renamed == table(theirs)
    assert set(ours.rooms_of) == {
        (namespace, sid)
        for namespace, rooms in ours.rooms.items()
        for members in rooms.values()
        for sid in members
    }
