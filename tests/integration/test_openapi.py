"""The OpenAPI document: served, valid, complete, in step with docs/api.md, and true to what
the server answers (Schemathesis checks every route with generated requests in
test_schemathesis.py; this one checks answers full of state that random requests never make)."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from openapi_spec_validator import validate
from pydantic import BaseModel

from tests.accounts import register
from tests.conftest import PeerFactory
from watchparty.apidoc import Doc, document, documented, undocumented
from watchparty.core.wire import ChatMessageOut, SnapshotOut, StateOut
from watchparty.rooms.answers import Joined, RoomDoor, RoomSummary, RoomView
from watchparty.wiring.api_docs import API_MD, openapi, render
from watchparty.wiring.web import api_routes

TRACK = {"label": "Français", "lang": "fr", "url": "https://subs.example/fr.vtt"}


async def test_the_served_document_is_valid_and_the_generated_one(server: TestServer) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(server.make_url("/api/openapi.json")) as response,
    ):
        assert response.status == 200
        served = await response.json()
    validate(served)  # raises on any fault of the OpenAPI 3.1 document
    assert served == openapi()
    assert served["openapi"] == "3.1.0"
    room = served["paths"]["/api/rooms/{room_id}"]
    assert set(room) == {"get", "patch", "delete"}
    assert room["patch"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UpdateRoom"
    }
    # Each error status lists exactly its catalogue codes.
    forbidden = room["patch"]["responses"]["403"]["content"]["application/json"]["schema"]
    assert forbidden["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"] == [
        "csrf_failed",
        "forbidden",
    ]


def test_every_route_is_documented() -> None:
    api = web.Application()
    api_routes(api)
    assert undocumented(api) == []
    operations = sum(len(methods) for methods in openapi()["paths"].values())
    routes = [r for r in api.router.routes() if r.method not in ("HEAD", "OPTIONS")]
    assert operations == len(routes) >= 36


def test_a_route_without_a_description_is_found() -> None:
    async def secret(request: web.Request) -> web.Response:
        return web.Response()

    @documented(Doc("Known", "meta"))
    async def known(request: web.Request) -> web.Response:
        return web.Response()

    api = web.Application()
    api.router.add_get("/secret", secret)
    api.router.add_get("/known", known)
    assert undocumented(api) == ["GET /secret"]
    assert list(document(api, "0")["paths"]) == ["/known"]
    with pytest.raises(ValueError, match="not in the catalogue"):
        documented(Doc("Bad", "meta", errors=("no_such_code",)))


def test_docs_api_md_is_current() -> None:
    assert API_MD.read_text() == render(openapi()), (
        "docs/api.md is out of date: run python -m watchparty.wiring.api_docs"
    )


def _valid(model: type[BaseModel], data: object) -> None:
    model.model_validate(data)  # extra="forbid": a field the model lacks fails too


async def test_answers_full_of_state_match_their_models(
    server: TestServer, join: PeerFactory
) -> None:
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        owner = await register(http, base, "odile")
        async with http.post(f"{base}/api/rooms", json={"name": "Ciné"}, headers=owner.bearer) as r:
            room_id = (await r.json())["id"]
        ann = await join("ann", auth={"room": room_id, "name": "ann"})
        snapshot = await ann.next("ROOM_STATE")
        _valid(SnapshotOut, {k: v for k, v in snapshot.items() if k != "you"})
        item = {"video_id": "/media/clip.webm", "title": "Clip", "subtitles": [TRACK]}
        for _ in range(2):  # the first becomes the video, the second waits in the queue
            ack = await ann.call("QUEUE_ADD", {"item": item})
            assert ack["ok"], ack
        _valid(StateOut, ack["state"])
        assert (await ann.call("CHAT", {"text": "hello"}))["ok"]
        async with http.get(f"{base}/api/rooms/{room_id}") as r:
            view = await r.json()
        _valid(RoomView, view)
        assert view["state"]["subtitles"][0]["lang"] == "fr"
        assert view["state"]["queue"][0]["subtitles"][0]["lang"] == "fr"
        _valid(ChatMessageOut, view["chat"][0])
        async with http.post(f"{base}/api/rooms/{room_id}/join", json={"name": "bob"}) as r:
            _valid(Joined, await r.json())
        body = {"visibility": "private", "password": "sesame"}
        async with http.patch(f"{base}/api/rooms/{room_id}", json=body, headers=owner.bearer) as r:
            _valid(RoomSummary, await r.json())
        async with http.get(f"{base}/api/rooms/{room_id}") as r:  # closed now: the door
            door = await r.json()
        _valid(RoomDoor, door)
        assert door == {"id": room_id, "name": "Ciné", "visibility": "private", "password": True}
