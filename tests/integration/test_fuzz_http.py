"""Fuzzing the REST API's bodies with text from all of Unicode (hypothesis), lone surrogates
included, over real HTTP: no answer is a 500, every refusal is the documented JSON error, and
afterwards everything the room accepted is saved."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.accounts import Account, register
from tests.conftest import ServerFactory
from watchparty.keys import REGISTRY, STORE, WRITE_BEHIND

# A lone surrogate put into ordinary text: st.text leaves surrogates out of any alphabet.
any_text = st.text(max_size=30) | st.builds(
    lambda before, odd, after: before + odd + after,
    st.text(max_size=10),
    st.characters(categories=["Cs"]),
    st.text(max_size=10),
)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(any_text, children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = ["name", "control", "moderators", "skip_threshold", "wait_for_all", "items", "title",
          "video_id", "username", "avatar_url", "email", "password", "shared"]  # fmt: skip
bodies = st.dictionaries(st.sampled_from(FIELDS) | any_text, values, max_size=4)
ROUTES = [
    ("POST", "/api/rooms"),
    ("PATCH", "/api/rooms/{room}"),
    ("POST", "/api/rooms/{room}/join"),
    ("POST", "/api/users/me/playlists"),
    ("PATCH", "/api/users/me"),
    ("POST", "/api/auth/login"),
]


@dataclass
class Target:
    base_url: str
    room: str
    owner: Account
    server: Any


@pytest.fixture
async def target(start_server: ServerFactory) -> Target:
    server = await start_server(room_create_rate_limit="100000/minute")
    base_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        owner = await register(http, base_url, "owner")
        async with http.post(f"{base_url}/api/rooms", json={}, headers=owner.bearer) as response:
            room = (await response.json())["id"]
    return Target(base_url, room, owner, server)


@pytest.mark.timeout(300)
@settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(route=st.sampled_from(ROUTES), body=bodies)
async def test_random_bodies_get_no_500_and_change_nothing_they_should_not(
    target: Target, route: tuple[str, str], body: dict[str, Any]
) -> None:
    method, path = route
    url = target.base_url + path.format(room=target.room)
    # ensure_ascii (json's default) writes a lone surrogate as \\ud800, as a client would.
    data = json.dumps(body)
    headers = {"Content-Type": "application/json", **target.owner.bearer}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, url, data=data, headers=headers) as response,
    ):
        assert response.status < 500, (route, body, await response.text())
        answer = await response.json()
        if response.status >= 400:
            assert set(answer) == {"error"}
            assert isinstance(answer["error"]["code"], str)
    registry = target.server.app[REGISTRY]
    room = registry.peek(target.room)
    assert room is not None
    # Whatever was accepted is saved (a record the database refused would stay pending).
    assert await target.server.app[WRITE_BEHIND].flush(5)
    saved = await target.server.app[STORE].rooms.load(target.room)
    assert saved is not None
    assert saved.info.to_wire() == room.info.to_wire()  # (created_at: BSON keeps ms only)
    assert saved.revision == room.revision
