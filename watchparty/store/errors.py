"""One exception for "the database cannot be reached", whatever the driver said."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo.errors import ConnectionFailure

from watchparty.core.errors import Unavailable


class StoreUnavailable(Unavailable):
    """The database did not answer; the operation may be retried later."""

    code = "database_unavailable"


@asynccontextmanager
async def unavailable_on_failure() -> AsyncIterator[None]:
    """Turn connection-level driver errors into ``StoreUnavailable``.

    ``ConnectionFailure`` covers network errors, timeouts, server selection and a primary
    stepping down. Every other driver error (a duplicate key, an invalid document) is an
    answer or a bug, not an outage, and passes through: retrying it would never succeed.
    """
    try:
        yield
    except ConnectionFailure as error:
        raise StoreUnavailable(type(error).__name__) from error
