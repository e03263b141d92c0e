"""The Engine.IO v4 / Socket.IO v5 protocol, checked against watchparty's own Socket.IO stack
and against plain python-socketio, each configured as the protocol's conformance checks
expect (tests/conformance_server.py).

The checks follow the protocol as socketio/socket.io-protocol documents it, written here as
raw websocket and HTTP exchanges: that repository's test suite is on no package registry
this project installs from, so it is not vendored (docs/decisions/001-protocol-checks.md).
Each check runs several times on each stack: watchparty's must pass every check plain
python-socketio passes, every time (a check that passes only sometimes is a failure).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiohttp.web import Application

from tests.conformance_server import MAX_PAYLOAD, PING_INTERVAL, PING_TIMEOUT, conformance_app

RUNS = 3
# Where python-socketio 5.18 / python-engineio 4.15 themselves depart from the documented
# protocol (docs/decisions/001-protocol-checks.md has the upstream reports). If the library
# fixes one, this test fails until it is taken off the list.
LIBRARY_DEVIATIONS = {
    "polling_handshake",  # pingInterval 0.3 s is announced as 0 ms (whole seconds only)
    "bad_query_is_400",  # a handshake with no transport is served as polling, not 400
    "connect_main_namespace",  # an event emitted in the connect handler is sent before
    "connect_custom_namespace",  # ... the CONNECT packet that admits the socket
}
Check = Callable[[aiohttp.ClientSession, str], Awaitable[bool]]
CHECKS: dict[str, Check] = {}


def check(function: Check) -> Check:
    CHECKS[function.__name__] = function
    return function


async def receive(ws: aiohttp.ClientWebSocketResponse, within: float = 2.0) -> Any:
    """The next message's data, "closed" if the socket closed, or "timeout"."""
    try:
        message = await asyncio.wait_for(ws.receive(), within)
    except TimeoutError:
        return "timeout"
    if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
        return "closed"
    return message.data


async def closes(ws: aiohttp.ClientWebSocketResponse, within: float = 2.0) -> bool:
    """Whether the server closes the socket (or sends Engine.IO CLOSE) within the time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (left := deadline - loop.time()) > 0:
        data = await receive(ws, left)
        if data in ("closed", "1"):
            return True
        if data == "timeout":
            return False
    return False


async def opened(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket")
    assert str(await receive(ws)).startswith("0")  # the Engine.IO handshake
    return ws


async def connected(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientWebSocketResponse:
    """A websocket connected to the main namespace, its auth event read."""
    ws = await opened(http, url)
    await ws.send_str("40")
    await receive(ws)  # 40{"sid"}
    await receive(ws)  # 42["auth",{}]
    return ws


async def next_non_ping(ws: aiohttp.ClientWebSocketResponse) -> Any:
    while (data := await receive(ws)) == "2":
        pass
    return data


@check
async def polling_handshake(http: aiohttp.ClientSession, url: str) -> bool:
    async with http.get(f"{url}/socket.io/?EIO=4&transport=polling") as response:
        text = await response.text()
        if response.status != 200 or not text.startswith("0"):
            return False
    value = json.loads(text[1:])
    return bool(
        set(value) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
        and value["upgrades"] == ["websocket"]
        and value["pingInterval"] == PING_INTERVAL * 1000
        and value["pingTimeout"] == PING_TIMEOUT * 1000
        and value["maxPayload"] == MAX_PAYLOAD
    )


@check
async def bad_query_is_400(http: aiohttp.ClientSession, url: str) -> bool:
    statuses = []
    for query in ("transport=polling", "EIO=abc&transport=polling", "EIO=4", "EIO=4&transport=x"):
        async with http.get(f"{url}/socket.io/?{query}") as response:
            statuses.append(response.status)
    return statuses == [400] * 4


@check
async def heartbeat_and_timeout(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await opened(http, url)
    if await receive(ws) != "2":
        return False
    await ws.send_str("3")
    if await receive(ws) != "2":
        return False
    # No pong this time: closed within the interval and the timeout (and some slack).
    return await closes(ws, PING_INTERVAL + PING_TIMEOUT + 1.0)


@check
async def upgrade_from_polling(http: aiohttp.ClientSession, url: str) -> bool:
    async with http.get(f"{url}/socket.io/?EIO=4&transport=polling") as response:
        sid = json.loads((await response.text())[1:])["sid"]
    ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket&sid={sid}")
    await ws.send_str("2probe")
    if await receive(ws) != "3probe":
        return False
    await ws.send_str("5")
    await ws.send_str("40")
    # CONNECT and auth in any order (python-socketio's, below), a NOOP ("6") perhaps first.
    replies = [await next_non_ping(ws) for _ in range(3)]
    await ws.close()
    return any(str(reply).startswith("40") for reply in replies)


@check
async def connect_main_namespace(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await opened(http, url)
    await ws.send_str('40{"token":"123"}')
    handshake = await receive(ws)
    auth = await receive(ws)
    await ws.close()
    return bool(
        str(handshake).startswith("40")
        and set(json.loads(handshake[2:])) == {"sid"}
        and auth == '42["auth",{"token":"123"}]'
    )


@check
async def connect_custom_namespace(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await opened(http, url)
    await ws.send_str('40/custom,{"token":"abc"}')
    handshake = await receive(ws)
    auth = await receive(ws)
    await ws.close()
    return bool(
        str(handshake).startswith("40/custom,")
        and set(json.loads(handshake[10:])) == {"sid"}
        and auth == '42/custom,["auth",{"token":"abc"}]'
    )


@check
async def unknown_namespace_is_refused(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await opened(http, url)
    await ws.send_str("40/random")
    answer = await receive(ws)
    await ws.close()
    return str(answer).startswith("44/random,")


@check
async def invalid_handshake_closes(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await opened(http, url)
    await ws.send_str("4abc")
    return await closes(ws)


@check
async def disconnect_from_main_namespace_keeps_the_heartbeat(
    http: aiohttp.ClientSession, url: str
) -> bool:
    ws = await connected(http, url)
    await ws.send_str("41")
    answer = await receive(ws)
    await ws.close()
    return bool(answer == "2")


@check
async def custom_namespace_in_and_out_then_main(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await connected(http, url)
    if await receive(ws) != "2":
        return False
    await ws.send_str("40/custom")
    await receive(ws)
    await receive(ws)
    await ws.send_str("41/custom")
    await ws.send_str('42["message","message to main namespace"]')
    answer = await next_non_ping(ws)
    await ws.close()
    return bool(answer == '42["message-back","message to main namespace"]')


@check
async def plain_message_is_echoed(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await connected(http, url)
    await ws.send_str('42["message",1,"2",{"3":[true]}]')
    answer = await next_non_ping(ws)
    await ws.close()
    return bool(answer == '42["message-back",1,"2",{"3":[true]}]')


@check
async def message_with_ack(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await connected(http, url)
    await ws.send_str('42456["message-with-ack",1,"2",{"3":[false]}]')
    answer = await next_non_ping(ws)
    await ws.close()
    return bool(answer == '43456[1,"2",{"3":[false]}]')


@check
async def binary_attachments_are_echoed(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await connected(http, url)
    await ws.send_str('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]')
    await ws.send_bytes(bytes([1, 2, 3]))
    await ws.send_bytes(bytes([4, 5, 6]))
    answers = [await next_non_ping(ws) for _ in range(3)]
    await ws.close()
    return answers == [
        '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        bytes([1, 2, 3]),
        bytes([4, 5, 6]),
    ]


@check
async def binary_attachments_with_an_ack(http: aiohttp.ClientSession, url: str) -> bool:
    ws = await connected(http, url)
    await ws.send_str(
        '452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'
    )
    await ws.send_bytes(bytes([1, 2, 3]))
    await ws.send_bytes(bytes([4, 5, 6]))
    answers = [await next_non_ping(ws) for _ in range(3)]
    await ws.close()
    return answers == [
        '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
        bytes([1, 2, 3]),
        bytes([4, 5, 6]),
    ]


@check
async def malformed_packets_close(http: aiohttp.ClientSession, url: str) -> bool:
    results = []
    for packet in ("4abc", "42{}", '42abc["message-with-ack",1,"2",{"3":[false]}]'):
        ws = await connected(http, url)
        await ws.send_str(packet)
        results.append(await closes(ws))
    return all(results)


@pytest.fixture
async def stacks(
    aiohttp_server: Callable[[Application], Awaitable[TestServer]],
) -> dict[str, str]:
    urls = {}
    for name in ("plain", "watchparty"):
        server = await aiohttp_server(conformance_app(ours=name == "watchparty"))
        urls[name] = str(server.make_url("")).rstrip("/")
    return urls


@pytest.mark.timeout(300)
async def test_watchparty_passes_every_check_plain_python_socketio_passes(
    stacks: dict[str, str],
) -> None:
    passed: dict[str, dict[str, list[bool]]] = {name: {} for name in stacks}
    async with aiohttp.ClientSession() as http:
        for name, run in CHECKS.items():
            for _ in range(RUNS):
                for stack, url in stacks.items():
                    passed[stack].setdefault(name, []).append(await run(http, url))
    ours, plain = passed["watchparty"], passed["plain"]
    flaky = [name for name, runs in ours.items() if len(set(runs)) > 1]
    assert flaky == [], f"passes only sometimes on watchparty's stack: {flaky}"
    behind = [name for name in CHECKS if any(plain[name]) and not all(ours[name])]
    assert behind == [], f"plain python-socketio passes, watchparty's stack does not: {behind}"
    # The protocol as documented: every check passes on watchparty's stack.
    # The protocol as documented: every check passes, but where the library itself departs.
    failing = {name for name in CHECKS if not all(ours[name])}
    assert failing == LIBRARY_DEVIATIONS
    assert {name for name in CHECKS if not any(plain[name])} == LIBRARY_DEVIATIONS
