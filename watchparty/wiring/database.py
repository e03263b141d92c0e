"""The database: MongoDB (or the embedded server when no MONGODB_URI is set) and the writers
that save rooms and chat behind the broadcasts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from watchparty.keys import CHAT_WRITES, EMBEDDED_DB, SETTINGS, STORE, WRITE_BEHIND
from watchparty.rooms.writebehind import WriteBehind, WriteQueue
from watchparty.settings import Settings
from watchparty.store.database import DEFAULT_DATABASE, Store
from watchparty.store.embedded import EmbeddedMongo
from watchparty.store.errors import StoreUnavailable

log = logging.getLogger(__name__)


def setup_database(app: web.Application, settings: Settings) -> None:
    uri = settings.mongodb_uri
    if uri is None:
        app[EMBEDDED_DB] = EmbeddedMongo(settings.data_dir)
        uri = app[EMBEDDED_DB].uri + DEFAULT_DATABASE
    store = app[STORE] = Store(uri, timeout_ms=settings.db_timeout_ms)
    app[WRITE_BEHIND] = WriteBehind(store.rooms)
    app[CHAT_WRITES] = WriteQueue()
    app.cleanup_ctx.append(_database)


def setup_writers(app: web.Application) -> None:
    """Start the writers once the database is up; stop them, saving what is pending, before
    it goes down (and, with several processes, before the rooms are given back)."""
    app.cleanup_ctx.append(_writers)


async def _database(app: web.Application) -> AsyncIterator[None]:
    embedded = app.get(EMBEDDED_DB)
    store = app[STORE]
    if embedded is not None:
        log.info("no MONGODB_URI: starting the embedded database in %s", embedded.data_dir)
        await embedded.start()
    try:
        try:
            await store.prepare()
        except StoreUnavailable:
            raise RuntimeError("cannot reach the database named by MONGODB_URI") from None
        yield
    finally:
        await store.close()
        if embedded is not None:
            await embedded.stop()


async def _writers(app: web.Application) -> AsyncIterator[None]:
    writer, chat_writes = app[WRITE_BEHIND], app[CHAT_WRITES]
    writer.start()
    chat_writes.start()
    yield
    within = app[SETTINGS].shutdown_flush_seconds
    rooms_saved, chat_saved = await asyncio.gather(writer.flush(within), chat_writes.flush(within))
    # Not saved in time: the database is unreachable, or too slow for what is pending.
    if not rooms_saved:
        log.error("shutting down with %d room(s) not saved within %g s", writer.pending, within)
    if not chat_saved:
        log.error(
            "shutting down with %d chat write(s) not saved within %g s", chat_writes.pending, within
        )
    await writer.close()
    await chat_writes.close()
