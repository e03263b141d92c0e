"""Requests between the server's processes, over Redis pub/sub.

python-socketio's ``AsyncRedisManager`` carries what is *sent to clients* between processes;
this carries what one process asks of another (a relayed socket's join, event or leave, an
HTTP request for a room held elsewhere), which python-socketio has no channel for. Each
process listens on its own channel; a request names an operation, and its reply goes back on
the asker's channel. Everything is JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from watchparty.cluster.errors import PeerGone
from watchparty.rooms.ports import ClusterUnavailable
from watchparty.stopping import cancel_and_wait

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Any]]
RESUBSCRIBE_SECONDS = 0.25  # after losing Redis: others cannot reach this process meanwhile


class RemoteFailure(Exception):
    """The other process could not handle a request (it logged why)."""


def _nothing() -> None:
    pass


class Peers:
    def __init__(
        self,
        redis: Redis,
        me: str,
        prefix: str,
        timeout: float,
        unreachable: Callable[[], None] = _nothing,
    ) -> None:
        self._redis = redis
        self.me = me
        self._unreachable = unreachable  # said once per outage (cluster.health)
        self._prefix = prefix
        self._timeout = timeout
        self.handlers: dict[str, Handler] = {}
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._serving: set[asyncio.Task[None]] = set()
        self._pubsub: PubSub | None = None

    def channel(self, process: str) -> str:
        return f"{self._prefix}:process:{process}"

    @property
    def _everyone(self) -> str:
        return f"{self._prefix}:everyone"

    async def listen(self) -> None:
        """Serve requests and collect replies, for ever (subscribing again after an outage)."""
        while True:
            try:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await self._pubsub.subscribe(self.channel(self.me), self._everyone)
                async for message in self._pubsub.listen():
                    self._receive(message["data"])
            except RedisError:
                self._unreachable()
            finally:
                if self._pubsub is not None:
                    await self._pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # typed from redis 8
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def subscribed(self) -> None:
        """Wait until this process's channel is listened to (others can reach it)."""
        while not await self.listening([self.me]):  # noqa: ASYNC110 (Redis has no event)
            await asyncio.sleep(0.02)

    def _receive(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if "re" in message:
            waiter = self._waiting.get(message["re"])
            if waiter is not None and not waiter.done():
                waiter.set_result(message)
        elif message.get("from") != self.me:
            task = asyncio.get_running_loop().create_task(self._serve(message))
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)

    async def _serve(self, message: dict[str, Any]) -> None:
        handler = self.handlers.get(message.get("op", ""))
        reply: dict[str, Any] = {"re": message.get("id")}
        try:
            if handler is None:
                raise LookupError(f"no handler for {message.get('op')!r}")
            reply["result"] = await handler(**message.get("args", {}))
        except Exception:
            log.exception(
                "request %s from process %s failed", message.get("op"), message.get("from")
            )
            reply["failed"] = True
        if message.get("id") is not None:
            try:
                await self._redis.publish(self.channel(str(message.get("from"))), json.dumps(reply))
            except RedisError:
                self._unreachable()

    async def call(self, to: str, op: str, **args: Any) -> Any:
        """Ask process ``to`` to run ``op``; its result.

        Raises ``PeerGone`` when nobody listens for that process or it does not answer in
        time, ``ClusterUnavailable`` when Redis cannot be reached, and ``RemoteFailure`` when
        the handler failed there.
        """
        request_id = uuid.uuid4().hex
        waiter = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = waiter
        message = json.dumps({"id": request_id, "from": self.me, "op": op, "args": args})
        try:
            if await self._redis.publish(self.channel(to), message) == 0:
                raise PeerGone(to)
            async with asyncio.timeout(self._timeout):
                reply = await waiter
        except TimeoutError:
            raise PeerGone(to) from None
        except RedisError as error:
            self._unreachable()
            raise ClusterUnavailable from error
        finally:
            self._waiting.pop(request_id, None)
        if reply.get("failed"):
            raise RemoteFailure(op)
        return reply.get("result")

    def notify(
        self, process: str, op: str, unsent: Callable[[], None] = _nothing, **args: Any
    ) -> None:
        """Have ``process`` run ``op``, without waiting or an answer (a leave, a round trip):
        sent in order with this process's other messages to it. ``unsent`` is called when
        Redis cannot be reached (for a message worth sending again)."""
        message = json.dumps({"from": self.me, "op": op, "args": args})
        task = asyncio.get_running_loop().create_task(self._send(process, message, unsent))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)

    async def _send(self, process: str, message: str, unsent: Callable[[], None]) -> None:
        try:
            await self._redis.publish(self.channel(process), message)
        except RedisError:
            self._unreachable()
            unsent()

    async def tell_everyone(self, op: str, **args: Any) -> None:
        """Have every other process run ``op`` (no answer awaited)."""
        try:
            await self._redis.publish(
                self._everyone, json.dumps({"from": self.me, "op": op, "args": args})
            )
        except RedisError as error:
            self._unreachable()
            raise ClusterUnavailable from error

    async def listening(self, processes: Iterable[str]) -> set[str]:
        """Which of these processes are alive: their channel has a listener. A process that
        dies closes its Redis connection, so this knows at once, without heartbeats."""
        wanted = list(processes)
        if not wanted:
            return set()
        try:
            counts = await self._redis.pubsub_numsub(*(self.channel(p) for p in wanted))
        except RedisError as error:
            self._unreachable()
            raise ClusterUnavailable from error
        alive = {
            channel.decode() if isinstance(channel, bytes) else channel
            for channel, n in counts
            if n
        }
        return {process for process in wanted if self.channel(process) in alive}

    async def close(self) -> None:
        await cancel_and_wait(list(self._serving))
