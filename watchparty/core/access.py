"""Who may enter a room: its visibility, its password and its invites. Pure: the clock, the
password check and the room's invites are arguments, so every rule is unit-tested.

``public`` rooms are listed; ``unlisted`` (the default) admit anyone with the link;
``private`` ones admit only their owner, moderators, the signed-in users the owner allowed,
and holders of an invite. A password (any visibility) is asked of everyone else who has no
invite. An invite counts the people it admitted, not their connections: the same person
coming back (a reload, a lost connection) uses it again without using it up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final, Literal, get_args

from watchparty.core.errors import Rejection, reject

Visibility = Literal["public", "unlisted", "private"]
VISIBILITIES: Final[tuple[str, ...]] = get_args(Visibility)
MAX_INVITES: Final = 50  # live invites per room
MAX_INVITE_USES: Final = 1000
MAX_INVITE_SECONDS: Final = 30 * 24 * 3600
MAX_ALLOWED: Final = 200  # signed-in users on a private room's allow list
MAX_ROOM_PASSWORD_BYTES: Final = 72  # bcrypt's limit, as for accounts


@dataclass(frozen=True, slots=True)
class Invite:
    """A link's secret that admits to a private or password room. ``uses``: how many people
    it may admit (None: any number); ``used_by``: the member keys it admitted."""

    token: str
    created_at: float
    expires_at: float | None = None
    uses: int | None = None
    used_by: tuple[str, ...] = ()

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def to_wire(self) -> dict[str, object]:
        """What its owner sees (the token is the link's secret: only they list it)."""
        return {
            "token": self.token,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "uses": self.uses,
            "used": len(self.used_by),
        }


@dataclass(frozen=True, slots=True)
class Door:
    """What a room asks at its door (``RoomInfo``'s access fields)."""

    visibility: Visibility = "unlisted"
    has_password: bool = False
    invites: tuple[Invite, ...] = ()


Verdict = Literal["open", "password"]


def enter(
    door: Door, *, trusted: bool, key: str, invite: str | None, now: float
) -> Verdict | Invite | Rejection:
    """Whether someone may come in: ``open``; ``password`` (only if it matches); an
    ``Invite`` (in, by that invite: ``use`` it); or why not. ``trusted``: the owner, a
    moderator, or a signed-in user on the allow list; ``key``: the member key invites count.
    """
    if trusted:
        return "open"
    if invite is not None:
        found = next((i for i in door.invites if i.token == invite), None)
        if found is None:
            return reject("invite_invalid")
        if found.expired(now):
            return reject("invite_expired")
        if found.uses is not None and key not in found.used_by and len(found.used_by) >= found.uses:
            return reject("invite_used_up")
        return found
    if door.visibility == "private":
        return reject("room_private")
    return "password" if door.has_password else "open"


def use(invites: tuple[Invite, ...], token: str, key: str) -> tuple[Invite, ...]:
    """The invites with ``key`` counted by ``token``'s (once per person)."""
    return tuple(
        replace(i, used_by=(*i.used_by, key)) if i.token == token and key not in i.used_by else i
        for i in invites
    )


def live_invites(invites: tuple[Invite, ...], now: float) -> tuple[Invite, ...]:
    """The invites that can still admit someone new or again (expired ones go)."""
    return tuple(i for i in invites if not i.expired(now))
