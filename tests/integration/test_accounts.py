"""Accounts over real HTTP: register, sign in and out, profile, password, throttling, CSRF."""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
import jwt
import pytest
from yarl import URL

from tests.accounts import PASSWORD, cookie_session, register
from tests.conftest import JWT_SECRET, ServerFactory
from watchparty.addresses import parse_networks

PUBLIC_FIELDS = {"id", "username", "email", "avatar_url", "plan", "created_at"}


async def post(
    http: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str] | None = None
) -> tuple[int, Any, aiohttp.ClientResponse]:
    async with http.post(url, json=body, headers=headers) as response:
        data = await response.json() if response.status != 204 else None
        return response.status, data, response


async def me(http: aiohttp.ClientSession, base_url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.get(f"{base_url}/api/users/me", **kwargs) as response:
        return response.status, await response.json()


async def test_register_returns_the_user_and_a_session(base_url: str) -> None:
    async with cookie_session() as http:
        body = {"username": "Ann", "email": "Ann@Example.org", "password": PASSWORD}
        status, data, response = await post(http, f"{base_url}/api/auth/register", body)
        assert status == 201
        assert set(data["user"]) == PUBLIC_FIELDS
        assert data["user"]["username"] == "Ann"
        assert data["user"]["email"] == "Ann@example.org"  # the domain is normalized
        assert (data["user"]["plan"], data["user"]["avatar_url"]) == ("free", None)
        assert "hash" not in str(data)
        assert PASSWORD not in str(data)
        session = response.cookies["watchparty_session"]
        assert session.value == data["token"]
        assert session["httponly"]
        assert session["samesite"] == "Lax"
        assert not session["secure"]  # plain http in development
        csrf = response.cookies["watchparty_csrf"]
        assert csrf.value == data["csrf_token"]
        assert not csrf["httponly"]
        # The cookie alone signs the browser in.
        assert await me(http, base_url) == (200, data["user"])


async def test_taken_username_or_email_is_409_case_insensitively(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    await register(http, base_url, "ann")
    url = f"{base_url}/api/auth/register"
    taken_name = {"username": "ANN", "email": "other@example.org", "password": PASSWORD}
    status, data, _ = await post(http, url, taken_name)
    assert (status, data["error"]["code"]) == (409, "username_taken")
    taken_email = {"username": "other", "email": "ANN@EXAMPLE.ORG", "password": PASSWORD}
    status, data, _ = await post(http, url, taken_email)
    assert (status, data["error"]["code"]) == (409, "email_taken")


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"email": "not-an-email"}, "email", "email"),
        ({"username": "no spaces"}, "username", "letters, digits"),
        ({"username": "ab"}, "username", "3 to 32"),
        ({"username": "x" * 33}, "username", "3 to 32"),
        ({"password": "short"}, "password", "at least 8"),
        # 37 characters but 74 bytes: bcrypt would silently ignore the end, so it is refused.
        ({"password": "é" * 37}, "password", "at most 72 bytes"),
        ({"password": 12345678}, "password", "string"),
        ({"extra": 1}, "extra", "not permitted"),
    ],
)
async def test_invalid_registration_is_400_naming_the_field(
    http: aiohttp.ClientSession, base_url: str, change: dict[str, Any], field: str, reason: str
) -> None:
    body = {"username": "ann", "email": "ann@example.org", "password": PASSWORD, **change}
    status, data, _ = await post(http, f"{base_url}/api/auth/register", body)
    assert status == 400
    assert data["error"]["code"] == "invalid_body"
    assert data["error"]["message"].startswith(f"{field}:")
    assert reason in data["error"]["message"]
    status, _, _ = await post(
        http, f"{base_url}/api/auth/login", {"username": "ann", "password": PASSWORD}
    )
    assert status == 401  # nothing was created


async def test_a_72_byte_password_works(http: aiohttp.ClientSession, base_url: str) -> None:
    password = "é" * 36  # exactly 72 bytes
    await register(http, base_url, "ann", password)
    status, _data, _ = await post(
        http, f"{base_url}/api/auth/login", {"username": "ann", "password": password}
    )
    assert status == 200
    # One byte more is not the same password (no silent truncation at login either).
    status, _, _ = await post(
        http, f"{base_url}/api/auth/login", {"username": "ann", "password": password + "x"}
    )
    assert status == 401


async def test_login_by_email_or_username_gives_a_token(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    account = await register(http, base_url, "ann")
    for identifier in ({"email": "ANN@example.org"}, {"username": "Ann"}):
        status, data, response = await post(
            http, f"{base_url}/api/auth/login", {**identifier, "password": PASSWORD}
        )
        assert status == 200
        assert data["user"] == account.user
        assert response.cookies["watchparty_session"].value == data["token"]
        headers = {"Authorization": f"Bearer {data['token']}"}
        assert await me(http, base_url, headers=headers) == (200, account.user)


async def test_wrong_password_and_unknown_user_look_the_same(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    await register(http, base_url, "ann")
    url = f"{base_url}/api/auth/login"
    answers = [
        await post(http, url, {"username": "ann", "password": "wrong password"}),
        await post(http, url, {"username": "nobody", "password": "wrong password"}),
        await post(http, url, {"email": "nobody@example.org", "password": PASSWORD}),
    ]
    assert {(status, str(data)) for status, data, _ in answers} == {
        (
            401,
            str(
                {
                    "error": {
                        "code": "invalid_credentials",
                        "message": "wrong email, username or password",
                    }
                }
            ),
        )
    }


@pytest.mark.parametrize(
    "body",
    [
        {"password": PASSWORD},
        {"email": "a@example.org", "username": "ann", "password": PASSWORD},
        {"username": "ann"},
        {"username": "ann", "password": "x" * 1025},
    ],
)
async def test_malformed_login_is_400(
    http: aiohttp.ClientSession, base_url: str, body: dict[str, Any]
) -> None:
    status, data, _ = await post(http, f"{base_url}/api/auth/login", body)
    assert (status, data["error"]["code"]) == (400, "invalid_body")


async def test_protected_routes_need_a_session(http: aiohttp.ClientSession, base_url: str) -> None:
    assert (await me(http, base_url))[1]["error"]["code"] == "unauthenticated"
    status, data = await me(http, base_url, headers={"Authorization": "Basic YTpi"})
    assert (status, data["error"]["code"]) == (401, "invalid_token")


def forge(claims: dict[str, Any], secret: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    base = {"aud": "watchparty:session", "iat": int(time.time()), "ver": 0}
    return jwt.encode({**base, **claims}, secret, algorithm=algorithm)


async def test_expired_tampered_and_unsigned_tokens_are_refused(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    account = await register(http, base_url, "ann")
    now = int(time.time())
    header, payload, signature = account.token.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    unsigned = jwt.encode({"sub": account.id, "exp": now + 60}, "", algorithm="none")
    cases = {
        "expired": (forge({"sub": account.id, "exp": now - 1}), "token_expired"),
        "tampered": (f"{header}.{flipped}.{signature}", "invalid_token"),
        "alg none": (unsigned, "invalid_token"),
        "wrong secret": (forge({"sub": account.id, "exp": now + 60}, "y" * 40), "invalid_token"),
        "HS512": (forge({"sub": account.id, "exp": now + 60}, algorithm="HS512"), "invalid_token"),
        "no exp": (forge({"sub": account.id}), "invalid_token"),
        "device token": (
            jwt.encode(
                {"sub": account.id, "aud": "watchparty:device", "iat": now, "exp": now + 60},
                JWT_SECRET,
            ),
            "invalid_token",
        ),
        "no such user": (forge({"sub": "nobody", "exp": now + 60}), "invalid_token"),
    }
    # The forging itself is right: the same claims, validly signed, are accepted.
    valid = forge({"sub": account.id, "exp": now + 60})
    assert (await me(http, base_url, headers={"Authorization": f"Bearer {valid}"}))[0] == 200
    for name, (token, code) in cases.items():
        status, data = await me(http, base_url, headers={"Authorization": f"Bearer {token}"})
        assert (status, data["error"]["code"]) == (401, code), name
        # The same token in the cookie is refused as well (here the route needs a session).
        status, data = await me(http, base_url, cookies={"watchparty_session": token})
        assert (status, data["error"]["code"]) == (401, code), name


async def test_logout_clears_the_cookie_and_everywhere_ends_every_session(
    base_url: str,
) -> None:
    async with cookie_session() as http:
        account = await register(http, base_url, "ann")
        assert (await me(http, base_url))[0] == 200
        status, _, response = await post(http, f"{base_url}/api/auth/logout", {})
        assert status == 204
        assert response.cookies["watchparty_session"].value == ""
        assert (await me(http, base_url))[0] == 401
        # The same token, copied elsewhere, is ended too (not only the cookie).
        status, data = await me(http, base_url, headers=account.bearer)
        assert (status, data["error"]["code"]) == (401, "session_revoked")
        login = {"username": "ann", "password": PASSWORD}
        tokens = [(await post(http, f"{base_url}/api/auth/login", login))[1]["token"] for _ in "ab"]
        bearers = [{"Authorization": f"Bearer {token}"} for token in tokens]
        status, _, _ = await post(
            http, f"{base_url}/api/auth/logout", {"everywhere": True}, bearers[0]
        )
        assert status == 204
        for bearer in bearers:
            status, data = await me(http, base_url, headers=bearer)
            assert (status, data["error"]["code"]) == (401, "session_revoked")


async def test_password_change_ends_other_sessions(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    account = await register(http, base_url, "ann")
    _, other, _ = await post(
        http, f"{base_url}/api/auth/login", {"username": "ann", "password": PASSWORD}
    )
    url = f"{base_url}/api/users/me/password"
    wrong = {"current_password": "not it at all", "new_password": "a new password"}
    status, data, _ = await post(http, url, wrong, account.bearer)
    assert (status, data["error"]["code"]) == (403, "wrong_password")
    too_long = {"current_password": PASSWORD, "new_password": "é" * 37}
    status, data, _ = await post(http, url, too_long, account.bearer)
    assert (status, data["error"]["code"]) == (400, "invalid_body")
    assert (await me(http, base_url, headers=account.bearer))[0] == 200  # nothing changed

    good = {"current_password": PASSWORD, "new_password": "a new password"}
    status, data, _ = await post(http, url, good, account.bearer)
    assert status == 200
    assert (await me(http, base_url, headers={"Authorization": f"Bearer {data['token']}"}))[
        0
    ] == 200
    for old in (account.token, other["token"]):
        status, body = await me(http, base_url, headers={"Authorization": f"Bearer {old}"})
        assert (status, body["error"]["code"]) == (401, "session_revoked")
    login = f"{base_url}/api/auth/login"
    assert (await post(http, login, {"username": "ann", "password": PASSWORD}))[0] == 401
    assert (await post(http, login, {"username": "ann", "password": "a new password"}))[0] == 200


async def test_profile_update(http: aiohttp.ClientSession, base_url: str) -> None:
    ann = await register(http, base_url, "ann")
    await register(http, base_url, "bob")
    url = f"{base_url}/api/users/me"

    async def patch(body: Any) -> tuple[int, Any]:
        async with http.patch(url, json=body, headers=ann.bearer) as response:
            return response.status, await response.json()

    status, user = await patch({"username": "Annie", "avatar_url": "https://img.example/a.png"})
    assert status == 200
    assert (user["username"], user["avatar_url"]) == ("Annie", "https://img.example/a.png")
    status, data = await patch({"avatar_url": "http://img.example/a.png"})
    assert (status, data["error"]["message"]) == (400, "avatar_url: must be an https:// URL")
    status, data = await patch({"username": "BOB"})
    assert (status, data["error"]["code"]) == (409, "username_taken")
    status, data = await patch({"email": "new@example.org"})
    assert status == 400
    status, user = await patch({"avatar_url": None})
    assert (status, user["username"], user["avatar_url"]) == (200, "Annie", None)
    login = {"username": "annie", "password": PASSWORD}
    assert (await post(http, f"{base_url}/api/auth/login", login))[0] == 200


async def test_cookie_sessions_need_the_csrf_header_for_changes(base_url: str) -> None:
    async with cookie_session() as http:
        account = await register(http, base_url, "ann")
        url = f"{base_url}/api/users/me"
        async with http.patch(url, json={"username": "mallory"}) as response:
            assert response.status == 403
            assert (await response.json())["error"]["code"] == "csrf_failed"
        wrong = {"X-CSRF-Token": "x" * 43}
        async with http.patch(url, json={"username": "mallory"}, headers=wrong) as response:
            assert response.status == 403
        assert (await me(http, base_url))[1]["username"] == "ann"  # nothing changed
        right = {
            "X-CSRF-Token": http.cookie_jar.filter_cookies(URL(base_url))["watchparty_csrf"].value
        }
        assert right["X-CSRF-Token"] == account.csrf_token
        async with http.patch(url, json={"username": "ann2"}, headers=right) as response:
            assert response.status == 200
        # Reading needs no CSRF token, and neither does a Bearer token (no cookie involved).
        assert (await me(http, base_url))[0] == 200
    async with (
        aiohttp.ClientSession() as http,
        http.patch(url, json={"username": "ann3"}, headers=account.bearer) as response,
    ):
        assert response.status == 200


async def test_sign_in_from_another_site_is_refused(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    await register(http, base_url, "ann")
    login = {"username": "ann", "password": PASSWORD}
    url = f"{base_url}/api/auth/login"
    status, data, _ = await post(http, url, login, {"Origin": "https://evil.example"})
    assert (status, data["error"]["code"]) == (403, "cross_origin")
    assert (await post(http, url, login, {"Origin": base_url}))[0] == 200
    # Nor may another site make an account in this browser's name.
    bob = {"username": "bob", "email": "bob@example.org", "password": PASSWORD}
    register_url = f"{base_url}/api/auth/register"
    status, data, _ = await post(http, register_url, bob, {"Origin": "https://evil.example"})
    assert (status, data["error"]["code"]) == (403, "cross_origin")
    assert (await post(http, register_url, bob, {"Origin": base_url}))[0] == 201


async def test_failed_logins_are_throttled_per_account(start_server: ServerFactory) -> None:
    server = await start_server(login_account_limit="3/minute", login_address_limit="100/minute")
    base_url = str(server.make_url("")).rstrip("/")
    url = f"{base_url}/api/auth/login"
    wrong = {"username": "ann", "password": "wrong password"}
    right = {"email": "ann@example.org", "password": PASSWORD}
    async with cookie_session() as own_browser:
        await register(own_browser, base_url, "ann")
        # The attacker spreads attempts over many addresses: the account's count still grows.
        async with aiohttp.ClientSession() as attacker:
            for _ in range(3):
                assert (await post(attacker, url, wrong))[0] == 401
            status, data, response = await post(attacker, url, right)
            assert (status, data["error"]["code"]) == (429, "rate_limited")
            assert 1 <= int(response.headers["Retry-After"]) <= 60
            # An unknown account is throttled exactly the same way.
            ghost = {"username": "ghost", "password": "wrong password"}
            statuses = [(await post(attacker, url, ghost))[0] for _ in range(4)]
            assert statuses == [401, 401, 401, 429]
        # The owner's browser signed in before (device cookie): not locked out.
        assert (await post(own_browser, url, right))[0] == 200


async def test_failed_logins_are_throttled_per_address(start_server: ServerFactory) -> None:
    server = await start_server(
        login_account_limit="100/minute",
        login_address_limit="4/minute",
        trusted_proxies=parse_networks("127.0.0.1"),
    )
    base_url = str(server.make_url("")).rstrip("/")
    url = f"{base_url}/api/auth/login"
    async with aiohttp.ClientSession() as http:
        await register(http, base_url, "ann")
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        for name in ("a1", "a2", "a3", "a4"):
            status, _, _ = await post(http, url, {"username": name, "password": "x" * 8}, attacker)
            assert status == 401
        right = {"username": "ann", "password": PASSWORD}
        status, _, response = await post(http, url, right, attacker)
        assert status == 429
        assert int(response.headers["Retry-After"]) >= 1
        # Other addresses are not affected.
        assert (await post(http, url, right, {"X-Forwarded-For": "198.51.100.7"}))[0] == 200


async def test_registration_is_rate_limited_per_address(start_server: ServerFactory) -> None:
    server = await start_server(register_rate_limit="2/minute")
    base_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        await register(http, base_url, "ann")
        await register(http, base_url, "bob")
        body = {"username": "cat", "email": "cat@example.org", "password": PASSWORD}
        status, data, response = await post(http, f"{base_url}/api/auth/register", body)
        assert (status, data["error"]["code"]) == (429, "rate_limited")
        assert "Retry-After" in response.headers


async def test_production_cookies_are_secure(start_server: ServerFactory) -> None:
    server = await start_server(environment="PRODUCTION", metrics_token="m")
    base_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        body = {"username": "ann", "email": "ann@example.org", "password": PASSWORD}
        status, _, response = await post(http, f"{base_url}/api/auth/register", body)
        assert status == 201
        assert response.cookies["watchparty_session"]["secure"]
        assert response.cookies["watchparty_csrf"]["secure"]


async def test_no_password_hash_or_token_reaches_the_logs(
    http: aiohttp.ClientSession, base_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    account = await register(http, base_url, "ann")
    login = f"{base_url}/api/auth/login"
    await post(http, login, {"username": "ann", "password": "wrong password"})
    _, data, _ = await post(http, login, {"username": "ann", "password": PASSWORD})
    await post(
        http,
        f"{base_url}/api/users/me/password",
        {"current_password": PASSWORD, "new_password": "a new password"},
        account.bearer,
    )
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records  # the server did log (requests at least)
    for secret in (PASSWORD, "wrong password", "a new password", account.token, data["token"]):
        assert secret not in text
    assert "$2b$" not in text  # no bcrypt hash
