"""Which process is each room's authority: one lease per room, kept in Redis.

A process holds room R while the key ``<prefix>:room:R`` holds its id. It takes the key only
if nobody holds it (``SET NX PX``), renews every lease it holds once per third of the lease
time, and gives a room back when it unloads it. A process that dies stops renewing; its rooms
are free once their leases run out, and the next process that needs one loads it from the
database.

Fencing: a process counts a lease as its own only until ``sent + ttl - margin`` on its own
monotonic clock, ``sent`` being when it sent the command that set or renewed the key (Redis set
the expiry after that). Past that point it refuses the room's commands whether or not it can
reach Redis, so two processes never both accept commands: another can take the key only once
it has expired in Redis, which is after the old holder stopped counting on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from watchparty.rooms.ports import ClusterUnavailable

log = logging.getLogger(__name__)

# Renews every key still holding our id; answers the keys that do not (lost leases).
RENEW = """
local lost = {}
for _, key in ipairs(KEYS) do
  if redis.call('get', key) == ARGV[1] then
    redis.call('pexpire', key, ARGV[2])
  else
    table.insert(lost, key)
  end
end
return lost
"""
# Deletes a key only while it holds our id: never someone else's lease.
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Leases:
    def __init__(self, redis: Redis, me: str, ttl: float, prefix: str) -> None:
        self._redis = redis
        self.me = me
        self.ttl = ttl
        self._ttl_ms = int(ttl * 1000)
        self._margin = ttl / 10
        self._prefix = prefix
        self._valid: dict[str, float] = {}  # room id -> monotonic time our lease counts until
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)
        self._releasing: set[asyncio.Task[None]] = set()
        # Told the rooms whose lease this process lost (it must stop being their authority).
        self.on_lost: Callable[[list[str]], Awaitable[None]] | None = None

    def key(self, room_id: str) -> str:
        return f"{self._prefix}:room:{room_id}"

    def holds(self, room_id: str) -> bool:
        """Whether this process may act as the room's authority now (no I/O: the hot path)."""
        return time.monotonic() < self._valid.get(room_id, 0.0)

    @property
    def held(self) -> list[str]:
        return list(self._valid)

    async def claim(self, room_id: str) -> str:
        """Take the room's lease if nobody holds it; the id of the process that holds it.

        Raises ``ClusterUnavailable`` when Redis cannot be reached.
        """
        key = self.key(room_id)
        try:
            for _ in range(3):  # the holder's lease may run out between the two commands
                sent = time.monotonic()
                if await self._redis.set(key, self.me, nx=True, px=self._ttl_ms):
                    self._valid[room_id] = sent + self.ttl - self._margin
                    return self.me
                holder = await self._redis.get(key)
                if holder is None:
                    continue
                holder = _text(holder)
                if holder == self.me and not self.holds(room_id):
                    # Ours in Redis, but no longer counted on here: renew it before using it.
                    if await self._renew(keys=[key], args=[self.me, self._ttl_ms]):
                        continue  # it ran out meanwhile: try to take it again
                    self._valid[room_id] = sent + self.ttl - self._margin
                return str(holder)
        except RedisError as error:
            raise ClusterUnavailable from error
        raise ClusterUnavailable

    async def holders(self, room_ids: Iterable[str]) -> dict[str, str | None]:
        """Who holds each room now (None: nobody)."""
        rooms = list(room_ids)
        if not rooms:
            return {}
        try:
            values = await self._redis.mget([self.key(room) for room in rooms])
        except RedisError as error:
            raise ClusterUnavailable from error
        return {
            room: None if v is None else _text(v) for room, v in zip(rooms, values, strict=True)
        }

    def release(self, room_id: str) -> None:
        """Give the room back (it was unloaded or deleted); others may take it at once."""
        if self._valid.pop(room_id, None) is None:
            return
        task = asyncio.get_running_loop().create_task(self._delete(room_id))
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _delete(self, room_id: str) -> None:
        try:
            await self._release(keys=[self.key(room_id)], args=[self.me])
        except RedisError:
            log.warning("could not release room %s (its lease runs out by itself)", room_id)

    async def release_all(self) -> None:
        """Give back every room (the process is shutting down, its rooms saved)."""
        for room_id in list(self._valid):
            self.release(room_id)
        await asyncio.gather(*self._releasing, return_exceptions=True)

    async def run(self) -> None:
        """Renew every lease held, once per third of the lease time, for ever."""
        while True:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self.renew()
            except Exception:
                log.exception("renewing room leases failed")

    async def renew(self) -> None:
        rooms = list(self._valid)
        if not rooms:
            return
        sent = time.monotonic()
        try:
            lost_keys = await self._renew(
                keys=[self.key(r) for r in rooms], args=[self.me, self._ttl_ms]
            )
        except RedisError:
            log.warning("cannot reach Redis to renew %d room lease(s)", len(rooms))
            lost = [room for room in rooms if room in self._valid and not self.holds(room)]
        else:
            gone = {_text(key) for key in lost_keys}
            lost = []
            for room in rooms:
                if room not in self._valid:
                    continue  # released meanwhile
                if self.key(room) in gone:
                    lost.append(room)
                else:
                    self._valid[room] = sent + self.ttl - self._margin
        for room in lost:
            self._valid.pop(room, None)
        if lost:
            log.warning("lost the lease of %d room(s); another process may take them", len(lost))
            if self.on_lost is not None:
                await self.on_lost(lost)
