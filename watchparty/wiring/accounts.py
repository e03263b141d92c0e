"""Accounts: sessions, password hashing, the limits on signing in and up, and the OpenID
Connect provider when one is configured."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from watchparty.accounts.oidc import OidcProvider
from watchparty.accounts.passwords import PasswordHasher
from watchparty.accounts.secret import jwt_secret
from watchparty.accounts.session import Sessions
from watchparty.accounts.throttle import LoginThrottle
from watchparty.accounts.tokens import Tokens
from watchparty.keys import (
    LIMITS,
    LOGIN_THROTTLE,
    OIDC,
    OIDC_LIMIT,
    PASSWORDS,
    REGISTER_LIMIT,
    ROOM_CREATE_LIMIT,
    SESSIONS,
    STORE,
)
from watchparty.ratelimit import RateLimit
from watchparty.settings import Settings


def setup_accounts(app: web.Application, settings: Settings) -> None:
    store = app[STORE]
    app[SESSIONS] = Sessions(
        Tokens(jwt_secret(settings), settings.session_seconds),
        store.users,
        store.revoked_sessions,
        always_secure=settings.production,
    )
    app[PASSWORDS] = PasswordHasher(settings.bcrypt_rounds)
    # Limits per client address or account hold across processes (in Redis, when shared);
    # limits per connection stay in memory, since a connection lives in one process.
    shared = settings.redis_url
    throttle = app[LOGIN_THROTTLE] = LoginThrottle(
        settings.login_account_limit, settings.login_address_limit, shared
    )
    register = app[REGISTER_LIMIT] = RateLimit(settings.register_rate_limit, "register", shared)
    create = app[ROOM_CREATE_LIMIT] = RateLimit(
        settings.room_create_rate_limit, "room-create", shared
    )
    app[LIMITS].extend([register, create, *throttle.limits])
    issuer, client, secret = (
        settings.oidc_issuer,
        settings.oidc_client_id,
        settings.oidc_client_secret,
    )
    if issuer is not None and client is not None and secret is not None:  # all or none
        app[OIDC] = OidcProvider(
            str(issuer),
            client,
            secret,
            settings.oidc_scopes,
            settings.oidc_name,
        )
        # Each return from the provider costs a request to it: limited like sign-ins.
        app[OIDC_LIMIT] = RateLimit(settings.login_address_limit, "oidc", shared)
        app[LIMITS].append(app[OIDC_LIMIT])
        app.cleanup_ctx.append(_oidc)


async def _oidc(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[OIDC].close()
