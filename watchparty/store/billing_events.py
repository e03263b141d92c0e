"""``billing_events``: the Stripe events already handled, so a redelivery changes nothing.

The event id is the document id (unique), recorded once an event has been handled: an event
whose handling failed is not recorded, so Stripe's retry handles it again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from watchparty.store.errors import unavailable_on_failure

Document = dict[str, Any]


class BillingEventStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def seen(self, event_id: str) -> bool:
        async with unavailable_on_failure():
            return await self._collection.find_one({"_id": event_id}, {"_id": 1}) is not None

    async def record(self, event_id: str, event_type: str, created: int) -> None:
        doc = {
            "_id": event_id,
            "type": event_type,
            "created": created,
            "handled_at": dt.datetime.now(dt.UTC),
        }
        try:
            async with unavailable_on_failure():
                await self._collection.insert_one(doc)
        except DuplicateKeyError:
            pass  # handled twice at the same moment: harmless, handling is idempotent
