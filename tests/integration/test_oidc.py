"""Signing in with an OpenID Connect provider: the real app and a local provider stand-in
(tests/fake_oidc.py) that signs its ID tokens with its own RSA key, driven by a client that
follows redirects and keeps cookies like a browser."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from tests.accounts import PASSWORD, cookie_session, register
from tests.conftest import ServerFactory
from tests.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeOidc


@pytest.fixture
async def provider(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> FakeOidc:
    fake = FakeOidc()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    return fake


@pytest.fixture
async def base_url(start_server: ServerFactory, provider: FakeOidc) -> str:
    server = await start_server(
        oidc_issuer=provider.base_url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_name="Example ID",
    )
    return str(server.make_url("")).rstrip("/")


async def sign_in(
    browser: aiohttp.ClientSession, base_url: str, next_: str = ""
) -> aiohttp.ClientResponse:
    """Press *Sign in with ...*: through the provider and back, redirects followed."""
    query = f"?next={next_}" if next_ else ""
    async with browser.get(f"{base_url}/api/auth/oidc{query}") as response:
        await response.read()
        return response


async def me(browser: aiohttp.ClientSession, base_url: str) -> Any:
    async with browser.get(f"{base_url}/api/users/me") as response:
        return response.status, await response.json()


async def test_a_first_sign_in_makes_an_account_and_the_next_finds_it(
    base_url: str, provider: FakeOidc
) -> None:
    async with cookie_session() as browser:
        landed = await sign_in(browser, base_url, next_="/rooms")
        assert (landed.status, landed.url.path) == (200, "/rooms")
        status, user = await me(browser, base_url)
    assert status == 200
    assert (user["username"], user["email"]) == ("robin", "robin@example.org")
    async with cookie_session() as browser:
        await sign_in(browser, base_url)
        assert (await me(browser, base_url))[1]["id"] == user["id"]
    # A second person whose name is taken gets another one.
    provider.person.subject, provider.person.email = "provider-user-2", "robin2@example.org"
    async with cookie_session() as browser:
        await sign_in(browser, base_url)
        status, other = await me(browser, base_url)
    assert other["username"].startswith("robin")
    assert other["id"] != user["id"]


async def test_an_existing_email_is_linked_only_with_that_accounts_password(
    base_url: str, provider: FakeOidc
) -> None:
    async with aiohttp.ClientSession() as http:
        ann = await register(http, base_url, "ann")
    provider.person.email = "ann@example.org"
    async with cookie_session() as browser:
        landed = await sign_in(browser, base_url)
        assert (landed.url.path, landed.url.query.get("oidc")) == ("/", "link")
        assert (await me(browser, base_url))[0] == 401  # not signed in yet
        async with browser.get(f"{base_url}/api/auth/oidc/link") as response:
            assert await response.json() == {"email": "ann@example.org", "provider": "Example ID"}
        link = f"{base_url}/api/auth/oidc/link"
        async with browser.post(link, json={"password": "not it at all"}) as response:
            assert (response.status, (await response.json())["error"]["code"]) == (
                401,
                "invalid_credentials",
            )
        assert (await me(browser, base_url))[0] == 401
        async with browser.post(link, json={"password": PASSWORD}) as response:
            assert response.status == 200
        assert (await me(browser, base_url))[1]["id"] == ann.id
    async with cookie_session() as browser:  # linked: straight in from now on
        landed = await sign_in(browser, base_url)
        assert landed.url.query.get("oidc") is None
        assert (await me(browser, base_url))[1]["id"] == ann.id
    async with (  # nothing pending: nothing to link
        cookie_session() as browser,
        browser.post(link, json={"password": PASSWORD}) as response,
    ):
        assert (await response.json())["error"]["code"] == "oidc_state"


async def test_linking_is_a_sign_in_another_site_cannot_make_nor_guess_at(
    base_url: str, provider: FakeOidc
) -> None:
    async with aiohttp.ClientSession() as http:
        await register(http, base_url, "ann")
    provider.person.email = "ann@example.org"
    link = f"{base_url}/api/auth/oidc/link"
    async with cookie_session() as browser:
        await sign_in(browser, base_url)
        evil = {"Origin": "https://evil.example"}
        async with browser.post(link, json={"password": PASSWORD}, headers=evil) as response:
            assert (response.status, (await response.json())["error"]["code"]) == (
                403,
                "cross_origin",
            )
        codes = []
        for _ in range(6):  # the account's failed sign-ins: 5 in 15 minutes by default
            async with browser.post(link, json={"password": "a guess"}) as response:
                codes.append((await response.json())["error"]["code"])
        assert codes == ["invalid_credentials"] * 5 + ["rate_limited"]
        async with browser.post(link, json={"password": PASSWORD}) as response:
            assert response.status == 429  # the right one too, until the window passes
        assert (await me(browser, base_url))[0] == 401


@pytest.mark.parametrize(
    ("tamper", "code", "logged"),
    [
        ("nonce", "oidc_invalid_token", "nonce is not this sign-in's"),
        ("expired", "oidc_invalid_token", "has expired"),
        ("issuer", "oidc_invalid_token", "another issuer's"),
        ("key", "oidc_invalid_token", "Signature verification failed"),
        ("deny", "oidc_denied", "oidc_denied"),
    ],
)
async def test_a_bad_answer_from_the_provider_signs_nobody_in(
    base_url: str,
    provider: FakeOidc,
    caplog: pytest.LogCaptureFixture,
    tamper: str,
    code: str,
    logged: str,
) -> None:
    provider.tamper.add(tamper)
    with caplog.at_level(logging.WARNING, logger="watchparty.accounts.oidc_routes"):
        async with cookie_session() as browser:
            landed = await sign_in(browser, base_url)
            assert (landed.url.path, landed.url.query.get("oidc_error")) == ("/", code)
            assert (await me(browser, base_url))[0] == 401
    assert logged in caplog.text


async def test_the_flow_is_bound_to_the_browser_that_started_it(
    base_url: str, provider: FakeOidc
) -> None:
    async with cookie_session() as browser:
        async with browser.get(f"{base_url}/api/auth/oidc", allow_redirects=False) as start:
            to_provider = start.headers["Location"]
        assert "code_challenge_method=S256" in to_provider
        async with browser.get(to_provider, allow_redirects=False) as authorize:
            back = authorize.headers["Location"]
    async with cookie_session() as other:  # another browser, without the flow's cookie
        async with other.get(back) as response:
            assert response.url.query.get("oidc_error") == "oidc_state"
        assert (await me(other, base_url))[0] == 401
    assert provider.token_requests == 0  # the code was never spent


async def test_the_pkce_verifier_must_match(base_url: str, provider: FakeOidc) -> None:
    async with cookie_session() as browser:
        async with browser.get(f"{base_url}/api/auth/oidc", allow_redirects=False) as start:
            to_provider = start.headers["Location"]
        # Someone swaps the challenge for their own: the token endpoint refuses the verifier.
        forged = to_provider.replace("code_challenge=", "code_challenge=x")
        async with browser.get(forged) as response:
            assert response.url.query.get("oidc_error") == "oidc_failed"
        assert (await me(browser, base_url))[0] == 401
    assert provider.token_requests == 1


async def test_no_verified_email_no_account(base_url: str, provider: FakeOidc) -> None:
    provider.person.email_verified = False
    async with cookie_session() as browser:
        landed = await sign_in(browser, base_url)
        assert landed.url.query.get("oidc_error") == "oidc_no_email"


async def test_only_paths_on_this_site_are_followed_after_signing_in(
    base_url: str, provider: FakeOidc
) -> None:
    for sneaky in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        async with cookie_session() as browser:
            landed = await sign_in(browser, base_url, next_=sneaky)
            assert str(landed.url).startswith(base_url)
            assert landed.url.path == "/"


async def test_an_unreachable_provider_and_an_unconfigured_server_say_so(
    start_server: ServerFactory,
) -> None:
    server = await start_server(
        oidc_issuer="http://127.0.0.1:9", oidc_client_id="c", oidc_client_secret="s"
    )
    url = str(server.make_url("")).rstrip("/")
    async with cookie_session() as browser:
        landed = await sign_in(browser, url)
        assert landed.url.query.get("oidc_error") == "oidc_unavailable"
    plain = await start_server()
    async with (
        aiohttp.ClientSession() as http,
        http.get(plain.make_url("/api/auth/oidc"), allow_redirects=False) as response,
    ):
        assert (response.status, (await response.json())["error"]["code"]) == (
            503,
            "oidc_disabled",
        )
    link = plain.make_url("/api/auth/oidc/link")
    async with aiohttp.ClientSession() as http:
        for method, body in (("GET", None), ("POST", {"password": PASSWORD})):
            async with http.request(method, link, json=body) as response:
                assert (await response.json())["error"]["code"] == "oidc_disabled", method


async def test_returns_from_the_provider_are_limited_per_address(
    start_server: ServerFactory, provider: FakeOidc
) -> None:
    server = await start_server(
        oidc_issuer=provider.base_url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        login_address_limit="2/hour",
    )
    url = str(server.make_url("")).rstrip("/")
    for _ in range(2):
        async with cookie_session() as browser:
            assert (await sign_in(browser, url)).url.query.get("oidc_error") is None
    async with cookie_session() as browser:
        landed = await sign_in(browser, url)
        assert landed.url.query.get("oidc_error") == "oidc_failed"
    assert provider.token_requests == 2  # the third never reached the provider


async def test_hostile_query_strings_are_refused_cleanly(base_url: str, provider: FakeOidc) -> None:
    """Lone surrogates (as UTF-8 bytes), control characters and huge values in what the
    browser brings back: a clear refusal, never a 500, and the provider is never asked."""
    async with cookie_session() as browser:
        async with browser.get(f"{base_url}/api/auth/oidc", allow_redirects=False) as start:
            assert start.status == 302
        for query in (
            "state=%ED%A0%80&code=x",
            "state=ok&code=%ED%A0%80",
            "state=ok&code=%00",
            f"state=ok&code={'c' * 5000}",
            "error=%ED%A0%80",
        ):
            url = URL(f"{base_url}/api/auth/oidc/callback?{query}", encoded=True)
            async with browser.get(url, allow_redirects=False) as response:
                assert response.status == 302, query
                assert response.headers["Location"].startswith("/?oidc_error="), query
    for sneaky in ("%ED%A0%80", "%0d%0aSet-Cookie:x=1", "/%22onload"):
        async with cookie_session() as browser:
            url = URL(f"{base_url}/api/auth/oidc?next={sneaky}", encoded=True)
            async with browser.get(url) as response:
                assert response.status == 200
                assert response.url.path == "/"
    assert provider.token_requests == 3  # only the three whole sign-ins above
