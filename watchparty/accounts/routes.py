"""``/api/auth/*`` and ``/api/users/me``: register, sign in and out, profile, password."""

from __future__ import annotations

from aiohttp import web

from watchparty.accounts.models import ChangePassword, Login, Logout, Register, UpdateMe
from watchparty.accounts.session import check_origin
from watchparty.addresses import client_address
from watchparty.errors import ApiError
from watchparty.http import read_body
from watchparty.keys import LOGIN_THROTTLE, PASSWORDS, REGISTER_LIMIT, SESSIONS, SETTINGS, STORE
from watchparty.ratelimit import too_many
from watchparty.store.users import AccountTaken, User, normalize_email, normalize_username

WRONG_CREDENTIALS = "wrong email, username or password"


def _signed_in(request: web.Request, user: User, status: int = 200) -> web.Response:
    sessions = request.app[SESSIONS]
    session = sessions.issue(user)
    response = web.json_response({"user": user.to_public(), **session}, status=status)
    sessions.set_cookies(request, response, session)
    return response


async def register(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    check_origin(request, settings.cors_origins)
    verdict = await request.app[REGISTER_LIMIT].hit(
        client_address(request, settings.trusted_proxies)
    )
    if not verdict.allowed:
        raise too_many(verdict, "sign-ups from this address")
    body = await read_body(request, Register)
    password_hash = await request.app[PASSWORDS].hash(body.password)
    try:
        user = await request.app[STORE].users.create(body.username, body.email, password_hash)
    except AccountTaken as taken:
        raise ApiError(409, f"{taken.field}_taken", f"that {taken.field} is taken") from None
    response = _signed_in(request, user, status=201)
    request.app[SESSIONS].trust_device(request, response, user)
    return response


async def login(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    check_origin(request, settings.cors_origins)
    body = await read_body(request, Login)
    users = request.app[STORE].users
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
    sessions, throttle = request.app[SESSIONS], request.app[LOGIN_THROTTLE]
    trusted = user is not None and sessions.trusted_user(request) == user.id
    verdict = await throttle.check(account, address, trusted_device=trusted)
    if not verdict.allowed:
        raise too_many(verdict, "failed sign-ins")
    hashed = user.password_hash if user is not None else None
    if not await request.app[PASSWORDS].verify(body.password, hashed) or user is None:
        await throttle.failed(account, address)
        raise ApiError(401, "invalid_credentials", WRONG_CREDENTIALS)
    await throttle.succeeded(account)
    response = _signed_in(request, user)
    sessions.trust_device(request, response, user)
    return response


async def logout(request: web.Request) -> web.Response:
    """Clear the session cookies; with ``everywhere``, also end every session of the user."""
    body = await read_body(request, Logout)
    if body.everywhere:
        session = await request.app[SESSIONS].required(request)
        await request.app[STORE].users.revoke_sessions(session.user)
    response = web.Response(status=204)
    request.app[SESSIONS].end(response)
    return response


async def me(request: web.Request) -> web.Response:
    session = await request.app[SESSIONS].required(request)
    return web.json_response(session.user.to_public())


async def update_me(request: web.Request) -> web.Response:
    session = await request.app[SESSIONS].required(request)
    body = await read_body(request, UpdateMe)
    # Fields sent as null: an avatar is removed; a username is required, so it stays.
    changes = body.model_dump(include=body.model_fields_set)
    try:
        user = await request.app[STORE].users.update_profile(session.user, changes)
    except AccountTaken:
        raise ApiError(409, "username_taken", "that username is taken") from None
    return web.json_response(user.to_public())


async def change_password(request: web.Request) -> web.Response:
    """Change the password and end every other session; this client gets a new one."""
    session = await request.app[SESSIONS].required(request)
    body = await read_body(request, ChangePassword)
    settings, throttle = request.app[SETTINGS], request.app[LOGIN_THROTTLE]
    address = client_address(request, settings.trusted_proxies)
    user = session.user
    # A stolen session must not become a way to guess the password: same limits as sign-in.
    verdict = await throttle.check(user.id, address, trusted_device=False)
    if not verdict.allowed:
        raise too_many(verdict, "wrong passwords")
    passwords = request.app[PASSWORDS]
    if not await passwords.verify(body.current_password, user.password_hash):
        await throttle.failed(user.id, address)
        raise ApiError(403, "wrong_password", "the current password is wrong")
    user = await request.app[STORE].users.set_password(
        user, await passwords.hash(body.new_password)
    )
    return _signed_in(request, user)


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/auth/register", register)
    app.router.add_post("/api/auth/login", login)
    app.router.add_post("/api/auth/logout", logout)
    app.router.add_get("/api/users/me", me)
    app.router.add_patch("/api/users/me", update_me)
    app.router.add_post("/api/users/me/password", change_password)
