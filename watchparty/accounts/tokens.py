"""Session tokens (JWT, HS256 via pyjwt) and the CSRF token derived from a session.

A session token carries ``sub`` (the user id), ``iat``, ``exp`` and ``ver`` (the user's token
version when it was issued). Decoding pins HS256, so ``alg: none`` or an RS/HS confusion is
refused, and requires every claim. Device tokens (see ``throttle``) use the same secret with
another audience, so neither can stand in for the other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from watchparty.core.errors import message
from watchparty.errors import ClientError

ALGORITHM = "HS256"
SESSION_AUDIENCE = "watchparty:session"
DEVICE_AUDIENCE = "watchparty:device"
DEVICE_SECONDS = 365 * 24 * 3600
GUEST_AUDIENCE = "watchparty:guest"
GUEST_SECONDS = 30 * 24 * 3600


class TokenError(ClientError):
    """A token that signs nobody in; ``code`` and the message may go to the client."""


@dataclass(frozen=True)
class Claims:
    user_id: str
    version: int
    issued_at: int
    expires_at: int


class Tokens:
    def __init__(self, secret: str, session_seconds: int) -> None:
        self._secret = secret.encode()
        self.session_seconds = session_seconds

    def issue(self, user_id: str, version: int, *, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {
            "sub": user_id,
            "ver": version,
            # Two sign-ins in one second are two sessions: one can be signed out alone.
            "jti": secrets.token_urlsafe(9),
            "aud": SESSION_AUDIENCE,
            "iat": issued,
            "exp": issued + self.session_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def decode(self, token: str) -> Claims:
        payload = self._decode(token, SESSION_AUDIENCE, ["sub", "iat", "exp", "ver", "aud"])
        version = payload["ver"]
        if not isinstance(payload["sub"], str) or not isinstance(version, int):
            raise TokenError("invalid_token", "the session token is invalid")
        return Claims(payload["sub"], version, int(payload["iat"]), int(payload["exp"]))

    def issue_device(self, user_id: str, version: int) -> str:
        """A device token carries the user's token version, so a password change or a
        sign-out everywhere ends its exemption from the per-account limit too."""
        issued = int(time.time())
        claims = {
            "sub": user_id,
            "ver": version,
            "aud": DEVICE_AUDIENCE,
            "iat": issued,
            "exp": issued + DEVICE_SECONDS,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def device_user(self, token: str | None) -> tuple[str, int] | None:
        """The user (and token version) a device token was issued to after a successful
        sign-in, if it is valid."""
        if not token:
            return None
        try:
            payload = self._decode(token, DEVICE_AUDIENCE, ["sub", "ver", "iat", "exp", "aud"])
        except TokenError:
            return None
        user_id, version = payload["sub"], payload["ver"]
        if not isinstance(user_id, str) or not isinstance(version, int):
            return None
        return user_id, version

    def issue_guest(self) -> tuple[str, str]:
        """A new guest identity and the pass that proves it (ROOM_STATE's ``you.guest_token``,
        presented again as ``auth.guest``): mutes, votes, bans and budgets follow it across
        reconnects. Minted only within the per-address limit, so a fresh one is not free."""
        guest_id = secrets.token_urlsafe(12)
        issued = int(time.time())
        claims = {
            "sub": guest_id,
            "aud": GUEST_AUDIENCE,
            "iat": issued,
            "exp": issued + GUEST_SECONDS,
        }
        return guest_id, jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def guest_id(self, token: str | None) -> str | None:
        """The guest identity a pass proves, or None for a missing, forged or expired one."""
        if not token:
            return None
        try:
            payload = self._decode(token, GUEST_AUDIENCE, ["sub", "iat", "exp", "aud"])
        except TokenError:
            return None
        return payload["sub"] if isinstance(payload["sub"], str) else None

    def seal(self, claims: dict[str, Any], audience: str, seconds: int) -> str:
        """A short-lived signed value this server gave a browser (a sign-in in progress with
        an identity provider) and takes back unchanged, or not at all."""
        issued = int(time.time())
        payload = {**claims, "aud": audience, "iat": issued, "exp": issued + seconds}
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)

    def unseal(self, token: str | None, audience: str) -> dict[str, Any] | None:
        """What ``seal`` put in, or None for a missing, forged or expired value."""
        if not token:
            return None
        try:
            return self._decode(token, audience, ["aud", "iat", "exp"])
        except TokenError:
            return None

    def csrf(self, session_token: str) -> str:
        """The CSRF token that goes with a session: only a page that can read it may act.

        It is an HMAC of the session token, so a value planted in the browser by another site
        (cookie tossing) does not match any session the attacker does not already hold.
        """
        digest = hmac.new(self._secret, b"csrf:" + session_token.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()

    def csrf_matches(self, session_token: str, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            self.csrf(session_token).encode(), presented.encode()
        )

    def _decode(self, token: str, audience: str, required: list[str]) -> dict[str, Any]:
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=audience,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("token_expired", message("token_expired")) from None
        except jwt.InvalidTokenError:
            raise TokenError("invalid_token", "the session token is invalid") from None
        return payload
