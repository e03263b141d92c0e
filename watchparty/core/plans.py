"""The plans and what each one entitles: the single source of truth for HTTP and Socket.IO.

A room's entitlements are its owner's plan (a room made by a guest is on the free plan). They
are checked when an action needs them, never retroactively: a room whose owner downgrades keeps
its members and its queue; the next join beyond the free limit, or the next queue change that
would make the queue longer than the free limit, is refused with ``upgrade_required``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from watchparty.core.errors import Rejection, reject

# Subscription statuses that keep the paid plan. past_due: Stripe is still retrying the payment.
PAYING_STATUSES: Final = frozenset({"active", "trialing", "past_due"})


@dataclass(frozen=True)
class Plan:
    name: str
    title: str
    max_members: int  # viewers in one of the owner's rooms
    max_queue: int  # items in one of the owner's rooms' queues
    max_rooms: int  # rooms a signed-in user may own at once
    persistent_rooms: bool  # False: rooms are deleted after WATCHPARTY_FREE_ROOM_IDLE_DAYS idle
    ad_free: bool

    def to_wire(self) -> dict[str, Any]:
        return asdict(self)


FREE: Final = Plan(
    "free",
    "Free",
    max_members=50,
    max_queue=50,
    max_rooms=10,
    persistent_rooms=False,
    ad_free=False,
)
PLUS: Final = Plan(
    "plus",
    "Plus",
    max_members=1000,
    max_queue=200,
    max_rooms=100,
    persistent_rooms=True,
    ad_free=True,
)


@dataclass(frozen=True)
class Plans:
    """The plans of this server: the ones above, with the free viewer limit from settings
    (``WATCHPARTY_FREE_MAX_MEMBERS``: a benchmark's room of a thousand guests needs it)."""

    free: Plan = FREE
    plus: Plan = PLUS

    def named(self, name: str | None) -> Plan:
        """The plan stored on a user (unknown or missing: free)."""
        return self.plus if name == self.plus.name else self.free

    def for_status(self, status: str | None) -> Plan:
        """The plan a subscription in ``status`` entitles to."""
        return self.plus if status in PAYING_STATUSES else self.free


def upgrade_required(message: str) -> Rejection:
    return reject("upgrade_required", detail=f"{message}; the room's owner can upgrade to Plus")


def check_queue(plan: Plan, current: int, proposed: int) -> Rejection | None:
    """A queue may not grow beyond the plan's limit (a queue already longer may shrink)."""
    if proposed > plan.max_queue and proposed > current:
        return upgrade_required(f"on the {plan.title} plan a queue holds {plan.max_queue} items")
    return None


def check_rooms(plan: Plan, owned: int) -> Rejection | None:
    """Whether a user who owns ``owned`` rooms may create another (delete one, or upgrade)."""
    if owned >= plan.max_rooms:
        return reject(
            "upgrade_required",
            detail=f"on the {plan.title} plan you may own {plan.max_rooms} rooms; delete one or "
            "upgrade to Plus",
        )
    return None


def check_members(plan: Plan, current: int) -> Rejection | None:
    if current >= plan.max_members:
        return upgrade_required(f"on the {plan.title} plan a room holds {plan.max_members} viewers")
    return None
