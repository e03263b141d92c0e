"""A shared playback speed (SET_RATE) with real clients: scheduled for one server instant,
bounded, limited to YouTube's own steps where the player is YouTube, kept over a restart."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from tests.conftest import PeerFactory
from tests.integration.test_persistence import get_room, new_room, start, url
from tests.peers import Peer
from watchparty.settings import Settings

FILE = "/media/clip.webm"


def position_at(state: dict[str, Any], t: float) -> float:
    """The protocol's formula, with the rate before ``updated_at`` (``lead_rate``)."""
    if not state["playing"]:
        return float(state["position"])
    if t < state["updated_at"]:
        return float(state["position"] - (state["updated_at"] - t) * state["lead_rate"])
    return float(state["position"] + (t - state["updated_at"]) * state["rate"])


async def until_started(state: dict[str, Any]) -> None:
    """Past a start scheduled ahead (a rate change before it only changes the rate)."""
    await asyncio.sleep(max(0.0, state["updated_at"] - time.time()) + 0.05)


async def test_a_rate_change_before_a_scheduled_start_takes_effect_with_it(
    join: PeerFactory,
) -> None:
    ann = await join("ann")
    assert (await ann.call("CHANGE_VIDEO", {"video_id": FILE}))["ok"]
    playing = (await ann.call("PLAY", {}))["state"]
    state = (await ann.call("SET_RATE", {"rate": 2.0}))["state"]
    assert state["updated_at"] == playing["updated_at"]
    assert (state["position"], state["lead_rate"], state["rate"]) == (0.0, 0.0, 2.0)


async def test_a_rate_change_while_playing_is_scheduled_without_a_jump(
    join: PeerFactory,
) -> None:
    ann, bob = await join("ann"), await join("bob")
    assert (await ann.call("CHANGE_VIDEO", {"video_id": FILE}))["ok"]
    playing = (await ann.call("PLAY", {}))["state"]
    await until_started(playing)
    sent = time.time()
    ack = await ann.call("SET_RATE", {"rate": 1.5})
    assert ack["ok"], ack
    state = ack["state"]
    assert (state["rate"], state["lead_rate"], state["playing"]) == (1.5, 1.0, True)
    assert state["updated_at"] > sent  # everyone switches at one instant still to come
    # The position is continuous: the old rate up to the switch, the new one after it.
    for t in (sent, state["updated_at"] - 0.01, state["updated_at"] + 2):
        before = position_at(playing, min(t, state["updated_at"]))
        expected = before + max(0.0, t - state["updated_at"]) * 1.5
        assert position_at(state, t) == pytest.approx(expected, abs=1e-6)
    told = await bob.next("SET_RATE")
    assert told["state"] == state
    assert told["by"] == "ann"


async def test_rates_out_of_range_or_not_numbers_change_nothing(join: PeerFactory) -> None:
    ann = await join("ann")
    assert (await ann.call("CHANGE_VIDEO", {"video_id": FILE}))["ok"]
    version = (await ann.call("PAUSE", {}))["state"]["version"]
    for bad in (0.1, 2.5, 0, -1, "1.5", None, True, [1.5]):
        ack = await ann.call("SET_RATE", {"rate": bad})
        assert not ack["ok"]
        assert ack["error"]["code"] == "invalid_payload"
        assert ack["error"]["message"].startswith("rate:")
    ack = await ann.call("SET_RATE", {"rate": 1.5, "extra": 1})
    assert ack["error"]["code"] == "invalid_payload"
    ack = await ann.call("SET_RATE", {"rate": 0.25})
    assert ack["ok"]
    assert ack["state"]["version"] == version + 1
    assert ack["state"]["rates"] is None  # a file plays any rate in the range


async def test_youtube_plays_only_its_own_steps(join: PeerFactory) -> None:
    ann = await join("ann")
    assert (await ann.call("SET_RATE", {"rate": 1.3}))["ok"]  # no video yet: any rate
    ack = await ann.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"})
    assert ack["state"]["rate"] == 1.25  # the nearest step YouTube plays
    assert ack["state"]["rates"] == [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    refused = await ann.call("SET_RATE", {"rate": 1.1})
    assert refused["error"]["code"] == "rate_unsupported"
    assert "1.1x" in refused["error"]["message"]
    assert "1.75" in refused["error"]["message"]
    ack = await ann.call("SET_RATE", {"rate": 1.75})
    assert ack["ok"]
    assert ack["state"]["rate"] == 1.75


async def test_a_guest_may_not_change_the_rate_of_an_owners_room(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    from tests.accounts import register

    owner = await register(http, base_url, "rateowner")
    async with http.post(f"{base_url}/api/rooms", json={}, headers=owner.bearer) as r:
        room = (await r.json())["id"]
    async with http.patch(
        f"{base_url}/api/rooms/{room}", json={"control": "owner"}, headers=owner.bearer
    ) as r:
        assert r.status == 200
    guest = await join("guest", room=room)
    ack = await guest.call("SET_RATE", {"rate": 1.5})
    assert ack["error"]["code"] == "forbidden"


async def test_the_rate_survives_a_restart(settings: Settings) -> None:
    first = await start(settings)
    peer = Peer("ann")
    async with aiohttp.ClientSession() as http:
        try:
            room = await new_room(http, url(first))
            await peer.connect(url(first), {"room": room, "name": "ann"})
            assert (await peer.call("CHANGE_VIDEO", {"video_id": FILE}))["ok"]
            await until_started((await peer.call("PLAY", {}))["state"])
            last = (await peer.call("SET_RATE", {"rate": 0.5}))["state"]
        finally:
            await peer.close()
            await first.close()
        second = await start(settings)
        try:
            status, body = await get_room(http, url(second), room)
            assert status == 200
            assert body["state"] == last
            assert (body["state"]["rate"], body["state"]["lead_rate"]) == (0.5, 1.0)
        finally:
            await second.close()
