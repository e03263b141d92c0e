"""This process's part in a cluster: Redis, leases, peers, relay and replay, started and
stopped together."""

from __future__ import annotations

import asyncio
import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from watchparty.cluster.forward import Replay
from watchparty.cluster.leases import Leases
from watchparty.cluster.peers import Peers
from watchparty.cluster.relay import Relay
from watchparty.rooms.ports import Transport

log = logging.getLogger(__name__)

PREFIX = "watchparty"
SOCKETIO_CHANNEL = f"{PREFIX}:socketio"


class Cluster:
    """This process's part in a cluster of processes sharing rooms through Redis."""

    def __init__(self, url: str, lease_seconds: float, transport: Transport) -> None:
        self.me = uuid.uuid4().hex[:12]
        self.redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.leases = Leases(self.redis, self.me, lease_seconds, PREFIX)
        self.peers = Peers(self.redis, self.me, PREFIX, timeout=lease_seconds + 2.0)
        self.relay = Relay(self.peers, self.leases, transport.drop, transport.here)
        self.replay = Replay()
        self.peers.handlers["http"] = self.replay
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        try:
            await self.redis.ping()
        except RedisError:
            raise RuntimeError("cannot reach Redis at REDIS_URL") from None
        await self.replay.start()
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self.peers.listen()),
            loop.create_task(self.leases.run()),
            loop.create_task(self.relay.watch()),
        ]
        async with asyncio.timeout(10):
            await self.peers.subscribed()
        log.info("process %s joined the cluster", self.me)

    async def stop(self) -> None:
        """Give every room back (call once they are saved), then leave."""
        await self.leases.release_all()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.peers.close()
        await self.replay.close()
        await self.redis.aclose()
