"""Ending sessions for real (the review's smaller findings): a sign-out ends that session on
the server, only this site's pages may sign a browser out, and a device cookie stops
exempting a browser once the account's sessions were ended."""

from __future__ import annotations

import aiohttp

from tests.accounts import PASSWORD, cookie_session, register
from tests.conftest import ServerFactory
from tests.integration.test_accounts import me, post


async def test_a_plain_sign_out_ends_that_session_on_the_server(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    ann = await register(http, base_url, "ann")
    other = await post(
        http, f"{base_url}/api/auth/login", {"username": "ann", "password": PASSWORD}
    )
    second = other[1]["token"]
    status, _, _ = await post(http, f"{base_url}/api/auth/logout", {}, ann.bearer)
    assert status == 204
    status, body = await me(http, base_url, headers=ann.bearer)
    assert (status, body["error"]["code"]) == (401, "session_revoked")
    # Only that session: the user's other one goes on.
    status, body = await me(http, base_url, headers={"Authorization": f"Bearer {second}"})
    assert status == 200


async def test_another_site_cannot_sign_a_browser_out(base_url: str) -> None:
    async with cookie_session() as browser:
        await register(browser, base_url, "ann")
        status, body, _ = await post(
            browser, f"{base_url}/api/auth/logout", {}, {"Origin": "https://evil.example"}
        )
        assert (status, body["error"]["code"]) == (403, "cross_origin")
        assert (await me(browser, base_url))[0] == 200  # still signed in


async def test_a_device_cookie_ends_with_the_sessions_it_came_with(
    start_server: ServerFactory,
) -> None:
    server = await start_server(login_account_limit="2/minute", login_address_limit="100/minute")
    base_url = str(server.make_url("")).rstrip("/")
    url = f"{base_url}/api/auth/login"
    wrong = {"username": "ann", "password": "wrong password"}
    async with cookie_session() as browser:
        ann = await register(browser, base_url, "ann")
        # Exempt from the account's limit while its device cookie is current ...
        assert [(await post(browser, url, wrong))[0] for _ in range(3)] == [401, 401, 401]
        # ... and no longer once every session of the account was ended.
        body = {"everywhere": True}
        async with aiohttp.ClientSession() as api:
            assert (await post(api, f"{base_url}/api/auth/logout", body, ann.bearer))[0] == 204
        statuses = [(await post(browser, url, wrong))[0] for _ in range(3)]
        assert statuses[-1] == 429, statuses
