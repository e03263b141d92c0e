"""The ``chat`` collection: each room's latest messages, one document per message.

Messages are documents of their own rather than a ``$push``-ed array in the room (nx-27017
mangles ``$push``, and a room document should stay small); after each insert the room's
history is trimmed to its newest ``keep`` messages.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection

from watchparty.store.errors import unavailable_on_failure

Document = dict[str, Any]
FIELDS = ("id", "member_id", "user_id", "by", "text", "at")


class ChatStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("room", ASCENDING), ("at", DESCENDING)])

    async def latest(self, room_id: str, limit: int) -> list[Document]:
        """The room's newest ``limit`` messages, oldest first."""
        async with unavailable_on_failure():
            cursor = self._collection.find({"room": room_id}).sort("at", DESCENDING).limit(limit)
            docs = [doc async for doc in cursor]
        return [
            {key: doc.get("_id" if key == "id" else key) for key in FIELDS} for doc in docs[::-1]
        ]

    async def add(self, room_id: str, message: Document, keep: int) -> None:
        doc = {"_id": message["id"], "room": room_id, **{k: message[k] for k in FIELDS[1:]}}
        async with unavailable_on_failure():
            await self._collection.insert_one(doc)
            cursor = (
                self._collection.find({"room": room_id}, {"at": 1})
                .sort("at", DESCENDING)
                .skip(keep - 1)
                .limit(1)
            )
            oldest_kept = [doc async for doc in cursor]
            if oldest_kept:
                await self._collection.delete_many(
                    {"room": room_id, "at": {"$lt": oldest_kept[0]["at"]}}
                )

    async def delete(self, room_id: str, message_id: str) -> None:
        async with unavailable_on_failure():
            await self._collection.delete_one({"_id": message_id, "room": room_id})

    async def delete_room(self, room_id: str) -> None:
        async with unavailable_on_failure():
            await self._collection.delete_many({"room": room_id})
