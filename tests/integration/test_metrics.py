"""/metrics: Prometheus' text format, read back with prometheus-client's own parser."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ServerFactory
from tests.peers import Peer

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(http: aiohttp.ClientSession, base_url: str, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.get(f"{base_url}/metrics", headers=headers) as response:
        assert response.status == 200, await response.text()
        assert response.content_type == "text/plain"
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_count_what_happens(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await start_server(metrics_token="a-long-scrape-token", event_rate_limit="4/minute")
    base_url = str(server.make_url("")).rstrip("/")
    # The token is required when set; a wrong one is refused the same way.
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        async with http.get(f"{base_url}/metrics", headers=headers) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert "a-long-scrape-token" not in await response.text()

    async with http.post(f"{base_url}/api/rooms", json={}) as response:
        room = (await response.json())["id"]
    ann, bob = Peer("ann"), Peer("bob")
    try:
        await ann.connect(base_url, {"room": room, "name": "ann"})
        await bob.connect(base_url, {"room": room, "name": "bob"})
        assert (await ann.call("PLAY"))["error"]["code"] == "no_video"
        assert (await ann.call("CHANGE_VIDEO", {"video_id": "metrics----"}))["ok"]
        assert (await ann.call("NO_SUCH_THING"))["error"]["code"] == "unknown_event"
        assert (await ann.call("PAUSE"))["ok"]
        assert (await ann.call("PAUSE"))["error"]["code"] == "rate_limited"  # the 5th event
        samples = await scrape(http, base_url, "a-long-scrape-token")
    finally:
        await ann.close()
        await bob.close()

    def events(event: str, result: str) -> float:
        return samples[("watchparty_events_total", (("event", event), ("result", result)))]

    assert samples[("watchparty_connected_clients", ())] == 2
    assert samples[("watchparty_live_rooms", ())] == 1
    assert events("PLAY", "no_video") == 1
    assert events("CHANGE_VIDEO", "ok") == 1
    assert events("PAUSE", "ok") == 1
    assert events("PAUSE", "rate_limited") == 1
    assert events("unknown", "unknown_event") == 1  # not the name a client made up
    assert samples[("watchparty_rate_limited_total", (("limit", "events"),))] == 1
    assert samples[("watchparty_rate_limited_total", (("limit", "search"),))] == 0
    # Room broadcasts (the video change and the pause reached bob; MEMBERS too) were timed.
    assert samples[("watchparty_broadcast_seconds_count", ())] >= 2
    delivered = samples[("watchparty_direct_deliveries_total", ())]
    assert delivered >= 2  # bob's copies
    assert 1 <= samples[("watchparty_direct_writes_total", ())] <= delivered
    assert samples[("watchparty_slow_connections_closed_total", ())] == 0
    assert samples[("watchparty_room_writes_retries_total", ())] == 0
    assert samples[("watchparty_chat_writes_pending", ())] == 0
    # The process's own figures, which tell several workers' scrapes apart.
    assert samples[("process_resident_memory_bytes", ())] > 0
    assert samples[("process_start_time_seconds", ())] > 0


async def test_metrics_are_open_without_a_token(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await start_server()
    samples = await scrape(http, str(server.make_url("")).rstrip("/"))
    assert samples[("watchparty_live_rooms", ())] == 0
