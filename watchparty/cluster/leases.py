"""Which process is each room's authority: one lease per room, kept in Redis.

A process holds room R while the key ``<prefix>:room:R`` holds its id. It takes the key only
if nobody holds it, renews every lease it holds once per third of the lease time, and gives a
room back when it unloads it. A process that dies stops renewing; its rooms are free once
their leases run out, and the next process that needs one loads it from the database.

Fencing: a process counts a lease as its own only until ``sent + ttl - margin`` on its own
monotonic clock, ``sent`` being when it sent the command that set or renewed the key (Redis set
the expiry after that). Past that point it refuses the room's commands whether or not it can
reach Redis, so two processes never both accept commands: another can take the key only once
it has expired in Redis, which is after the old holder stopped counting on it.

Outages (docs/decisions/008-redis-outages.md): a lease that runs out while Redis cannot be
reached *lapses*: the room stays loaded and its members connected, its commands are refused
(``cluster_unavailable``), and the lease is taken back when Redis answers again. A Redis that
restarted empty has forgotten every lease, while their holders may still count on them; so for
the lease time after a Redis instance is first used (its *epoch*, per ``run_id``) nobody takes
a room that was not certainly theirs: holders reserve their keys at once, others wait.
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

Rooms = Callable[[list[str]], Awaitable[None]]

# How long (ms) until this Redis instance's epoch (its first use by the cluster) is one
# settling time old: positive while a holder from before a restart may still count on a lease
# this Redis forgot.
EPOCH = """
local function settle_in(epoch, settle)
  local run = string.match(redis.call('info', 'server'), 'run_id:(%w+)')
  local t = redis.call('time')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local seen = redis.call('hmget', epoch, 'run', 'since')
  local since = tonumber(seen[2])
  if seen[1] ~= run or not since then
    redis.call('hset', epoch, 'run', run, 'since', now)
    since = now
  end
  return since + tonumber(settle) - now
end
"""
# KEYS: the room's lease, the epoch. ARGV: me, ttl ms (also the settling time), "1" for a
# brand-new room.
# Answers {"held", holder}, {"wait", ms} (a young Redis) or {"mine", ""}.
CLAIM = (
    EPOCH
    + """
local holder = redis.call('get', KEYS[1])
if holder and holder ~= ARGV[1] then return {'held', holder} end
if ARGV[3] ~= '1' then
  local wait = settle_in(KEYS[2], ARGV[2])
  if wait > 0 then return {'wait', tostring(wait)} end
end
if holder then
  redis.call('pexpire', KEYS[1], ARGV[2])
else
  redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2])
end
return {'mine', ''}
"""
)
# KEYS: the epoch, then the leases this process holds or held. ARGV: me, ttl ms.
# Renews ours, takes back the free ones (reserved: see ``renew``); answers the settling time
# left and the keys someone else holds now.
RENEW = (
    EPOCH
    + """
local wait = settle_in(KEYS[1], ARGV[2])
local lost = {}
for i = 2, #KEYS do
  local holder = redis.call('get', KEYS[i])
  if holder == ARGV[1] then
    redis.call('pexpire', KEYS[i], ARGV[2])
  elseif not holder then
    redis.call('set', KEYS[i], ARGV[1], 'px', ARGV[2])
  else
    table.insert(lost, KEYS[i])
  end
end
return {wait, lost}
"""
)
# KEYS: the epoch. ARGV: ttl ms. Starts this Redis instance's epoch if it has none yet.
TOUCH = EPOCH + "return settle_in(KEYS[1], ARGV[1])"
# Deletes a key only while it holds our id: never someone else's lease.
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _nothing() -> None:
    pass


class Leases:
    def __init__(
        self,
        redis: Redis,
        me: str,
        ttl: float,
        prefix: str,
        unreachable: Callable[[], None] = _nothing,
    ) -> None:
        self._redis = redis
        self.me = me
        self.ttl = ttl
        self._ttl_ms = int(ttl * 1000)
        self._margin = ttl / 10
        self._prefix = prefix
        self._epoch = f"{prefix}:epoch"
        self._unreachable = unreachable  # said once per outage (cluster.health)
        self._valid: dict[str, float] = {}  # room id -> monotonic time our lease counts until
        self._lapsed: set[str] = set()  # ours, but ran out while Redis could not say so
        # Seconds until this Redis instance is past its epoch: its first lease time, the
        # longest a holder from before a restart may still count on a lease Redis forgot.
        self._settle_in = 0.0
        self._reachable = True
        self._claim = redis.register_script(CLAIM)
        self._touch = redis.register_script(TOUCH)
        self._renew = redis.register_script(RENEW)
        self._release = redis.register_script(RELEASE)
        self._releasing: set[asyncio.Task[None]] = set()
        # Told the rooms whose lease this process lost (it must stop being their authority),
        # and the lapsed rooms it took back (they may have changed hands meanwhile).
        self.on_lost: Rooms | None = None
        self.on_regained: Rooms | None = None

    async def start(self) -> None:
        """Start this Redis instance's epoch now, if nobody has: a fresh cluster's first room
        loads then wait out the settling time from the first process's start, not from
        their own."""
        wait_ms = await self._touch(keys=[self._epoch], args=[self._ttl_ms])
        self._settle_in = max(0, int(wait_ms)) / 1000

    def key(self, room_id: str) -> str:
        return f"{self._prefix}:room:{room_id}"

    def holds(self, room_id: str) -> bool:
        """Whether this process may act as the room's authority now (no I/O: the hot path)."""
        return time.monotonic() < self._valid.get(room_id, 0.0)

    def lapsed(self, room_id: str) -> bool:
        """Ours as far as this process knows, but not provably now: Redis could not be
        reached when the lease ran out. Taken back (or given up) when it answers again."""
        if room_id in self._lapsed:
            return True
        return not self._reachable and room_id in self._valid and not self.holds(room_id)

    @property
    def lapsed_count(self) -> int:
        return len(self._lapsed)

    @property
    def held(self) -> list[str]:
        return [*self._valid, *self._lapsed]

    async def claim(self, room_id: str, *, new: bool = False) -> str:
        """Take the room's lease if nobody holds it; the id of the process that holds it.
        ``new``: a room id nobody can know yet (no epoch to wait out).

        Raises ``ClusterUnavailable`` when Redis cannot be reached.
        """
        keys = [self.key(room_id), self._epoch]
        try:
            for _ in range(5):
                sent = time.monotonic()
                verdict, detail = await self._claim(
                    keys=keys, args=[self.me, self._ttl_ms, int(new)]
                )
                verdict, detail = _text(verdict), _text(detail)
                if verdict == "held":
                    return detail
                if verdict == "wait":
                    await asyncio.sleep(int(detail) / 1000)
                    continue
                if room_id in self._lapsed or (room_id in self._valid and not self.holds(room_id)):
                    # Ours before, but not counted on since: another process may have held
                    # it meanwhile, so ``renew`` takes it back after checking (on_regained).
                    self._valid.pop(room_id, None)
                    self._lapsed.add(room_id)
                else:
                    self._valid[room_id] = sent + self.ttl - self._margin
                return self.me
        except RedisError as error:
            self._failed()
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
            self._failed()
            raise ClusterUnavailable from error
        return {
            room: None if v is None else _text(v) for room, v in zip(rooms, values, strict=True)
        }

    def release(self, room_id: str) -> None:
        """Give the room back (it was unloaded or deleted); others may take it at once."""
        self._lapsed.discard(room_id)
        if self._valid.pop(room_id, None) is None:
            return
        task = asyncio.get_running_loop().create_task(self._delete(room_id))
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _delete(self, room_id: str) -> None:
        try:
            await self._release(keys=[self.key(room_id)], args=[self.me])
        except RedisError:
            self._failed()  # the lease runs out by itself

    async def release_all(self) -> None:
        """Give back every room (the process is shutting down, its rooms saved)."""
        self._lapsed.clear()
        for room_id in list(self._valid):
            self.release(room_id)
        await asyncio.gather(*self._releasing, return_exceptions=True)

    async def run(self) -> None:
        """Renew every lease held, once per third of the lease time, for ever."""
        while True:
            pause = self.ttl / 3
            if self._lapsed and self._settle_in > 0:
                pause = min(pause, self._settle_in)
            await asyncio.sleep(pause)
            try:
                await self.renew()
            except Exception:
                log.exception("renewing room leases failed")

    async def reassert(self) -> None:
        """Redis answers again: renew now, and wait out a young Redis's epoch to take the
        lapsed rooms back (at most the lease time)."""
        for _ in range(3):
            await self.renew()
            if not self._lapsed or self._settle_in <= 0:
                return
            await asyncio.sleep(self._settle_in)

    async def renew(self) -> None:
        rooms = self.held
        if not rooms:
            return
        sent = time.monotonic()
        try:
            wait_ms, lost_keys = await self._renew(
                keys=[self._epoch, *(self.key(r) for r in rooms)],
                args=[self.me, self._ttl_ms],
            )
        except RedisError:
            self._failed()
            self._lapse(sent)
            return
        self._reachable = True
        self._settle_in = max(0, int(wait_ms)) / 1000
        gone = {_text(key) for key in lost_keys}
        lost, regained = [], []
        for room in rooms:
            if room not in self._valid and room not in self._lapsed:
                continue  # released meanwhile
            if self.key(room) in gone:
                lost.append(room)
            elif sent < self._valid.get(room, 0.0):
                # Ours without a break: the key was ours, or lost by Redis (a restart) while
                # nobody else could hold it; either way nobody else can take it now.
                self._valid[room] = sent + self.ttl - self._margin
            elif self._settle_in <= 0:
                self._lapsed.discard(room)
                self._valid[room] = sent + self.ttl - self._margin
                regained.append(room)
            else:  # a young Redis: the key is reserved for us, counted on after the epoch
                self._valid.pop(room, None)
                self._lapsed.add(room)
        for room in lost:
            self._valid.pop(room, None)
            self._lapsed.discard(room)
        if lost:
            log.warning("lost the lease of %d room(s); another process may take them", len(lost))
            if self.on_lost is not None:
                await self.on_lost(lost)
        if regained and self.on_regained is not None:
            await self.on_regained(regained)

    def _failed(self) -> None:
        self._reachable = False
        self._unreachable()

    def _lapse(self, now: float) -> None:
        """Redis cannot be reached: the leases that ran out lapse (their rooms are kept)."""
        for room in [room for room, until in self._valid.items() if until <= now]:
            del self._valid[room]
            self._lapsed.add(room)
