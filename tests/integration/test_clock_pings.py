"""Clock pings answered by the websocket that read them (realtime.clock_pings), and every
other form by the libraries: the answers are the same either way."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from tests.conftest import ServerFactory
from tests.integration.test_fuzz import raw_socket
from tests.integration.test_hostile_packets import polling_join
from tests.peers import NAMESPACE
from watchparty.keys import SOCKETIO

ROOMS = NAMESPACE
ORJSON = importlib.util.find_spec("orjson") is not None
# (the message after "42", the ack id python-socketio reads from it, whether it is the usual
# form a websocket answers itself)
FORMS = [
    (f'{ROOMS},1["TIME",{{"client_time":1.5}}]', 1, True),
    (f'{ROOMS},2["TIME",{{"client_time":1733600000,"rtt":0.05}}]', 2, True),
    (f'{ROOMS},3["TIME",{{"client_time":1.5,"rtt":null}}]', 3, True),
    (f'{ROOMS},007["TIME",{{"client_time":7}}]', 7, True),
    (f'{ROOMS},4["TIME",{{"client_time":true}}]', 4, False),
    (f'{ROOMS},5["TIME",{{"client_time":1,"rtt":11}}]', 5, False),
    (f'{ROOMS},6["TIME",{{"client_time":1,"x":"\\ud800"}}]', 6, False),
    (f'{ROOMS},8["TIME",[1]]', 8, False),
    (f'{ROOMS},9["TIME",NaN]', 9, False),
    # orjson reads an integer wider than 64 bits as a float, which the quick reader takes: the
    # same value the model makes of the integer that the libraries read.
    (f'{ROOMS},16["TIME",{{"client_time":18446744073709551617}}]', 16, ORJSON),
    (f'{ROOMS},17["TIME",{{"client_time":1e400}}]', 17, False),
    (f'{ROOMS},18["TIME",{{"rtt":0.1,"client_time":-0.0}}]', 18, True),
    (f'{ROOMS},10["TIME"]', 10, False),
    (f'{ROOMS},11["TIME",{{}},{{}}]', 11, False),
    (f'{ROOMS},\u0661\u0662["TIME",{{"client_time":1}}]', 12, False),  # Arabic-Indic digits
    (f'{ROOMS}?x=1,13["TIME",{{"client_time":1}}]', 13, False),
    (f'{ROOMS},1234567890123456["TIME",{{"client_time":1}}]', 1234567890123456, False),
    (f'{ROOMS},15["TIME" ,{{"client_time":1}}]', 15, False),
]


def comparable(ack: Any) -> Any:
    """An acknowledgement without the server's clock reading, which differs by call."""
    assert isinstance(ack, dict), ack
    return {key: value for key, value in ack.items() if key != "server_time"}


def ack_of(packet: str, ack_id: int) -> Any:
    prefix = f"43{ROOMS},{ack_id}"
    assert packet.startswith(prefix), (packet, prefix)
    return json.loads(packet[len(prefix) :])[0]


async def over_websocket(ws: Any, message: str, ack_id: int) -> Any:
    await ws.send_str("42" + message)
    while True:
        packet = await ws.receive_str()
        if packet.startswith("43"):
            return ack_of(packet, ack_id)


async def over_polling(http: aiohttp.ClientSession, url: str, message: str, ack_id: int) -> Any:
    async with http.post(url, data=("42" + message).encode()) as response:
        assert response.status == 200
    while True:
        async with http.get(url) as response:
            packets = (await response.text()).split("\x1e")
        for packet in packets:
            if packet.startswith("43"):
                return ack_of(packet, ack_id)


async def test_every_form_is_answered_as_the_libraries_answer_it(
    server: TestServer, room_id: str
) -> None:
    """Each form, sent on a websocket (answered by it when usual) and on long-polling (always
    by the libraries): the same acknowledgement, and the usual forms never reach
    python-socketio on the websocket while every other form does."""
    sio = server.app[SOCKETIO]
    base_url = str(server.make_url("")).rstrip("/")
    handled: list[str] = []
    handlers = sio.eio.handlers  # python-engineio's, holding python-socketio's entry point
    handle = handlers["message"]

    async def counting(eio_sid: str, data: Any) -> None:
        handled.append(data)
        await handle(eio_sid, data)

    async with aiohttp.ClientSession() as http:
        ws = await raw_socket(http, base_url, room_id)
        _, url = await polling_join(http, base_url, room_id)
        handlers["message"] = counting
        try:
            for message, ack_id, usual in FORMS:
                handled.clear()
                direct = await over_websocket(ws, message, ack_id)
                assert handled == ([] if usual else ["2" + message]), message
                polled = await over_polling(http, url, message, ack_id)
                assert comparable(direct) == comparable(polled), message
                assert ("server_time" in direct) == direct["ok"] == ("server_time" in polled)
        finally:
            handlers["message"] = handle
        await ws.close()


async def test_usual_pings_are_answered_counted_and_limited(start_server: ServerFactory) -> None:
    """The rate limit, the room's round-trip estimate and /metrics' count see a ping answered
    by the websocket as they see any other."""
    server = await start_server(time_rate_limit="3/10 seconds")
    sio = server.app[SOCKETIO]
    namespace = sio.namespace_handlers[ROOMS]
    base_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base_url}/api/rooms", json={}) as response:
            room = (await response.json())["id"]
        ws = await raw_socket(http, base_url, room)
        answers = [
            await over_websocket(ws, f'{ROOMS},{n}["TIME",{{"client_time":{n},"rtt":0.25}}]', n)
            for n in range(1, 5)
        ]
        assert [a["ok"] for a in answers] == [True, True, True, False]
        assert answers[0]["client_time"] == 1.0
        assert isinstance(answers[0]["server_time"], float)
        assert answers[3]["error"]["code"] == "rate_limited"
        assert namespace.events["TIME", "ok"] == 3
        assert namespace.events["TIME", "rate_limited"] == 1
        located = list(namespace._registry.members._by_sid.values())
        assert [member.rtt for _, member in located] == [0.25]
        await ws.close()


async def test_a_ping_from_a_socket_not_in_the_namespace_is_not_answered(
    server: TestServer, room_id: str
) -> None:
    """Before it joins ``/rooms``, a connection's ping there gets nothing, as the library
    drops it: nothing comes back before the join that follows is answered."""
    base_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{base_url}/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive_str()).startswith("0")
        await ws.send_str(f'42{ROOMS},1["TIME",{{"client_time":1}}]')
        await ws.send_str(f"40{ROOMS}," + json.dumps({"room": room_id, "name": "late"}))
        before = []  # the join's ROOM_STATE comes ahead of its CONNECT
        while not (packet := await ws.receive_str(timeout=5)).startswith(f"40{ROOMS},"):
            before.append(packet)
        assert not any(packet.startswith("43") for packet in before), before
        answer = await over_websocket(ws, f'{ROOMS},2["TIME",{{"client_time":2}}]', 2)
        assert answer["client_time"] == 2.0
        await ws.close()
