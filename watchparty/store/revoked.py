"""The ``revoked_sessions`` collection: session tokens signed out one at a time.

Session tokens are signed, not stored, so "sign out everywhere" bumps the user's token
version; signing out one browser keeps that token's digest here until it would have expired
anyway (a TTL index removes it then, and reads check the time too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from watchparty.store.errors import unavailable_on_failure
from watchparty.store.times import as_utc

Document = dict[str, Any]


def digest(token: str) -> str:
    """What is stored of a token: enough to recognise it, useless to sign in with."""
    return hashlib.sha256(token.encode()).hexdigest()


class RevokedSessions:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("expires_at", expireAfterSeconds=0)

    async def revoke(self, token: str, expires_at: dt.datetime) -> None:
        key = digest(token)
        async with unavailable_on_failure():
            await self._collection.replace_one(
                {"_id": key}, {"_id": key, "expires_at": expires_at}, upsert=True
            )

    async def revoked(self, token: str, now: dt.datetime) -> bool:
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"_id": digest(token)})
        return doc is not None and as_utc(doc["expires_at"]) > now
