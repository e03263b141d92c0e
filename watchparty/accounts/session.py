"""Who is asking: the session token from ``Authorization: Bearer`` or the session cookie.

CSRF: the session cookie is HttpOnly and SameSite=Lax, and on top of that a state-changing
request signed in *by the cookie* must carry ``X-CSRF-Token`` equal to the CSRF token of that
session (an HMAC of it, also set as the readable ``watchparty_csrf`` cookie and returned on
sign-in). Another site can make the browser send the cookie, but cannot read the CSRF cookie
or set a custom header without a CORS preflight this server refuses. The check lives where the
cookie is turned into a user, so no handler that acts for a user can skip it. Bearer tokens are
never sent by a browser on its own and need no CSRF token.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from aiohttp import web

from watchparty.accounts.tokens import DEVICE_SECONDS, TokenError, Tokens
from watchparty.core.errors import message
from watchparty.errors import ApiError
from watchparty.store.revoked import RevokedSessions
from watchparty.store.users import User, UserStore

SESSION_COOKIE = "watchparty_session"
CSRF_COOKIE = "watchparty_csrf"
DEVICE_COOKIE = "watchparty_device"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    user: User
    token: str
    via: Literal["cookie", "bearer"]


class Sessions:
    def __init__(
        self,
        tokens: Tokens,
        users: UserStore,
        revoked: RevokedSessions,
        *,
        always_secure: bool,
    ) -> None:
        self.tokens = tokens
        self._users = users
        self._revoked = revoked
        self._always_secure = always_secure

    async def user_for(self, token: str) -> User:
        """The user a session token signs in; raises ``TokenError`` saying why not."""
        claims = self.tokens.decode(token)
        user = await self._users.by_id(claims.user_id)
        if user is None:
            raise TokenError("invalid_token", "the account of this session no longer exists")
        if user.token_version != claims.version:
            raise TokenError(
                "session_revoked", "this session was ended (password changed); sign in again"
            )
        if await self._revoked.revoked(token, dt.datetime.now(dt.UTC)):
            raise TokenError("session_revoked", message("session_revoked"))
        return user

    async def sign_out(self, request: web.Request) -> None:
        """End the session this request carries (Bearer or cookie), if it is a live one. No
        CSRF token is asked: the caller checked ``Origin``, and a sign-out is what a stale
        or forged request could at worst cause."""
        header = request.headers.get("Authorization", "")
        scheme, _, bearer = header.partition(" ")
        token = (
            bearer.strip() if scheme.lower() == "bearer" else request.cookies.get(SESSION_COOKIE)
        )
        if not token:
            return
        try:
            await self.user_for(token)
        except TokenError:
            return
        await self.revoke(token)

    async def revoke(self, token: str) -> None:
        """Sign one session out for good, not only its cookie (a copy of the token, in a log
        or another tab's memory, stops working too)."""
        claims = self.tokens.decode(token)
        expires = dt.datetime.fromtimestamp(claims.expires_at, dt.UTC)
        await self._revoked.revoke(token, expires)

    async def optional(self, request: web.Request) -> Session | None:
        """The signed-in session, or None for a guest.

        A bad Bearer token is an error (the client chose to send it); a bad cookie makes a
        guest, since a browser keeps sending a cookie its user cannot see or remove.
        """
        return await self._resolve(request, required=False)

    async def required(self, request: web.Request) -> Session:
        session = await self._resolve(request, required=True)
        assert session is not None
        return session

    async def _resolve(self, request: web.Request, *, required: bool) -> Session | None:
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, bearer = header.partition(" ")
            bearer = bearer.strip()
            if scheme.lower() != "bearer" or not bearer:
                raise ApiError.of("invalid_token", detail="use 'Authorization: Bearer <token>'")
            try:
                return Session(await self.user_for(bearer), bearer, "bearer")
            except TokenError as error:
                raise ApiError(401, error.code, error.message) from None
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            if required:
                raise ApiError.of("unauthenticated")
            return None
        try:
            user = await self.user_for(token)
        except TokenError as error:
            if required:
                raise ApiError(401, error.code, error.message) from None
            return None
        if request.method not in SAFE_METHODS and not self.tokens.csrf_matches(
            token, request.headers.get(CSRF_HEADER)
        ):
            raise ApiError.of(
                "csrf_failed",
                detail=f"a request signed in by cookie must send the {CSRF_HEADER} header "
                f"with the value of the {CSRF_COOKIE} cookie",
            )
        return Session(user, token, "cookie")

    def issue(self, user: User) -> dict[str, Any]:
        """A new session for ``user``: the token (API clients send it as a Bearer token),
        its CSRF token and its lifetime in seconds."""
        token = self.tokens.issue(user.id, user.token_version)
        return {
            "token": token,
            "csrf_token": self.tokens.csrf(token),
            "expires_in": self.tokens.session_seconds,
        }

    def set_cookies(
        self, request: web.Request, response: web.StreamResponse, session: dict[str, Any]
    ) -> None:
        """The session cookie (HttpOnly: page scripts never see the token) and the CSRF
        cookie (readable, so the page can echo it in ``X-CSRF-Token``)."""
        lifetime, secure = self.tokens.session_seconds, self.secure(request)
        response.set_cookie(
            SESSION_COOKIE,
            session["token"],
            max_age=lifetime,
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
        response.set_cookie(
            CSRF_COOKIE, session["csrf_token"], max_age=lifetime, samesite="Lax", secure=secure
        )

    def trust_device(self, request: web.Request, response: web.StreamResponse, user: User) -> None:
        """Remember that this browser signed ``user`` in (see ``throttle``)."""
        response.set_cookie(
            DEVICE_COOKIE,
            self.tokens.issue_device(user.id, user.token_version),
            max_age=DEVICE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=self.secure(request),
        )

    def trusted_device(self, request: web.Request, user: User) -> bool:
        """Whether this browser signed ``user`` in before, since their sessions were last
        ended (a password change, a sign-out everywhere)."""
        device = self.tokens.device_user(request.cookies.get(DEVICE_COOKIE))
        return device == (user.id, user.token_version)

    def end(self, response: web.StreamResponse) -> None:
        response.del_cookie(SESSION_COOKIE)
        response.del_cookie(CSRF_COOKIE)

    def secure(self, request: web.Request) -> bool:
        """Whether cookies for this request get the Secure flag."""
        return self._always_secure or request.secure


def check_origin(request: web.Request, allowed: tuple[str, ...]) -> None:
    """Refuse a browser request sent from another site's page (login CSRF, for one).

    Browsers send ``Origin`` on every cross-site POST; clients that are not browsers send
    none and are not affected. Only the host is compared, since a TLS-terminating proxy
    makes our own scheme look like http.
    """
    origin = request.headers.get("Origin")
    if origin is None or "*" in allowed or origin.rstrip("/") in allowed:
        return
    if not from_host(origin, request.host):
        raise ApiError.of("cross_origin")


def from_host(origin: str, host: str) -> bool:
    """Whether a browser's ``Origin`` is a page of ``host`` (the scheme is not compared: a
    TLS-terminating proxy makes our own look like http)."""
    return urlsplit(origin).netloc.lower() == host.lower()
