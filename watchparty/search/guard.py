"""Asking a host a guest chose (a PeerTube instance) without reaching inside the network.

A link names any host; the server must not become a way to read this machine's or its
network's private services (server-side request forgery). Every name is resolved here and
only public addresses are connected to, so a name that resolves to a public address for a
check and to 127.0.0.1 for the request (DNS rebinding) still cannot get in; aiohttp does not
resolve an address written as such, so ``check_literal`` covers those. Instances on a private
network that the operator means to use are named in ``allowed`` (host or host:port).
"""

from __future__ import annotations

import ipaddress
import logging
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from watchparty.errors import ApiError

log = logging.getLogger(__name__)


def is_public(address: str) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, shared,
    reserved, multicast or unspecified; an IPv4-mapped IPv6 address counts as its IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refused(host: str) -> ApiError:
    log.info("refused to ask %r: a private address", host)
    return ApiError.of("private_address")


def _allowed(allowed: frozenset[str], host: str, port: int) -> bool:
    host = host.lower().strip("[]")
    return host in allowed or f"{host}:{port}" in allowed


def check_literal(allowed: frozenset[str], host: str, port: int) -> None:
    """Refuse a host written as a private address (aiohttp never resolves those)."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return  # a name: the resolver checks what it resolves to
    if not is_public(host.strip("[]")) and not _allowed(allowed, host, port):
        raise refused(host)


class PublicResolver(AbstractResolver):
    """The default resolver, keeping only public addresses (or any, for an allowed host)."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self._inner = DefaultResolver()
        self._allowed = allowed

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if _allowed(self._allowed, host, port):
            return found
        public = [result for result in found if is_public(result["host"])]
        if not public:
            raise refused(host)
        return public

    async def close(self) -> None:
        await self._inner.close()
