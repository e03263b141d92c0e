"""Fuzzing the /rooms namespace over real sockets (hypothesis): 10,000 random events.

Unknown and reserved event names, wrong shapes, text from all of Unicode (lone surrogates
included), huge and deeply nested payloads, binary attachments (which close the connection),
several arguments, and connections that go away before their acknowledgement. Every event
that is acknowledged gets a well-formed answer; the server logs no error; the room's state
keeps its invariants after every batch; when everyone has gone, everything the room accepted
is saved, and the memory the server holds is back where it started.
"""

from __future__ import annotations

import asyncio
import fnmatch
import gc
import json
import logging
import math
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import socketio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ServerFactory
from tests.peers import NAMESPACE
from watchparty.keys import REGISTRY, SOCKETIO, STORE, WRITE_BEHIND

BATCHES = 100
PER_BATCH = 100  # 10,000 events in all
MAX_PAYLOAD = 256 * 1024  # the default WATCHPARTY_MAX_PAYLOAD

KNOWN = [
    "PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO", "UPDATE_QUEUE", "QUEUE_ADD", "QUEUE_REMOVE",
    "QUEUE_MOVE", "TIME", "CHAT", "CHAT_HISTORY", "DELETE_CHAT", "KICK", "MUTE", "BAN", "UNBAN",
    "SET_CONTROL", "ENDED", "VOTE_SKIP", "BUFFERING", "READY",
]  # fmt: skip
# Names python-socketio gives a meaning of its own: a client must not be able to fake them.
RESERVED = ["connect", "disconnect", "connect_error", "message", "*"]

# All of Unicode, lone surrogates included: ``st.text`` leaves them out of any alphabet, and
# joining single characters is ten times slower to draw, so a surrogate is put into a text.
surrogate = st.characters(categories=["Cs"])
any_text = st.text(max_size=40) | st.builds(
    lambda before, odd, after: before + odd + after,
    st.text(max_size=12),
    surrogate,
    st.text(max_size=12),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(any_text, children, max_size=5)
    ),
    max_leaves=25,
)
# Payloads shaped like the real ones, with wrong or extreme values in their fields.
fields = st.sampled_from(
    ["timestamp", "video_id", "queue", "item", "id", "to", "version", "client_time", "rtt",
     "text", "member_id", "seconds", "user_id", "control", "duration", "before", "limit"]
)  # fmt: skip
near_valid = st.dictionaries(fields, json_values, max_size=4)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return {"queue": value}


text_payloads = st.one_of(
    json_values,
    near_valid,
    st.builds(nested, st.integers(min_value=50, max_value=300)),  # deeper: test below
    st.builds(lambda n: {"text": "x" * n}, st.integers(min_value=1000, max_value=200_000)),
    # Beyond the Socket.IO payload cap (256 KiB): the server closes that connection.
    st.builds(lambda n: {"text": "x" * n}, st.integers(min_value=270_000, max_value=400_000)),
)
# Binary payloads close their connection (tests/integration/test_hostile_packets.py tries each
# kind): one payload in twenty here, so the run still reconnects often without spending its time on
# it.
binary_payloads = st.one_of(
    st.binary(max_size=2048),
    st.dictionaries(st.sampled_from(["video_id", "data"]), st.binary(max_size=64), max_size=2),
)
payloads = st.one_of(*[text_payloads] * 19, binary_payloads)


@dataclass(frozen=True)
class Event:
    name: str
    args: tuple[Any, ...]
    how: str  # "call": wait for the ack; "emit": none asked; "drop": disconnect before it


events = st.builds(
    Event,
    name=st.one_of(st.sampled_from(KNOWN), st.sampled_from(RESERVED), any_text),
    args=st.one_of(st.tuples(payloads), st.tuples(), st.tuples(payloads, payloads)),
    how=st.sampled_from(["call"] * 8 + ["emit", "drop"]),
)


@dataclass
class Fuzz:
    base_url: str
    room: str
    server: Any
    clients: list[socketio.AsyncClient] = field(default_factory=list)
    sent: int = 0
    errors: list[logging.LogRecord] = field(default_factory=list)

    async def client(self, index: int) -> socketio.AsyncClient:
        """Client ``index``, connected again (as a new client) if it was disconnected."""
        if index < len(self.clients) and self.clients[index].connected:
            return self.clients[index]
        client = socketio.AsyncClient(reconnection=False)
        if index < len(self.clients):
            self.clients[index] = client
        else:
            self.clients.append(client)
        await client.connect(
            self.base_url,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            auth={"room": self.room, "name": f"fuzz{index}"},
            wait_timeout=5,
        )
        return client


class ErrorLog(logging.Handler):
    """The server's errors (the test's own clients log one when a connection they are
    writing to is closed under them: that is the server refusing what they sent)."""

    CLIENTS = ("engineio.client", "socketio.client")

    def __init__(self, found: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.found = found

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(self.CLIENTS):
            self.found.append(record)


@pytest.fixture
async def fuzz(start_server: ServerFactory) -> AsyncIterator[Fuzz]:
    server = await start_server(chat_rate_limit="1000/second")
    # The heartbeat timer holds a closed connection (~3 KB) until its next PING was due, one
    # interval (25 s) at most; the run closes hundreds (binary data, oversize payloads). With
    # a 1 s interval those are gone by the time memory is measured, so what the check sees
    # is what stays.
    server.app[SOCKETIO].eio.ping_interval = 1.0
    base_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.post(f"{base_url}/api/rooms") as response:
        room = (await response.json())["id"]
    state = Fuzz(base_url, room, server)
    handler = ErrorLog(state.errors)
    logging.getLogger().addHandler(handler)
    tracemalloc.start()
    try:
        await state.client(0)  # warm up: the first connection builds what all later share
        for client in state.clients:
            await client.disconnect()
        await asyncio.sleep(0.2)
        gc.collect()
        baseline = server_memory()
        yield state
        for client in state.clients:
            if client.connected:
                await client.disconnect()
        registry = server.app[REGISTRY]
        async with asyncio.timeout(10):
            while len(registry.members):  # noqa: ASYNC110 (no event to wait on)
                await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)  # the last MEMBERS windows close, rate windows expire
        gc.collect()
        after = server_memory()
        assert await server.app[WRITE_BEHIND].flush(10), "a room's accepted state is not saved"
        saved = await server.app[STORE].rooms.load(room)
        live = registry.peek(room)
        assert saved is not None
        assert live is not None
        assert (saved.revision, saved.state.to_wire()) == (live.revision, live.state.to_wire())
    finally:
        tracemalloc.stop()
        logging.getLogger().removeHandler(handler)
    assert state.sent >= BATCHES * PER_BATCH
    assert state.errors == [], [r.getMessage() for r in state.errors][:5]
    # What the run may leave behind: the room's chat history (200 messages at most), its
    # state, the event tally, caches. Not a copy of every event or connection.
    grown = {line: size - baseline.get(line, 0) for line, size in after.items()}
    grown.update({line: -size for line, size in baseline.items() if line not in after})
    total = sum(grown.values())
    biggest = sorted(grown.items(), key=lambda item: -item[1])[:8]
    assert total < 1024 * 1024, [f"{line}: {size:+} B" for line, size in biggest]


# Memory the server holds: what was allocated in its code and its libraries' (the test's own
# allocations, and hypothesis', are left out).
SERVER_CODE = ("*/watchparty/*", "*/socketio/*", "*/engineio/*", "*/aiohttp/*", "*/limits/*")


def server_memory() -> dict[tracemalloc.Traceback, int]:
    """Bytes held per line of server code. Grouping by line first and filtering the groups
    is one pass over the traces; ``Snapshot.filter_traces`` matches every trace against every
    pattern, which took minutes after a 10,000-event run on a slow machine."""
    stats = tracemalloc.take_snapshot().statistics("lineno")
    return {
        stat.traceback: stat.size
        for stat in stats
        if any(fnmatch.fnmatch(stat.traceback[0].filename, pattern) for pattern in SERVER_CODE)
    }


# A Socket.IO event packet's own bytes around its JSON: "42/rooms,<ack id>".
HEADER = 64


def packet_size(event: Event) -> int:
    """About the size of the event's packet as python-socketio encodes it (compact JSON,
    binary attachments replaced by placeholders and sent apart)."""

    def placeholder(value: Any) -> Any:
        return {"_placeholder": True, "num": 0}

    return len(json.dumps([event.name, *event.args], separators=(",", ":"), default=placeholder))


def binary(value: Any) -> bool:
    """Whether python-socketio sends this as binary attachments."""
    if isinstance(value, bytes):
        return True
    if isinstance(value, dict):
        return any(binary(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(binary(v) for v in value)
    return False


def check_ack(event: Event, ack: Any) -> None:
    assert isinstance(ack, dict), (event.name, ack)
    assert isinstance(ack.get("ok"), bool), (event.name, ack)
    if not ack["ok"]:
        error = ack["error"]
        assert isinstance(error["code"], str), ack
        assert isinstance(error["message"], str), ack
        assert len(error["message"]) < 300, ack  # no input echoed back


async def check_room(fuzz: Fuzz) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fuzz.base_url}/api/rooms/{fuzz.room}") as response,
    ):
        assert response.status == 200
        body = await response.json()
    state = body["state"]
    assert isinstance(state["version"], int)
    assert state["version"] >= 0
    assert math.isfinite(state["position"])
    assert 0 <= state["position"] <= 1_000_000
    assert not (state["playing"] and state["waiting"])
    assert state["playing"] is False or state["video_id"] is not None
    ids = [item["id"] for item in state["queue"]]
    assert len(ids) == len(set(ids))
    assert len(ids) <= 200


# tracemalloc slows every allocation in the process: 90 s here, nearer 120 s on slower CI.
@pytest.mark.timeout(600)
@settings(
    max_examples=BATCHES,
    deadline=None,
    derandomize=True,  # the same 10,000 events on every run (and CI)
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # one server for all batches, on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(batch=st.lists(events, min_size=PER_BATCH, max_size=PER_BATCH))
async def test_random_events_break_nothing(fuzz: Fuzz, batch: list[Event]) -> None:
    for index, event in enumerate(batch):
        client = await fuzz.client(index % 3)
        # python-socketio sends a tuple as that many arguments, and None as none.
        data = event.args[0] if len(event.args) == 1 else event.args or None
        fuzz.sent += 1
        size = packet_size(event)
        try:
            if binary(event.args):
                # The protocol has no binary payloads: the server closes that connection.
                await client.emit(event.name, data, namespace=NAMESPACE)
                async with asyncio.timeout(5):
                    while client.connected:  # noqa: ASYNC110 (the client offers no event)
                        await asyncio.sleep(0.01)
            elif size > MAX_PAYLOAD - HEADER:
                # Beyond the cap (all its payloads together): the server closes the connection
                # and answers nothing. Within a header's length of it, either may happen.
                await client.emit(event.name, data, namespace=NAMESPACE)
                try:
                    async with asyncio.timeout(5):
                        while client.connected:  # noqa: ASYNC110 (the client offers no event)
                            await asyncio.sleep(0.01)
                except TimeoutError:
                    assert size <= MAX_PAYLOAD + HEADER, (event.name, size)
            elif event.how == "call":
                ack = await client.call(event.name, data, namespace=NAMESPACE, timeout=10)
                check_ack(event, ack)
            elif event.how == "emit":
                await client.emit(event.name, data, namespace=NAMESPACE)
            else:
                await client.emit(event.name, data, namespace=NAMESPACE, callback=lambda *a: None)
                await client.disconnect()
        except (socketio.exceptions.BadNamespaceError, socketio.exceptions.DisconnectedError):
            pass  # the server closed a connection that sent too much: it connects again
        except socketio.exceptions.TimeoutError:
            # Only an event python-socketio itself swallows may go unanswered.
            assert event.name in RESERVED, event
    await check_room(fuzz)


async def raw_socket(http: aiohttp.ClientSession, base_url: str, room: str) -> Any:
    """A websocket that speaks Engine.IO v4 / Socket.IO v5 by hand, so it can send what no
    client library would encode."""
    ws = await http.ws_connect(f"{base_url}/socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str()).startswith("0")
    await ws.send_str(f"40{NAMESPACE}," + json.dumps({"room": room, "name": "raw"}))
    while not (await ws.receive_str()).startswith(f"40{NAMESPACE}"):
        pass
    return ws


@pytest.mark.parametrize(
    ("frame", "closed"),
    [
        ("[" * 100_000 + "]" * 100_000, True),  # deeper than any JSON parser recurses
        ('["PLAY",' + '{"a":' * 30_000 + "1" + "}" * 30_000 + "]", True),  # under the cap
        ('["PLAY"', True),  # cut short
        ("12", True),  # not an array
        ('[null,{"x":1}]', True),  # no event name
        ('["PLAY",{"_placeholder":true,"num":7}]', False),  # parses: just a bad payload
    ],
    ids=["deep-array", "deep-object", "truncated", "number", "no-name", "placeholder"],
)
async def test_malformed_frames_close_that_connection_only(
    start_server: ServerFactory, frame: str, closed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """A packet that does not parse closes its connection (as Node's socket.io does), with
    no error logged; everyone else in the room goes on."""
    server = await start_server()
    base_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}/api/rooms") as response:
            room = (await response.json())["id"]
        ann = socketio.AsyncClient(reconnection=False)
        await ann.connect(
            base_url, namespaces=[NAMESPACE], auth={"room": room, "name": "ann"}, wait_timeout=5
        )
        try:
            with caplog.at_level(logging.INFO):
                ws = await raw_socket(http, base_url, room)
                await ws.send_str(f"42{NAMESPACE},1{frame}")
                async with asyncio.timeout(5):
                    while True:
                        message = await ws.receive()
                        # Engine.IO's CLOSE packet ("1"): the client is to close the socket.
                        if message.data == "1" or message.type in (
                            aiohttp.WSMsgType.CLOSE,
                            aiohttp.WSMsgType.CLOSED,
                        ):
                            assert closed, frame[:40]
                            break
                        if str(message.data).startswith(f"43{NAMESPACE},1"):  # its ack
                            assert not closed, frame[:40]
                            ack = json.loads(message.data.split(",", 1)[1][1:])[0]
                            assert ack["error"]["code"] == "invalid_payload"
                            break
                ack = await ann.call("TIME", {"client_time": 1.0}, namespace=NAMESPACE, timeout=5)
                assert ack["ok"]
                seek = await ann.call("SEEK", {"timestamp": 1.0}, namespace=NAMESPACE, timeout=5)
                assert seek["ok"]
            await ws.close()
        finally:
            await ann.disconnect()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    said = [r.getMessage() for r in caplog.records if "does not parse" in r.getMessage()]
    assert len(said) == (1 if closed else 0)
