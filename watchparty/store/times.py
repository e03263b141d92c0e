"""Times as they come back from the database."""

from __future__ import annotations

import datetime as dt


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime: some servers hand back naive UTC datetimes."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
