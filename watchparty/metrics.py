"""``/metrics``: what the server is doing, in Prometheus' text format (prometheus-client).

Most figures are read when Prometheus scrapes, from counters the parts keep anyway (the
registry's connections and rooms, the namespace's event tally, the write-behind's backlog and
retries, each rate limit's refusals), so the hot paths pay nothing for them. The one
measurement taken as it happens is a room broadcast's fan-out time, once per broadcast (not
per recipient). Each app has its own collector registry: no module-level state.

``METRICS_TOKEN``, when set, must come as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    GCCollector,
    Histogram,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from watchparty.cluster.node import Cluster
from watchparty.core.errors import reject
from watchparty.ratelimit import RateLimit
from watchparty.realtime.fanout import FanoutManager
from watchparty.rooms.registry import RoomRegistry
from watchparty.rooms.writebehind import WriteBehind, WriteQueue

# Fan-out time of one room broadcast: tens of microseconds for a small room, milliseconds
# for thousands of viewers.
BROADCAST_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1)


@dataclass(frozen=True)
class Sources:
    """The parts whose counters the scrape reads."""

    registry: RoomRegistry
    events: Counter[tuple[str, str]]  # (event, "ok" or error code) -> count
    room_writes: WriteBehind
    chat_writes: WriteQueue
    limits: Iterable[RateLimit]
    fanout: FanoutManager
    cluster: Cluster | None = None  # with REDIS_URL


class _Collector(Collector):
    def __init__(self, sources: Sources) -> None:
        self._sources = sources

    def collect(self) -> Iterator[Metric]:
        s = self._sources
        yield GaugeMetricFamily(
            "watchparty_connected_clients",
            "Socket.IO connections to this process in a room",
            value=_connected(s),
        )
        yield GaugeMetricFamily(
            "watchparty_live_rooms", "Rooms this process holds in memory", value=len(s.registry)
        )
        events = CounterMetricFamily(
            "watchparty_events",
            "Socket events handled, by event and result (ok, or the error code)",
            labels=("event", "result"),
        )
        for (event, result), count in sorted(s.events.items()):
            events.add_metric((event, result), count)
        yield events
        for name, writer, what in (
            ("room_writes", s.room_writes, "rooms"),
            ("chat_writes", s.chat_writes, "chat writes"),
        ):
            yield GaugeMetricFamily(
                f"watchparty_{name}_pending", f"{what} waiting to be saved", value=writer.pending
            )
            yield GaugeMetricFamily(
                f"watchparty_{name}_lag_seconds",
                f"How long the oldest of the {what} waiting to be saved has waited",
                value=writer.lag(),
            )
            yield CounterMetricFamily(
                f"watchparty_{name}_retries",
                f"Attempts to save {what} that found the database unavailable",
                value=writer.retries,
            )
            yield CounterMetricFamily(
                f"watchparty_{name}_failures",
                f"Saves of {what} the database refused for what they held (not an outage)",
                value=writer.failures,
            )
        yield CounterMetricFamily(
            "watchparty_direct_deliveries",
            "Broadcast messages written straight to a viewer's websocket",
            value=s.fanout.direct_deliveries,
        )
        yield CounterMetricFamily(
            "watchparty_direct_writes",
            "Writes (system calls) those took: fewer than deliveries when bursts share writes",
            value=s.fanout.direct_writes,
        )
        yield CounterMetricFamily(
            "watchparty_slow_connections_closed",
            "Connections closed because they did not read what they were sent",
            value=s.fanout.dropped,
        )
        refusals = CounterMetricFamily(
            "watchparty_rate_limited",
            "Requests and events refused by a rate limit, by limit",
            labels=("limit",),
        )
        for limit in s.limits:
            refusals.add_metric((limit.name,), limit.refusals)
        yield refusals
        if s.cluster is not None:
            yield from _cluster(s.cluster)


def _connected(s: Sources) -> int:
    """This process's sockets in rooms: its rooms' members, less those that reach them
    through other processes, plus its own members of rooms held elsewhere (so that the
    workers' figures add up to the connections)."""
    count = len(s.registry.members)
    if s.cluster is not None:
        count += len(s.cluster.relay.routes) - len(s.cluster.relay.remote)
    return count


def _cluster(cluster: Cluster) -> Iterator[Metric]:
    """What an operator watches in a Redis outage (docs/operations.md)."""
    # Workers share one port, so a scrape reaches any of them: this says which answered.
    yield InfoMetricFamily(
        "watchparty_process", "This process in the cluster", value={"id": cluster.me}
    )
    yield GaugeMetricFamily(
        "watchparty_redis_up", "1 while this process reaches Redis", value=int(cluster.health.up)
    )
    yield CounterMetricFamily(
        "watchparty_redis_outages", "Times this process lost Redis", value=cluster.health.outages
    )
    yield GaugeMetricFamily(
        "watchparty_rooms_lapsed",
        "Rooms held here whose lease ran out in a Redis outage: kept, commands refused",
        value=cluster.leases.lapsed_count,
    )


class Metrics:
    def __init__(self, sources: Sources, token: str | None) -> None:
        self.registry = CollectorRegistry()
        self.broadcast_seconds = Histogram(
            "watchparty_broadcast_seconds",
            "Time to hand one room broadcast to every recipient's connection",
            buckets=BROADCAST_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_Collector(sources))
        # The process's memory, CPU and start time: with several workers, the start time
        # tells whose figures a scrape got.
        ProcessCollector(registry=self.registry)
        # And its garbage collections: a full one (generation 2) stops the process, for
        # hundreds of milliseconds with thousands of connections.
        GCCollector(registry=self.registry)
        self._token = token

    async def handle(self, request: web.Request) -> web.Response:
        if self._token is not None:
            given = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(given.encode(), self._token.encode()):
                return web.json_response(
                    {"error": reject("unauthorized").to_wire()},
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
                )
        return web.Response(
            body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
