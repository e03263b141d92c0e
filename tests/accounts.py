"""Signing up and in over real HTTP, for the tests that need a user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Account:
    user: dict[str, Any]
    token: str
    csrf_token: str

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(
    http: aiohttp.ClientSession, base_url: str, username: str, password: str = PASSWORD
) -> Account:
    body = {"username": username, "email": f"{username}@example.org", "password": password}
    async with http.post(f"{base_url}/api/auth/register", json=body) as response:
        assert response.status == 201, await response.text()
        data = await response.json()
    return Account(data["user"], data["token"], data["csrf_token"])


def cookie_session() -> aiohttp.ClientSession:
    """A client that keeps cookies like a browser (also for 127.0.0.1, which aiohttp's jar
    skips by default)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
