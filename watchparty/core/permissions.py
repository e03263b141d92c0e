"""Who may control a room's playback and queue: pure, so every mode is unit-tested.

A room created by a signed-in user has an owner. The owner chooses the room's ``control``:
``everyone`` (the default), ``members`` (signed-in users only) or ``owner`` (the owner and the
moderators the owner names). The owner always may; a room without an owner is ``everyone``.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from watchparty.core.commands import Rejection

Control = Literal["everyone", "members", "owner"]
Role = Literal["owner", "moderator", "member", "guest"]
CONTROLS: Final[tuple[str, ...]] = get_args(Control)
MAX_MODERATORS = 50


def role_of(user_id: str | None, owner_id: str | None, moderators: tuple[str, ...]) -> Role:
    if user_id is None:
        return "guest"
    if user_id == owner_id:
        return "owner"
    if user_id in moderators:
        return "moderator"
    return "member"


def may_control(control: Control, role: Role) -> bool:
    if control == "everyone" or role in ("owner", "moderator"):
        return True
    return control == "members" and role == "member"


def refusal(control: Control) -> Rejection:
    who = "signed-in members" if control == "members" else "the owner and moderators"
    return Rejection("forbidden", f"in this room only {who} may control playback and the queue")
