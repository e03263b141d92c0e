"""THE permission table: for each action, who may take it. Pure, so every rule is unit-tested.

A room created by a signed-in user has an owner. The owner chooses the room's ``control``:
``everyone`` (the default), ``members`` (signed-in users only) or ``owner`` (the owner and the
moderators the owner names). The owner always may; a room without an owner is ``everyone``.
Moderation acts on members only below the actor's rank (a moderator cannot kick the owner or
another moderator).

The registry, the concerns, the REST routes and the page (through ROOM_INFO's ``grants``)
all read this table; nothing else decides who may.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypedDict, get_args

Control = Literal["everyone", "members", "owner"]
Role = Literal["owner", "moderator", "member", "guest"]
Action = Literal[
    "control",  # playback and the queue (and a trusted ENDED)
    "delete_chat",
    "kick",
    "mute",
    "ban",
    "unban",
    "set_control",
    "set_queue_mode",
    "edit_room",  # PATCH /api/rooms/<id>: name, moderators, settings
    "set_access",  # visibility, password, allow list, invites (core.access)
    "delete_room",
]
CONTROLS: Final[tuple[str, ...]] = get_args(Control)
ROLES: Final[tuple[Role, ...]] = get_args(Role)
MAX_MODERATORS = 50
RANK: Final[dict[Role, int]] = {"owner": 3, "moderator": 2, "member": 1, "guest": 1}


@dataclass(frozen=True, slots=True)
class Rule:
    """``least``: the lowest role that may, or None when the room's control mode decides.
    ``outranks``: the target must rank below the actor. ``what``: the refusal's wording."""

    what: str
    least: Role | None = "moderator"
    outranks: bool = False


POLICY: Final[dict[Action, Rule]] = {
    "control": Rule("control playback and the queue", least=None),
    "delete_chat": Rule("delete messages"),
    "kick": Rule("kick members", outranks=True),
    "mute": Rule("mute members", outranks=True),
    "ban": Rule("ban members", outranks=True),
    "unban": Rule("lift bans"),
    "set_control": Rule("change who controls the room"),
    "set_queue_mode": Rule("change how the queue plays"),
    "edit_room": Rule("change the room", least="owner"),
    "set_access": Rule("change who may enter the room", least="owner"),
    "delete_room": Rule("delete the room", least="owner"),
}


def role_of(user_id: str | None, owner_id: str | None, moderators: tuple[str, ...]) -> Role:
    if user_id is None:
        return "guest"
    if user_id == owner_id:
        return "owner"
    if user_id in moderators:
        return "moderator"
    return "member"


BY_CONTROL: Final[dict[Control, Role]] = {
    "everyone": "guest",
    "members": "member",
    "owner": "moderator",
}


def _least(rule: Rule, control: Control) -> Role:
    return rule.least if rule.least is not None else BY_CONTROL[control]


def allows(action: Action, role: Role, control: Control = "everyone") -> bool:
    """Whether ``role`` may take ``action`` in a room whose control mode is ``control``
    (a guest ranks with members, but only ``everyone`` lets guests control)."""
    least = _least(POLICY[action], control)
    if least == "guest":
        return True
    if least == "member":
        return role != "guest"
    return RANK[role] >= RANK[least]


def may_act_on(action: Action, role: Role, target: Role, control: Control = "everyone") -> bool:
    """``allows``, and for moderation the target ranks below the actor."""
    if not allows(action, role, control):
        return False
    return not POLICY[action].outranks or RANK[target] < RANK[role]


def refusal(action: Action, control: Control = "everyone") -> str:
    """Why ``action`` is refused to someone below the rule (a ``forbidden`` error's message)."""
    rule = POLICY[action]
    if rule.least is None:
        who = "signed-in members" if control == "members" else "the owner and moderators"
        return f"in this room only {who} may {rule.what}"
    if rule.least == "owner":
        return f"only the room's owner may {rule.what}"
    return f"only the owner and moderators may {rule.what}"


def outranked(action: Action) -> str:
    """Why moderation of someone of the actor's rank or above is refused."""
    return f"you cannot {POLICY[action].what} of your rank or above"


class Grant(TypedDict):
    rank: int
    may: list[Action]


def grants(control: Control) -> dict[str, Grant]:
    """What each role may do in a room of this control mode, for the page: the actions it
    may take and its rank (moderation needs the target to rank below)."""
    return {
        role: Grant(rank=RANK[role], may=[a for a in POLICY if allows(a, role, control)])
        for role in ROLES
    }
