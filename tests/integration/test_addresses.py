"""Whose address a request counts against: X-Forwarded-For only from named proxies, every
line of it, and IPv6 clients by their /64 (the review's finding 5)."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from tests.conftest import ServerFactory
from watchparty.addresses import client_address, parse_networks

PROXIES = parse_networks("10.0.0.0/8, fd00::/8")


def key(remote: str, *forwarded: str, proxies: str = "10.0.0.0/8, fd00::/8") -> str:
    headers = CIMultiDict(("X-Forwarded-For", line) for line in forwarded)
    request = make_mocked_request("GET", "/", headers=headers)
    request = request.clone(remote=remote)
    return client_address(request, parse_networks(proxies))


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        # Straight from the internet: whatever it says about itself is ignored.
        ("198.51.100.4", ("203.0.113.9",), "198.51.100.4"),
        # Behind one proxy: the proxy's entry (the rightmost) is the client.
        ("10.1.2.3", ("203.0.113.9",), "203.0.113.9"),
        # A forged entry to the left of the proxy's changes nothing.
        ("10.1.2.3", ("1.2.3.4, 203.0.113.9",), "203.0.113.9"),
        # A forged first line beside the proxy's own line: every line is read.
        ("10.1.2.3", ("1.2.3.4", "203.0.113.9"), "203.0.113.9"),
        # Two trusted proxies in a row, then the client.
        ("10.1.2.3", ("203.0.113.9, 10.9.9.9",), "203.0.113.9"),
        # A client that claims to be a trusted proxy does not get past the real one.
        ("10.1.2.3", ("10.0.0.1, 203.0.113.9",), "203.0.113.9"),
        # Garbage where an address should be: the last believable address stands.
        ("10.1.2.3", ("not-an-address",), "10.1.2.3"),
        # IPv6 clients count by their /64; IPv4 in IPv6 is IPv4.
        ("fd00::1", ("2001:db8:1:2:aaaa::1",), "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", (), "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.4", (), "198.51.100.4"),
        ("10.1.2.3", ("[2001:db8::5]:4431",), "2001:db8::/64"),
    ],
)
def test_client_address(remote: str, forwarded: tuple[str, ...], client: str) -> None:
    assert key(remote, *forwarded) == client


def test_no_trusted_proxies_means_the_peer() -> None:
    assert key("10.1.2.3", "203.0.113.9", proxies="") == "10.1.2.3"


async def test_a_forged_first_line_does_not_dodge_a_limit(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    """Over real HTTP: the test client is the proxy (127.0.0.1 trusted) for one client, who
    puts a fresh forged line before the proxy's each time."""
    server = await start_server(
        room_create_rate_limit="2/hour", trusted_proxies=parse_networks("127.0.0.1")
    )
    url = str(server.make_url("/api/rooms"))
    statuses = []
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        headers = [("X-Forwarded-For", forged), ("X-Forwarded-For", "203.0.113.7")]
        async with http.post(url, json={}, headers=CIMultiDict(headers)) as response:
            statuses.append(response.status)
    assert statuses == [201, 201, 429]
