"""Which kinds of link a server plays (``WATCHPARTY_SOURCES``): a command may not bring a
link of another kind into a room.

A link already in the room (queued, or playing, before the setting changed) is never refused:
it may still be played from the queue, moved or removed, so narrowing the setting never locks
a room's queue. Its player may not load, since the page's policy lets in only the enabled
services' origins (watchparty.headers).
"""

from __future__ import annotations

from watchparty.core.commands import ChangeVideo, Command, QueueAdd, UpdateQueue
from watchparty.core.errors import Rejection, reject
from watchparty.core.media import KINDS, Kind, media_kind
from watchparty.core.state import RoomState


def parse_sources(text: str) -> frozenset[Kind]:
    """A comma-separated list of kinds (``youtube,video``), or ``all``; ValueError names the
    first that is not a kind."""
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    if names == ["all"]:
        return frozenset(KINDS)
    if not names:
        raise ValueError(f"name at least one of {', '.join(KINDS)}")
    unknown = [name for name in names if name not in KINDS]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not one of {', '.join(KINDS)}")
    return frozenset(kind for kind in KINDS if kind in names)


def listed(sources: frozenset[str]) -> str:
    """The kinds in the catalogue's order (for messages and docs)."""
    return ", ".join(kind for kind in KINDS if kind in sources)


def brought_in(state: RoomState, command: Command) -> list[str]:
    """The links ``command`` would bring into a room that is not holding them yet."""
    match command:
        case ChangeVideo(video_id=video_id):
            links = [video_id]
        case QueueAdd(item=item):
            links = [item.video_id]
        case UpdateQueue(queue=items):
            links = [item.video_id for item in items]
        case _:
            return []
    held = {item.video_id for item in state.queue}
    held.add(state.video_id or "")
    return [link for link in links if link not in held]


def kind_refusal(kind: str | None, sources: frozenset[str]) -> Rejection | None:
    """``source_disabled`` when this server does not play ``kind`` (None: not a link)."""
    if kind is None or kind in sources:
        return None
    return reject("source_disabled", kind=kind, plays=listed(sources))


def refusal(state: RoomState, command: Command, sources: frozenset[str]) -> Rejection | None:
    """``source_disabled`` for the first new link of a kind this server does not play."""
    for link in brought_in(state, command):
        refused = kind_refusal(media_kind(link), sources)
        if refused is not None:
            return refused
    return None
