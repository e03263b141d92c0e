"""Who a request comes from, for the limits kept per client address.

``X-Forwarded-For`` is read only when the connection comes from a proxy the operator named
(``WATCHPARTY_TRUSTED_PROXIES``), and only as far left as trusted proxies reach: each proxy
appends the address it received from, so walking from the right past the trusted ones finds
the first address no trusted party vouches for, which is the client. Entries further left
came from the client and could say anything. Every ``X-Forwarded-For`` line counts (a proxy
may add its own line beside a forged one). An IPv6 client is keyed by its /64, the block one
subscriber usually holds, so a client cannot step around a limit by changing addresses in it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPV6_CLIENT_PREFIX = 64


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"10.0.0.0/8, 127.0.0.1, fd00::/8"`` as networks; raises ``ValueError`` on a bad one."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]" or "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: Iterable[Network]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_key(address: Address) -> str:
    """The key an address's limits are counted under."""
    if isinstance(address, ipaddress.IPv6Address):
        network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
        return str(network)
    return str(address)


def client_address(request: web.BaseRequest, proxies: tuple[Network, ...]) -> str:
    """The client's address (as a limit key): the connection's peer, or, when that peer is a
    trusted proxy, the first address in ``X-Forwarded-For`` from the right that is not."""
    return address_of(request.remote, request.headers.getall("X-Forwarded-For", ()), proxies)


def address_of(
    remote: str | None, forwarded_for: Iterable[str], proxies: tuple[Network, ...]
) -> str:
    """``client_address`` from a request's peer and its ``X-Forwarded-For`` lines, kept apart
    from the request (an open websocket keeps these, not its whole request)."""
    peer = _address(remote or "")
    if peer is None:
        return "unknown"
    address = peer
    if proxies and _trusted(peer, proxies):
        hops = [part for line in forwarded_for for part in line.split(",")]
        while hops and _trusted(address, proxies):
            previous = _address(hops.pop())
            if previous is None:
                break  # not an address: nothing to the left of it can be believed either
            address = previous
    return client_key(address)
