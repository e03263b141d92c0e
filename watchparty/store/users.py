"""The ``users`` collection (accounts arrive later; the collection and its indexes exist now).

Usernames and emails are unique case-insensitively: the normalized forms carry the unique
indexes, so two sign-ups racing for one name cannot both win.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

Document = dict[str, Any]


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def normalize_username(username: str) -> str:
    return username.strip().casefold()


class UserStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("email_normalized", unique=True)
        await self._collection.create_index("username_normalized", unique=True)
