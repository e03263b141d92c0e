"""The ``search_cache`` collection: YouTube answers kept for a documented lifetime.

Each document carries ``expires_at``; a TTL index removes it after that, and reads also check
it (MongoDB's TTL monitor runs only once a minute). Written whole with an upsert, since
datetimes written by update operators are not kept as dates everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from watchparty.store.errors import unavailable_on_failure
from watchparty.store.times import as_utc

Document = dict[str, Any]


class SearchCache:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("expires_at", expireAfterSeconds=0)

    async def get(self, key: str, now: dt.datetime) -> Any | None:
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"_id": key})
        if doc is None:
            return None
        return doc["value"] if as_utc(doc["expires_at"]) > now else None

    async def put(self, key: str, value: Any, expires_at: dt.datetime) -> None:
        async with unavailable_on_failure():
            await self._collection.replace_one(
                {"_id": key}, {"_id": key, "value": value, "expires_at": expires_at}, upsert=True
            )
