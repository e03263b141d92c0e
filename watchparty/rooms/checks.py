"""Whether a member may send a command to a room: pure rules over the room as it is (the
registry adds what needs I/O: the room's holder, the queue budget)."""

from __future__ import annotations

from watchparty.core import Command, QueueAdd, Rejection, UpdateQueue
from watchparty.core.errors import reject
from watchparty.core.plans import check_queue
from watchparty.core.policy import allows, refusal, role_of
from watchparty.rooms.live import Actor, LiveRoom


def may_command(room: LiveRoom, actor: Actor, command: Command) -> Rejection | None:
    """Bans, the room's control rule, and its plan's queue length: None when allowed."""
    info = room.info
    if actor.user_id is not None and actor.user_id in info.banned:
        return reject("banned")
    role = role_of(actor.user_id, info.owner_id, info.moderators)
    if not allows("control", role, info.control):
        return reject("forbidden", detail=refusal("control", info.control))
    if isinstance(command, UpdateQueue | QueueAdd):
        size = len(room.state.queue)
        proposed = len(command.queue) if isinstance(command, UpdateQueue) else size + 1
        return check_queue(room.plan, size, proposed)
    return None
