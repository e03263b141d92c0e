"""``/api/auth/oidc``: sign in with the configured OpenID Connect provider.

``GET /api/auth/oidc`` sends the browser to the provider, with a fresh ``state``, ``nonce``
and PKCE verifier kept in a short-lived signed cookie; the provider sends it back to
``/api/auth/oidc/callback``, which checks them, verifies the ID token and signs the person
in: by the identity linked before, or as a new account. When an account already has the
provider's email address, the identity is linked only once that account's password is given
(``POST /api/auth/oidc/link``): whoever controls an email at some provider does not get the
account that uses it here. Failures come back to the home page as ``?oidc_error=<code>``.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from typing import Any, Final

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from watchparty.accounts.models import GivenPassword, SignedIn
from watchparty.accounts.oidc import Identity, OidcFailed, OidcProvider, failed, new_secrets
from watchparty.accounts.routes import password_of, signed_in
from watchparty.accounts.session import check_origin
from watchparty.addresses import client_address
from watchparty.apidoc import Doc, documented
from watchparty.errors import ApiError
from watchparty.http import read_body, site_origin
from watchparty.keys import (
    OIDC,
    OIDC_LIMIT,
    SESSIONS,
    SETTINGS,
    STORE,
)
from watchparty.store.users import AccountTaken, User

FLOW_COOKIE: Final = "watchparty_oidc"
LINK_COOKIE: Final = "watchparty_oidc_link"
FLOW_AUDIENCE: Final = "watchparty:oidc-flow"
LINK_AUDIENCE: Final = "watchparty:oidc-link"
FLOW_SECONDS: Final = 600
COOKIE_PATH: Final = "/api/auth/oidc"
NOT_USERNAME = re.compile(r"[^A-Za-z0-9_.-]+")
SAFE_PATH = re.compile(r"/[!#-\[\]-~]{0,499}")  # printable ASCII, no quote, backslash or space
# RFC 6749: state and code are printable ASCII; ours (state) is URL-safe base64.
STATE = re.compile(r"[A-Za-z0-9_-]{1,100}")
CODE = re.compile(r"[\x20-\x7e]{1,2048}")

log = logging.getLogger(__name__)


class Link(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    password: GivenPassword


class PendingLink(BaseModel):
    """The email of the account a sign-in would be linked to, and the provider's name."""

    model_config = ConfigDict(extra="forbid")
    email: str
    provider: str


def _provider(request: web.Request) -> OidcProvider:
    provider = request.config_dict.get(OIDC)
    if provider is None:
        raise ApiError.of("oidc_disabled")
    return provider


def _redirect_uri(request: web.Request) -> str:
    return f"{site_origin(request)}{COOKIE_PATH}/callback"


def _next(path: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if path and SAFE_PATH.fullmatch(path) and not path.startswith("//"):
        return path
    return "/"


def _set(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    secure = request.config_dict[SESSIONS].secure(request)
    response.set_cookie(
        name,
        value,
        max_age=FLOW_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",  # the provider's redirect back is a top-level GET: Lax sends it
        secure=secure,
    )


@documented(
    Doc(
        "Sign in with the OpenID provider (a browser goes there)",
        "accounts",
        redirect=True,
        errors=("oidc_disabled",),
        loose_query=(("next", "a path on this site to come back to"),),
    )
)
async def start(request: web.Request) -> web.Response:
    provider = _provider(request)
    flow = new_secrets()
    try:
        url = await provider.authorization_url(
            _redirect_uri(request), flow["state"], flow["nonce"], flow["verifier"]
        )
    except OidcFailed as error:
        return _back_home(error)
    response = web.Response(status=302, headers={"Location": url})
    sealed = request.config_dict[SESSIONS].tokens.seal(
        {**flow, "next": _next(request.query.get("next"))}, FLOW_AUDIENCE, FLOW_SECONDS
    )
    _set(request, response, FLOW_COOKIE, sealed)
    return response


def _back_home(error: OidcFailed) -> web.Response:
    """To the home page, which says why (in the page's language, from the code)."""
    log.warning("sign-in with the identity provider failed: %s: %s", error.code, error.detail)
    return web.Response(status=302, headers={"Location": f"/?oidc_error={error.code}#account"})


@documented(
    Doc(
        "Where the provider sends the browser back",
        "accounts",
        redirect=True,
        description="Always a redirect: home with `?oidc_error=<code>` when the sign-in failed.",
        loose_query=(
            ("state", "as sent"),
            ("code", "the authorization code"),
            ("error", "the provider's refusal"),
        ),
    )
)
async def callback(request: web.Request) -> web.Response:
    sessions = request.config_dict[SESSIONS]
    flow = sessions.tokens.unseal(request.cookies.get(FLOW_COOKIE), FLOW_AUDIENCE)
    try:
        identity = await _identity(request, flow)
        assert flow is not None
        response = await _sign_in(request, identity, str(flow["next"]))
    except OidcFailed as error:
        response = _back_home(error)
    response.del_cookie(FLOW_COOKIE, path=COOKIE_PATH)  # one sign-in, one use
    return response


async def _identity(request: web.Request, flow: dict[str, Any] | None) -> Identity:
    query = request.query
    if "error" in query:
        raise failed("oidc_denied")
    state, code = query.get("state", ""), query.get("code", "")
    if (
        flow is None
        or not STATE.fullmatch(state)
        or not hmac.compare_digest(state.encode(), str(flow["state"]).encode())
    ):
        raise failed("oidc_state")
    if not CODE.fullmatch(code):
        raise failed("oidc_failed", detail="the provider sent no usable code")
    address = client_address(request, request.config_dict[SETTINGS].trusted_proxies)
    if not (await request.config_dict[OIDC_LIMIT].hit(address)).allowed:
        raise failed("oidc_failed", detail=f"too many sign-ins from {address}")
    provider = _provider(request)
    return await provider.identity(
        code, _redirect_uri(request), str(flow["verifier"]), str(flow["nonce"])
    )


async def _sign_in(request: web.Request, identity: Identity, next_: str) -> web.Response:
    users = request.config_dict[STORE].users
    user = await users.by_identity(identity.key)
    if user is None:
        if identity.email is None or not identity.email_verified:
            raise failed("oidc_no_email")
        existing = await users.by_login(email=identity.email)
        if existing is not None:  # theirs only once they give its password
            response = web.Response(status=302, headers={"Location": "/?oidc=link#account"})
            claims = {"identity": identity.key, "email": identity.email, "next": next_}
            sealed = request.config_dict[SESSIONS].tokens.seal(claims, LINK_AUDIENCE, FLOW_SECONDS)
            _set(request, response, LINK_COOKIE, sealed)
            return response
        user = await _new_user(request, identity, identity.email)
    return _session(request, user, web.Response(status=302, headers={"Location": next_}))


def _session(request: web.Request, user: User, response: web.Response) -> web.Response:
    sessions = request.config_dict[SESSIONS]
    sessions.set_cookies(request, response, sessions.issue(user))
    return response


async def _new_user(request: web.Request, identity: Identity, email: str) -> User:
    """An account for a first sign-in, named after the provider's name for them (or their
    email), made unique with a number."""
    base = NOT_USERNAME.sub("", identity.name or email.split("@")[0])[:24].lstrip("_.-")
    base = base if len(base) >= 3 else f"user{base}"
    users = request.config_dict[STORE].users
    for attempt in range(12):
        name = base if attempt == 0 else f"{base}{secrets.randbelow(10_000)}"
        try:
            return await users.create(name, email, None, identity=identity.key)
        except AccountTaken as taken:
            if taken.field == "email":  # registered meanwhile: sign in again to link
                raise failed("oidc_state") from None
    raise failed("oidc_failed", detail="no free username")


@documented(
    Doc(
        "The account a provider sign-in would be linked to",
        "accounts",
        PendingLink,
        errors=("oidc_disabled", "oidc_state"),
    )
)
async def pending_link(request: web.Request) -> web.Response:
    """What the page asks about: the account a sign-in would be linked to."""
    provider = _provider(request)  # a server without one says so first, as link() does
    pending = _pending(request)
    return web.json_response({"email": pending["email"], "provider": provider.name})


def _pending(request: web.Request) -> dict[str, Any]:
    tokens = request.config_dict[SESSIONS].tokens
    pending = tokens.unseal(request.cookies.get(LINK_COOKIE), LINK_AUDIENCE)
    if pending is None:
        raise ApiError.of("oidc_state")
    return pending


@documented(
    Doc(
        "Link the provider's identity by the account's password",
        "accounts",
        SignedIn,
        body=Link,
        errors=(
            "cross_origin",
            "oidc_disabled",
            "oidc_state",
            "rate_limited",
            "invalid_credentials",
        ),
    )
)
async def link(request: web.Request) -> web.Response:
    """The password of the account with the provider's email: link and sign in. Throttled
    like a sign-in, since it is one."""
    settings = request.config_dict[SETTINGS]
    check_origin(request, settings.cors_origins)
    _provider(request)
    pending = _pending(request)
    body = await read_body(request, Link)
    users = request.config_dict[STORE].users
    user = await users.by_login(email=str(pending["email"]))
    if user is None:
        raise ApiError.of("oidc_state")
    if not await password_of(request, user, body.password, "sign-in attempts"):
        raise ApiError.of("invalid_credentials")
    await users.link_identity(user, str(pending["identity"]))
    response = signed_in(request, user)
    response.del_cookie(LINK_COOKIE, path=COOKIE_PATH)
    return response


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/auth/oidc", start)
    app.router.add_get("/auth/oidc/callback", callback)
    app.router.add_get("/auth/oidc/link", pending_link)
    app.router.add_post("/auth/oidc/link", link)
