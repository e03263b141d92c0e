"""Sign-in limits that concurrency cannot dodge (the review's finding 4): an attempt is
counted before its password is checked, and bcrypt work is bounded per address and in all."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.accounts import register
from tests.conftest import ServerFactory
from watchparty.addresses import parse_networks


async def attempt(
    http: aiohttp.ClientSession, url: str, forwarded_for: str, password: str = "wrong password"
) -> tuple[int, str]:
    body = {"username": "ann", "password": password}
    async with http.post(url, json=body, headers={"X-Forwarded-For": forwarded_for}) as response:
        return response.status, (await response.json())["error"]["code"]


async def test_concurrent_wrong_passwords_get_no_more_checks_than_the_limit(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await start_server(
        login_account_limit="5/15 minutes",
        login_address_limit="1000/minute",
        bcrypt_rounds=8,  # slow enough that the 20 overlap
        trusted_proxies=parse_networks("127.0.0.1"),
    )
    base_url = str(server.make_url("")).rstrip("/")
    await register(http, base_url, "ann")
    url = f"{base_url}/api/auth/login"
    # Twenty addresses, so the per-address bound on bcrypt work is not what stops them.
    results = await asyncio.gather(*(attempt(http, url, f"203.0.113.{i}") for i in range(20)))
    checked = [r for r in results if r == (401, "invalid_credentials")]
    refused = [r for r in results if r == (429, "rate_limited")]
    assert len(checked) == 5, results
    assert len(refused) == 15, results


async def test_one_address_gets_only_so_many_password_checks_at_once(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await start_server(
        login_account_limit="1000/minute", login_address_limit="1000/minute", bcrypt_rounds=10
    )
    base_url = str(server.make_url("")).rstrip("/")
    await register(http, base_url, "ann")
    url = f"{base_url}/api/auth/login"
    async with http.post(url, json={"username": "ann", "password": "wrong password"}) as response:
        assert response.status == 401  # alone, it is checked
    results = await asyncio.gather(*(attempt(http, url, "ignored") for _ in range(8)))
    busy = [r for r in results if r == (429, "rate_limited")]
    assert busy, results  # beyond two at once from one address: refused, not queued
    assert len([r for r in results if r[0] == 401]) >= 2
