"""``/api/auth/*`` and ``/api/users/me``: register, sign in and out, profile, password."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from watchparty.accounts.models import (
    ChangePassword,
    Login,
    Logout,
    Register,
    SignedIn,
    UpdateMe,
    UserOut,
)
from watchparty.accounts.passwords import Busy, PasswordHasher
from watchparty.accounts.session import check_origin
from watchparty.addresses import client_address
from watchparty.apidoc import SIGNED_IN, Doc, documented
from watchparty.errors import ApiError
from watchparty.http import read_body
from watchparty.keys import LOGIN_THROTTLE, PASSWORDS, REGISTER_LIMIT, SESSIONS, SETTINGS, STORE
from watchparty.ratelimit import too_many
from watchparty.store.users import AccountTaken, User, normalize_email, normalize_username

WRONG_CREDENTIALS = "wrong email, username or password"


def signed_in(request: web.Request, user: User, status: int = 200) -> web.Response:
    sessions = request.config_dict[SESSIONS]
    session = sessions.issue(user)
    response = web.json_response({"user": user.to_public(), **session}, status=status)
    sessions.set_cookies(request, response, session)
    return response


@documented(
    Doc(
        "Create an account and sign in",
        "accounts",
        SignedIn,
        201,
        Register,
        errors=("cross_origin", "rate_limited", "username_taken", "email_taken"),
    )
)
async def register(request: web.Request) -> web.Response:
    settings = request.config_dict[SETTINGS]
    check_origin(request, settings.cors_origins)
    address = client_address(request, settings.trusted_proxies)
    verdict = await request.config_dict[REGISTER_LIMIT].hit(address)
    if not verdict.allowed:
        raise too_many(verdict, "sign-ups from this address")
    body = await read_body(request, Register)
    passwords = request.config_dict[PASSWORDS]
    async with password_turn(passwords, address):
        password_hash = await passwords.hash(body.password)
    try:
        user = await request.config_dict[STORE].users.create(
            body.username, body.email, password_hash
        )
    except AccountTaken as taken:
        raise ApiError.of(f"{taken.field}_taken") from None
    response = signed_in(request, user, status=201)
    request.config_dict[SESSIONS].trust_device(request, response, user)
    return response


@asynccontextmanager
async def password_turn(passwords: PasswordHasher, address: str) -> AsyncIterator[None]:
    """A bcrypt worker's turn for this address, or 429 when too many are under way."""
    try:
        async with passwords.turn(address):
            yield
    except Busy:
        raise ApiError.of(
            "rate_limited",
            {"Retry-After": "1"},
            detail="too many password checks at once; try again",
        ) from None


@documented(
    Doc(
        "Sign in by email or username",
        "accounts",
        SignedIn,
        body=Login,
        errors=("cross_origin", "rate_limited", "invalid_credentials"),
    )
)
async def login(request: web.Request) -> web.Response:
    settings = request.config_dict[SETTINGS]
    check_origin(request, settings.cors_origins)
    body = await read_body(request, Login)
    users = request.config_dict[STORE].users
    user = await users.by_login(email=body.email, username=body.username)
    # Throttle by the account when it exists (so email and username share one count), else by
    # what was typed: both look the same from outside.
    identifier = (
        normalize_email(body.email)
        if body.email is not None
        else normalize_username(body.username or "")
    )
    account = user.id if user is not None else f"unknown:{identifier}"
    address = client_address(request, settings.trusted_proxies)
    sessions, throttle = request.config_dict[SESSIONS], request.config_dict[LOGIN_THROTTLE]
    trusted = user is not None and sessions.trusted_device(request, user)
    verdict = await throttle.reserve(account, address, trusted_device=trusted)
    if not verdict.allowed:
        raise too_many(verdict, "sign-in attempts")
    hashed = user.password_hash if user is not None else None
    passwords = request.config_dict[PASSWORDS]
    async with password_turn(passwords, address):
        matched = await passwords.verify(body.password, hashed)
    if not matched or user is None:
        raise ApiError.of("invalid_credentials")
    await throttle.succeeded(account)
    response = signed_in(request, user)
    sessions.trust_device(request, response, user)
    return response


@documented(
    Doc(
        "Sign out (everywhere: every session)",
        "accounts",
        status=204,
        body=Logout,
        errors=("cross_origin", *SIGNED_IN),
        auth="optional",
    )
)
async def logout(request: web.Request) -> web.Response:
    """End this session (on the server, not only its cookie) and clear the cookies; with
    ``everywhere``, end every session of the user. Only from this site's own pages."""
    check_origin(request, request.config_dict[SETTINGS].cors_origins)
    body = await read_body(request, Logout)
    sessions = request.config_dict[SESSIONS]
    if body.everywhere:
        session = await sessions.required(request)
        await request.config_dict[STORE].users.revoke_sessions(session.user)
    else:
        await sessions.sign_out(request)
    response = web.Response(status=204)
    request.config_dict[SESSIONS].end(response)
    return response


@documented(Doc("My account", "accounts", UserOut, auth="required"))
async def me(request: web.Request) -> web.Response:
    session = await request.config_dict[SESSIONS].required(request)
    return web.json_response(session.user.to_public())


@documented(
    Doc(
        "Change my username or avatar",
        "accounts",
        UserOut,
        body=UpdateMe,
        errors=("username_taken",),
        auth="required",
    )
)
async def update_me(request: web.Request) -> web.Response:
    session = await request.config_dict[SESSIONS].required(request)
    body = await read_body(request, UpdateMe)
    # Fields sent as null: an avatar is removed; a username is required, so it stays.
    changes = body.model_dump(include=body.model_fields_set)
    try:
        user = await request.config_dict[STORE].users.update_profile(session.user, changes)
    except AccountTaken:
        raise ApiError.of("username_taken") from None
    return web.json_response(user.to_public())


async def password_of(request: web.Request, user: User, password: str, what: str) -> bool:
    """Whether ``password`` is ``user``'s, checked under the sign-in limits (per account and
    address: 429 past them, saying ``what``) and in a bcrypt worker's turn."""
    settings, throttle = request.config_dict[SETTINGS], request.config_dict[LOGIN_THROTTLE]
    address = client_address(request, settings.trusted_proxies)
    verdict = await throttle.reserve(user.id, address, trusted_device=False)
    if not verdict.allowed:
        raise too_many(verdict, what)
    passwords = request.config_dict[PASSWORDS]
    async with password_turn(passwords, address):
        matched = await passwords.verify(password, user.password_hash)
    if matched:
        await throttle.succeeded(user.id)
    return matched


@documented(
    Doc(
        "Change my password (ends my other sessions)",
        "accounts",
        SignedIn,
        body=ChangePassword,
        errors=("rate_limited", "wrong_password"),
        auth="required",
    )
)
async def change_password(request: web.Request) -> web.Response:
    """Change the password and end every other session; this client gets a new one."""
    session = await request.config_dict[SESSIONS].required(request)
    body = await read_body(request, ChangePassword)
    user = session.user
    # A stolen session must not become a way to guess the password: same limits as sign-in.
    if not await password_of(request, user, body.current_password, "password attempts"):
        raise ApiError.of("wrong_password")
    passwords = request.config_dict[PASSWORDS]
    user = await request.config_dict[STORE].users.set_password(
        user, await passwords.hash(body.new_password)
    )
    return signed_in(request, user)


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/auth/register", register)
    app.router.add_post("/auth/login", login)
    app.router.add_post("/auth/logout", logout)
    app.router.add_get("/users/me", me)
    app.router.add_patch("/users/me", update_me)
    app.router.add_post("/users/me/password", change_password)
