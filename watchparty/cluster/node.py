"""This process's part in a cluster: Redis, leases, peers, relay and replay, started and
stopped together, and its health (one warning per outage, recovery when Redis is back)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
from redis.exceptions import RedisError

from watchparty.cluster.forward import Replay
from watchparty.cluster.health import RedisHealth
from watchparty.cluster.leases import Leases
from watchparty.cluster.peers import Peers
from watchparty.cluster.relay import Relay
from watchparty.rooms.ports import Transport
from watchparty.stopping import cancel_and_wait

log = logging.getLogger(__name__)

PREFIX = "watchparty"
SOCKETIO_CHANNEL = f"{PREFIX}:socketio"


def redis_options() -> dict[str, Any]:
    """One quick retry (for a connection Redis closed while idle): in an outage a command
    then fails at once, since every part copes with a failure, where redis-py's default
    backs off for seconds on each."""
    return {"socket_connect_timeout": 2, "retry": Retry(ConstantBackoff(0.05), 1)}


class Cluster:
    """This process's part in a cluster of processes sharing rooms through Redis."""

    def __init__(self, url: str, lease_seconds: float, transport: Transport) -> None:
        self.me = uuid.uuid4().hex[:12]
        self.redis = Redis.from_url(url, socket_timeout=5, **redis_options())
        self.health = RedisHealth(self.redis)
        failed = self.health.failed
        self.leases = Leases(self.redis, self.me, lease_seconds, PREFIX, failed)
        self.peers = Peers(self.redis, self.me, PREFIX, lease_seconds + 2.0, failed)
        self.relay = Relay(self.peers, self.leases, transport, lambda: not self.health.up)
        self.replay = Replay()
        self.peers.handlers["http"] = self.replay
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        try:
            await self.redis.ping()
            await self.leases.start()
        except RedisError:
            raise RuntimeError("cannot reach Redis at REDIS_URL") from None
        await self.replay.start()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self.peers.listen()),
            loop.create_task(self.leases.run()),
            loop.create_task(self.relay.watch()),
            loop.create_task(self.health.run()),
        ]
        async with asyncio.timeout(10):
            await self.peers.subscribed()
        log.info("process %s joined the cluster", self.me)

    async def stop(self) -> None:
        """Give every room back (call once they are saved), then leave."""
        await self.leases.release_all()
        await cancel_and_wait(self._tasks)
        await self.health.close()
        await self.peers.close()
        await self.replay.close()
        await self.redis.aclose()
