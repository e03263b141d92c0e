"""An OpenID Connect provider, as a client of it: discovery, the authorization-code flow with
PKCE, and the ID token verified with PyJWT against the provider's published keys.

PyJWT checks the signature (asymmetric algorithms only: a token signed with the client secret
or with ``alg: none`` is refused), ``iss``, ``aud``, ``exp`` and ``iat``; the nonce is compared
here. PKCE's S256 challenge is two lines of RFC 7636 and is written here rather than taken
from a second JOSE library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote_plus, urlencode

import aiohttp
import jwt

from watchparty.core.errors import message
from watchparty.errors import ClientError

ALGORITHMS: Final = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
CACHE_SECONDS: Final = 3600.0  # discovery and keys; a key id we do not know refetches sooner
REFETCH_SECONDS: Final = 60.0
LEEWAY_SECONDS: Final = 60  # clocks differ a little between us and the provider
TIMEOUT: Final = aiohttp.ClientTimeout(total=10)


class OidcFailed(ClientError):
    """A sign-in with the provider that cannot go on; ``code`` is the catalogue's, ``detail``
    says what exactly, for the server's log (the provider's words may be anything)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code, message(code))
        self.detail = detail


def failed(code: str, detail: str = "") -> OidcFailed:
    return OidcFailed(code, detail)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in: ``key`` (issuer and subject) never changes for them."""

    issuer: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None

    @property
    def key(self) -> str:
        return f"{self.issuer} {self.subject}"


def challenge(verifier: str) -> str:
    """PKCE's S256 code challenge (RFC 7636, 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OidcProvider:
    def __init__(
        self, issuer: str, client_id: str, client_secret: str, scopes: str, name: str
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.name = name
        self._client_id = client_id
        self._client_secret = client_secret
        self._scopes = scopes
        self._http: aiohttp.ClientSession | None = None
        self._config: dict[str, Any] | None = None
        self._config_at = 0.0
        self._keys: jwt.PyJWKSet | None = None
        self._keys_at = 0.0

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def authorization_url(
        self, redirect_uri: str, state: str, nonce: str, verifier: str
    ) -> str:
        config = await self._configuration()
        query = {
            "response_type": "code",
            "client_id": self._client_id,
            "redirect_uri": redirect_uri,
            "scope": self._scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge(verifier),
            "code_challenge_method": "S256",
        }
        return f"{config['authorization_endpoint']}?{urlencode(query)}"

    async def identity(self, code: str, redirect_uri: str, verifier: str, nonce: str) -> Identity:
        """Trade the code for tokens and verify the ID token; raises ``OidcFailed``."""
        config = await self._configuration()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        answer = await self._json(
            "POST", config["token_endpoint"], data=form, headers={"Authorization": self._basic()}
        )
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise failed("oidc_failed", detail="the provider sent no ID token")
        return await self._verify(id_token, nonce)

    def _basic(self) -> str:
        """client_secret_basic: both form-encoded, then Basic (RFC 6749, 2.3.1)."""
        pair = f"{quote_plus(self._client_id)}:{quote_plus(self._client_secret)}"
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    async def _verify(self, id_token: str, nonce: str) -> Identity:
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = await self._key(kid)
            claims = jwt.decode(
                id_token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self._client_id,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat", "nonce"]},
            )
        except jwt.ExpiredSignatureError:
            raise failed("oidc_invalid_token", detail="the ID token has expired") from None
        except jwt.InvalidIssuerError:
            raise failed("oidc_invalid_token", detail="the ID token is another issuer's") from None
        except jwt.InvalidTokenError as error:
            raise failed("oidc_invalid_token", detail=str(error)) from None
        if not isinstance(claims["nonce"], str) or not hmac.compare_digest(claims["nonce"], nonce):
            raise failed("oidc_invalid_token", detail="the ID token's nonce is not this sign-in's")
        email = claims.get("email")
        name = claims.get("preferred_username") or claims.get("name")
        return Identity(
            issuer=self.issuer,
            subject=str(claims["sub"]),
            email=email if isinstance(email, str) else None,
            email_verified=claims.get("email_verified") is True,
            name=name if isinstance(name, str) else None,
        )

    async def _key(self, kid: Any) -> Any:
        """The provider's public key with this id (keys are fetched again, at most once a
        minute, when a token names one we do not have: providers rotate them)."""
        now = time.monotonic()
        for attempt in range(2):
            stale = now - self._keys_at > (REFETCH_SECONDS if attempt else CACHE_SECONDS)
            if self._keys is None or stale:
                config = await self._configuration()
                try:
                    self._keys = jwt.PyJWKSet.from_dict(await self._json("GET", config["jwks_uri"]))
                except jwt.PyJWKSetError as error:
                    raise failed("oidc_failed", detail=f"the provider's keys: {error}") from None
                self._keys_at = now
            for key in self._keys.keys:
                if kid is None or key.key_id == kid:
                    return key.key
        raise failed("oidc_invalid_token", detail="the ID token is signed with an unknown key")

    async def _configuration(self) -> dict[str, Any]:
        """The provider's discovery document (OpenID Connect Discovery 1.0), cached."""
        if self._config is None or time.monotonic() - self._config_at > CACHE_SECONDS:
            url = f"{self.issuer}/.well-known/openid-configuration"
            config = await self._json("GET", url)
            if config.get("issuer", "").rstrip("/") != self.issuer:
                raise failed("oidc_failed", detail="the discovery document names another issuer")
            for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(config.get(field), str):
                    raise failed("oidc_failed", detail=f"the discovery document lacks {field}")
            self._config, self._config_at = config, time.monotonic()
        return self._config

    async def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=TIMEOUT)
        try:
            async with self._http.request(method, url, **kwargs) as response:
                body = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError):
            raise failed("oidc_unavailable") from None
        if not isinstance(body, dict):
            raise failed("oidc_failed", detail=f"{url} did not answer a JSON object")
        if status != 200:
            reason = body.get("error_description") or body.get("error") or f"HTTP {status}"
            raise failed("oidc_failed", detail=f"the provider refused: {str(reason)[:200]}")
        return body


def new_secrets() -> dict[str, str]:
    """What one sign-in carries to the provider and back: ``state`` (this browser started
    it), ``nonce`` (the ID token was made for it) and the PKCE ``verifier``."""
    return {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
    }
