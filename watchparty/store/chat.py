"""The ``chat`` collection: each room's latest messages, one document per message.

Messages are documents of their own rather than a ``$push``-ed array in the room (nx-27017
mangles ``$push``, and a room document should stay small). They are saved in batches: one
insert for many rooms' messages, and one delete, by id, of the messages they pushed out of their
rooms' histories. Deleting by id costs one index look-up each, where finding a room's oldest
kept message means a sort (and on the embedded server, a scan of the collection).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from watchparty.store.errors import unavailable_on_failure

Document = dict[str, Any]
FIELDS = ("id", "member_id", "user_id", "by", "text", "at")
DUPLICATE_KEY = 11000


class NewMessage(NamedTuple):
    room_id: str
    message: Document
    dropped: str | None  # the id of the message it pushed out of the room's history


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

    async def add(self, new: Sequence[NewMessage]) -> None:
        """Save messages of any rooms, and forget the ones they pushed out, in two requests.
        Saving the same batch again (a retry after an outage that struck once the insert had
        landed) changes nothing."""
        docs = [
            {"_id": m.message["id"], "room": m.room_id, **{k: m.message[k] for k in FIELDS[1:]}}
            for m in new
        ]
        dropped = [m.dropped for m in new if m.dropped is not None]
        async with unavailable_on_failure():
            try:
                await self._collection.insert_many(docs, ordered=False)
            except BulkWriteError as error:
                if not _only_duplicates(error):
                    raise
            if dropped:
                await self._collection.delete_many({"_id": {"$in": dropped}})

    async def trim(self, room_id: str, keep: int) -> None:
        """Keep only the room's newest ``keep`` messages (a crash may have lost deletes)."""
        async with unavailable_on_failure():
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


def _only_duplicates(error: BulkWriteError) -> bool:
    details = error.details
    return not details.get("writeConcernErrors") and all(
        failure.get("code") == DUPLICATE_KEY for failure in details.get("writeErrors", [])
    )
