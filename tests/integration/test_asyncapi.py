"""docs/asyncapi.yaml: generated from the models, in step with them, and true to the server: a
session that sends every client event (real Socket.IO clients) gets acknowledgements and
server events that each validate against their documented model. (The npm AsyncAPI parser
validates the file itself: tests/js/unit/asyncapi.test.mjs.)"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from tests.accounts import register
from tests.conftest import PeerFactory
from tests.peers import Peer
from watchparty.core.errors import ERRORS
from watchparty.core.messages import (
    ACKS,
    CONNECT_ERRORS,
    SERVER_EVENTS,
    ConnectRefused,
    check_ack,
)
from watchparty.wiring.asyncapi import ASYNCAPI_YAML, render

TRACK = {"label": "Deutsch", "lang": "de", "url": "https://subs.example/de.vtt"}


def test_docs_asyncapi_yaml_is_current() -> None:
    assert ASYNCAPI_YAML.read_text() == render(), (
        "docs/asyncapi.yaml is out of date: run python -m watchparty.wiring.asyncapi"
    )


class Session:
    """Calls that check every acknowledgement, and remember which events were sent."""

    def __init__(self) -> None:
        self.sent: set[str] = set()

    async def call(self, peer: Peer, event: str, payload: Any = None) -> Any:
        ack = await peer.call(event, {} if payload is None else payload)
        check_ack(event, ack)
        self.sent.add(event)
        return ack


async def test_a_session_of_every_event_matches_the_models(
    server: TestServer, join: PeerFactory
) -> None:
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        owner, dora = await register(http, base, "olive"), await register(http, base, "dora")
        async with http.post(f"{base}/api/rooms", json={}, headers=owner.bearer) as response:
            room = (await response.json())["id"]
        ann = await join("ann", auth={"room": room, "token": owner.token})
        bob = await join("bob", auth={"room": room, "name": "bob"})
        carl = await join("carl", auth={"room": room, "name": "carl"})
        doris = await join("dora", auth={"room": room, "token": dora.token})
        peers = [ann, bob, carl, doris]
        s = Session()

        ack = await s.call(ann, "CHANGE_VIDEO", {"video_id": "/media/clip.webm"})
        stale = await ann.call("SEEK", {"timestamp": 3, "version": 0})  # refused, with state
        assert stale["error"]["code"] == "stale_version"
        check_ack("SEEK", stale)
        await s.call(ann, "PLAY")
        await s.call(ann, "SEEK", {"timestamp": 1.5})
        await s.call(ann, "SET_RATE", {"rate": 1.5})
        await s.call(ann, "SET_SUBTITLES", {"subtitles": [TRACK]})
        await s.call(ann, "PAUSE")
        items = [{"video_id": "/media/a.webm"}, {"video_id": "/media/b.webm", "subtitles": [TRACK]}]
        ack = await s.call(ann, "UPDATE_QUEUE", {"queue": items})
        first = ack["state"]["queue"][0]["id"]
        ack = await s.call(bob, "QUEUE_ADD", {"item": {"video_id": "dQw4w9WgXcQ"}})
        await s.call(ann, "QUEUE_MOVE", {"id": first, "to": 2})
        await s.call(ann, "QUEUE_REMOVE", {"id": ack["state"]["queue"][-1]["id"]})
        await s.call(carl, "TIME", {"client_time": 12.5, "rtt": 0.04})
        said = await s.call(bob, "CHAT", {"text": "hello"})
        await s.call(carl, "CHAT_HISTORY", {"limit": 10})
        await s.call(ann, "DELETE_CHAT", {"id": said["message"]["id"]})
        await s.call(carl, "REACT", {"emoji": "🎉"})
        await s.call(ann, "SET_QUEUE_MODE", {"mode": "vote"})
        await s.call(bob, "QUEUE_VOTE", {"id": first})
        await s.call(ann, "SET_QUEUE_MODE", {"mode": "manual"})
        await s.call(ann, "SET_CONTROL", {"control": "everyone"})
        video = (await s.call(ann, "CHANGE_VIDEO", {"video_id": "/media/c.webm"}))["state"]
        await s.call(bob, "BUFFERING", {"video_id": video["video_id"]})
        await s.call(bob, "READY", {"video_id": video["video_id"]})
        await s.call(carl, "VOTE_SKIP")
        current = (await s.call(ann, "PLAY"))["state"]["video_id"]
        await s.call(ann, "ENDED", {"video_id": current, "duration": 0.5})
        listed = (await s.call(ann, "MEMBER_LIST"))["members"]
        ids = {member["name"]: member["id"] for member in listed}
        await s.call(ann, "MUTE", {"member_id": ids["carl"], "seconds": 60})
        await s.call(ann, "BAN", {"user_id": dora.id, "reason": "testing"})
        await s.call(ann, "UNBAN", {"user_id": dora.id})
        await s.call(ann, "KICK", {"member_id": ids["bob"], "reason": "bye"})
        async with http.delete(f"{base}/api/rooms/{room}", headers=owner.bearer) as response:
            assert response.status == 204
        await asyncio.wait_for(ann.disconnected.wait(), 5)  # told, then closed

    assert s.sent == set(ACKS), f"not sent: {set(ACKS) - s.sent}"
    heard: set[str] = set()
    for peer in peers:
        for event, payload in peer.drain():
            SERVER_EVENTS[event].model_validate(payload)  # KeyError: an undocumented event
            heard.add(event)
    assert set(SERVER_EVENTS) - heard == {"DEGRADED"}  # only with Redis (test_cluster_faults)


async def test_connect_error_data_matches_its_model(base_url: str) -> None:
    peer = Peer("eve")
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await peer.connect(base_url, {"room": "NoSuchRoom12", "name": "eve"})
    finally:
        await peer.close()
    assert peer.refusal is not None
    ConnectRefused.model_validate(peer.refusal)  # Socket.IO's {message, data}
    assert peer.refusal["data"]["code"] in CONNECT_ERRORS
    assert set(CONNECT_ERRORS) <= set(ERRORS)  # each a catalogue code
