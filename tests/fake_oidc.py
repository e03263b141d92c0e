"""A local stand-in for an OpenID Connect provider, speaking the documented protocol: discovery
(OpenID Connect Discovery 1.0), a JWKS with its own RSA key, an authorization endpoint that
signs the configured person in at once, and a token endpoint that checks the client's
credentials (client_secret_basic), the redirect URI and the PKCE verifier (S256) before it
answers with an RS256-signed ID token. ``tamper`` makes it misbehave the ways a test needs.
No test talks to the internet.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "watchparty-test"
CLIENT_SECRET = "s3cret-for-tests"


@dataclass
class Person:
    subject: str = "provider-user-1"
    email: str | None = "robin@example.org"
    email_verified: bool = True
    preferred_username: str | None = "robin"


@dataclass
class FakeOidc:
    """``tamper``: ``nonce`` (another nonce), ``expired`` (an ID token past its exp),
    ``issuer`` (another issuer's), ``key`` (signed with a key not in the JWKS), ``deny``
    (the person says no)."""

    person: Person = field(default_factory=Person)
    tamper: set[str] = field(default_factory=set)
    base_url: str = ""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0

    def __post_init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        return app

    async def _discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.base_url,
                "authorization_endpoint": f"{self.base_url}/authorize",
                "token_endpoint": f"{self.base_url}/token",
                "jwks_uri": f"{self.base_url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return web.json_response({"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]})

    async def _authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return web.json_response({"error": "invalid_request"}, status=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return web.json_response({"error": "invalid_request"}, status=400)
        if "openid" not in q.get("scope", "").split():
            return web.json_response({"error": "invalid_scope"}, status=400)
        redirect = q["redirect_uri"]
        if "deny" in self.tamper:
            raise web.HTTPFound(f"{redirect}?error=access_denied&state={q['state']}")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "challenge": q["code_challenge"],
            "nonce": q.get("nonce"),
            "redirect_uri": redirect,
        }
        raise web.HTTPFound(f"{redirect}?code={code}&state={q['state']}")

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"error": "invalid_client"}, status=401)
        form = await request.post()
        grant = self.codes.pop(str(form.get("code")), None)  # a code is good once
        if grant is None or form.get("grant_type") != "authorization_code":
            return web.json_response({"error": "invalid_grant"}, status=400)
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return web.json_response({"error": "invalid_grant"}, status=400)
        digest = hashlib.sha256(str(form.get("code_verifier")).encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
            return web.json_response(
                {"error": "invalid_grant", "error_description": "PKCE verification failed"},
                status=400,
            )
        return web.json_response(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": self._id_token(grant["nonce"]),
            }
        )

    def _id_token(self, nonce: str | None) -> str:
        now = int(time.time())
        person = self.person
        claims: dict[str, Any] = {
            "iss": "https://elsewhere.example" if "issuer" in self.tamper else self.base_url,
            "sub": person.subject,
            "aud": CLIENT_ID,
            "iat": now - 3600 if "expired" in self.tamper else now,
            "exp": now - 600 if "expired" in self.tamper else now + 300,
            "nonce": "not-this-sign-in" if "nonce" in self.tamper else nonce,
            "email_verified": person.email_verified,
        }
        if person.email is not None:
            claims["email"] = person.email
        if person.preferred_username is not None:
            claims["preferred_username"] = person.preferred_username
        key = self._other_key if "key" in self.tamper else self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
