"""Whether a member may send a command to a room: pure rules over the room as it is (the
registry adds what needs I/O: the room's holder, the queue budget)."""

from __future__ import annotations

from watchparty.core import Command, QueueAdd, Rejection, UpdateQueue
from watchparty.core.errors import reject
from watchparty.core.plans import check_queue
from watchparty.core.policy import allows, refusal, role_of
from watchparty.rooms.live import Actor, LiveRoom
from watchparty.store.rooms import RoomInfo


def may_control(info: RoomInfo, user_id: str | None) -> Rejection | None:
    """Whether this user (None: a guest) may control the room: not banned, and allowed by
    the room's control rule. None when allowed."""
    if user_id is not None and user_id in info.banned:
        return reject("banned")
    if not allows("control", role_of(user_id, info.owner_id, info.moderators), info.control):
        return reject("forbidden", detail=refusal("control", info.control))
    return None


def may_command(room: LiveRoom, actor: Actor, command: Command) -> Rejection | None:
    """``may_control``, and the plan's queue length: None when allowed."""
    refused = may_control(room.info, actor.user_id)
    if refused is not None:
        return refused
    if isinstance(command, UpdateQueue | QueueAdd):
        size = len(room.state.queue)
        proposed = len(command.queue) if isinstance(command, UpdateQueue) else size + 1
        return check_queue(room.plan, size, proposed)
    return None
