"""Which addresses the server may ask on a guest's behalf (watchparty.search.guard)."""

from __future__ import annotations

import pytest

from watchparty.errors import ApiError
from watchparty.search.guard import PublicResolver, check_literal, is_public

PRIVATE = [
    "127.0.0.1",
    "127.255.0.9",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata services
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "::ffff:127.0.0.1",  # IPv4-mapped: its IPv4 counts
    "::ffff:10.0.0.1",
    "ff02::1",
    "not an address",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are(address: str) -> None:
    assert is_public(address)


def test_an_address_written_as_such_is_checked_unless_allowed() -> None:
    with pytest.raises(ApiError) as refused:
        check_literal(frozenset(), "10.0.0.7", 443)
    assert (refused.value.status, refused.value.code) == (400, "private_address")
    with pytest.raises(ApiError):
        check_literal(frozenset(), "[::1]", 80)
    check_literal(frozenset({"10.0.0.7:8443"}), "10.0.0.7", 8443)
    check_literal(frozenset({"10.0.0.7"}), "10.0.0.7", 1)
    check_literal(frozenset(), "8.8.8.8", 443)
    check_literal(frozenset(), "peertube.example", 443)  # a name: the resolver checks it


async def test_the_resolver_keeps_only_public_addresses() -> None:
    resolver = PublicResolver(frozenset({"localhost:8080"}))
    try:
        with pytest.raises(ApiError) as refused:
            await resolver.resolve("localhost", 80)
        assert refused.value.code == "private_address"
        allowed = await resolver.resolve("localhost", 8080)
        assert {found["host"] for found in allowed} <= {"127.0.0.1", "::1"}
        assert allowed
    finally:
        await resolver.close()
