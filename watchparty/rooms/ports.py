"""What the live-room domain needs from the world, as protocols: the adapters implement them
(``realtime`` the ``Transport``, ``cluster`` the ``Authority``, ``store`` the ``Rooms``,
``ratelimit`` the budgets), and the domain's unit tests use in-memory ones
(tests/unit/rooms/memory.py). Nothing here imports Socket.IO or Redis."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from watchparty.core import Rejection
from watchparty.core.errors import Unavailable
from watchparty.core.plans import Plan
from watchparty.store.rooms import RoomRecord

Clock = Callable[[], float]
# The plan of a room's owner (None: the room was made by a guest), read when a room is made
# or loaded.
PlanOf = Callable[[str | None], Awaitable[Plan]]


class Transport(Protocol):
    """How the domain reaches sockets: it decides what to send, the adapter knows how."""

    async def enter(self, sid: str, room_id: str) -> None: ...

    async def send(self, event: str, data: Any, sid: str) -> None: ...

    async def broadcast(
        self, event: str, data: Any, room_id: str, skip_sid: str | None = None
    ) -> None: ...

    async def disconnect(self, sid: str) -> None: ...

    async def drop(self, sids: list[str]) -> None: ...

    def here(self, sid: str) -> bool: ...


class RoomSaver(Protocol):
    """Where the write-behind saves rooms (``store.rooms.RoomStore``): ``save_many`` lands
    each record unless a newer revision is stored, all in one request, saying per record why
    it was refused (None: not refused)."""

    async def save_many(self, records: Sequence[RoomRecord]) -> list[Exception | None]: ...


class Rooms(RoomSaver, Protocol):
    """The room records the registry reads and writes (``store.rooms.RoomStore``); each
    raises ``store.errors.StoreUnavailable`` when the database cannot be reached."""

    async def insert(self, record: RoomRecord) -> bool: ...  # False: the id is taken

    async def load(self, room_id: str) -> RoomRecord | None: ...

    async def delete(self, room_id: str) -> bool: ...


class Authority(Protocol):
    """Which rooms this process may hold, when rooms are shared between processes
    (cluster.leases). ``claim`` raises ``ClusterUnavailable`` when it cannot tell."""

    me: str

    # The holder afterwards (perhaps ``me``); ``new``: an id nobody can know yet.
    async def claim(self, room_id: str, *, new: bool = False) -> str: ...

    def holds(self, room_id: str) -> bool: ...

    def lapsed(self, room_id: str) -> bool: ...  # ours, but ran out while Redis was away

    def release(self, room_id: str) -> None: ...


class QueueBudget(Protocol):
    """How many queue changes one member, and one room, may make (``ratelimit``)."""

    async def spend(self, room_id: str, member_key: str) -> Rejection | None: ...


class Verdict(Protocol):
    @property
    def allowed(self) -> bool: ...

    @property
    def retry_after(self) -> int: ...  # whole seconds until the next may pass


class Limit(Protocol):
    """One rate limit by key (``ratelimit.RateLimit``)."""

    async def hit(self, key: str) -> Verdict: ...


class FailureLimit(Protocol):
    """A limit on failures (``ratelimit.RateLimit``): checked before, counted after."""

    async def check(self, key: str) -> Verdict: ...

    async def count(self, key: str) -> None: ...


# Whether a password matches a bcrypt hash, checked off the event loop on behalf of a client
# address; None when too many checks are under way (for that address, or in all).
PasswordCheck = Callable[[str, str | None, str], Awaitable[bool | None]]


class ClusterUnavailable(Unavailable):
    """The processes cannot coordinate (Redis cannot be reached)."""

    code = "cluster_unavailable"


class RegistryFull(Unavailable):
    """The process holds as many rooms as it is configured for, all of them in use."""

    code = "capacity_reached"


class RoomElsewhere(Exception):
    """Another process is this room's authority: the request must go there."""

    def __init__(self, room_id: str, holder: str) -> None:
        super().__init__(room_id)
        self.room_id = room_id
        self.holder = holder
