"""The database handle: the client, the collections, their indexes."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from watchparty.store.billing_events import BillingEventStore
from watchparty.store.chat import ChatStore
from watchparty.store.errors import unavailable_on_failure
from watchparty.store.playlists import PlaylistStore
from watchparty.store.revoked import RevokedSessions
from watchparty.store.rooms import RoomStore
from watchparty.store.search_cache import SearchCache
from watchparty.store.subtitles import SubtitleStore
from watchparty.store.users import UserStore

DEFAULT_DATABASE = "watchparty"
Document = dict[str, Any]


class Store:
    """All collections of one database. Creating it does no I/O; ``prepare`` does."""

    def __init__(self, uri: str, *, timeout_ms: int) -> None:
        # timeout_ms bounds how long one operation waits for an unreachable server, so an
        # HTTP request that needs the database fails with a 503 instead of hanging.
        self.client: AsyncMongoClient[Document] = AsyncMongoClient(
            uri,
            serverSelectionTimeoutMS=timeout_ms,
            connectTimeoutMS=timeout_ms,
            socketTimeoutMS=max(timeout_ms, 10_000),
            tz_aware=True,
            connect=False,
        )
        self.db = self.client.get_default_database(DEFAULT_DATABASE)
        self.rooms = RoomStore(self.db["rooms"])
        self.users = UserStore(self.db["users"])
        self.playlists = PlaylistStore(self.db["playlists"])
        self.billing_events = BillingEventStore(self.db["billing_events"])
        self.chat = ChatStore(self.db["chat"])
        self.search_cache = SearchCache(self.db["search_cache"])
        self.revoked_sessions = RevokedSessions(self.db["revoked_sessions"])
        self.subtitles = SubtitleStore(self.db["subtitles"])

    async def prepare(self) -> None:
        """Check the server answers and create the indexes (idempotent)."""
        async with unavailable_on_failure():
            await self.client.admin.command("ping")
            await self.rooms.ensure_indexes()
            await self.users.ensure_indexes()
            await self.playlists.ensure_indexes()
            await self.chat.ensure_indexes()
            await self.search_cache.ensure_indexes()
            await self.revoked_sessions.ensure_indexes()
            await self.subtitles.ensure_indexes()

    async def close(self) -> None:
        await self.client.close()
