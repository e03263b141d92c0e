"""One exception for "the database cannot be reached", whatever the driver said."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError


class StoreUnavailable(Exception):
    """The database did not answer; the operation may be retried later."""


@asynccontextmanager
async def unavailable_on_failure() -> AsyncIterator[None]:
    """Turn connection-level driver errors into ``StoreUnavailable``.

    Operation errors other than write conflicts (a malformed query, say) are bugs and pass
    through unchanged.
    """
    try:
        yield
    except ConnectionFailure as error:  # includes timeouts and server selection
        raise StoreUnavailable(type(error).__name__) from error
    except OperationFailure:
        raise
    except PyMongoError as error:
        raise StoreUnavailable(type(error).__name__) from error
