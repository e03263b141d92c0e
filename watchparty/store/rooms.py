"""The ``rooms`` collection: one document per room, its queue embedded.

A room is always written whole (``replace_one``) under a revision filter: a write only lands
if the stored revision is older, so a slow or retried writer can never put a room back to an
earlier state, and no update operator is needed (nx-27017 gets several of them wrong). The
revision counts every change (each command, which also bumps the playback ``version``, and
each rename or permission change, which does not). Saving never creates a room: a room that
was deleted stays deleted even if a write for it was already on its way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from watchparty.core import QueueItem, RoomState, Track
from watchparty.core.access import VISIBILITIES, Door, Invite, Visibility
from watchparty.core.policy import CONTROLS, Control
from watchparty.core.queue_modes import QUEUE_MODES, QueueMode
from watchparty.store.errors import StoreUnavailable, unavailable_on_failure
from watchparty.store.times import as_utc

Document = dict[str, Any]


@dataclass(frozen=True)
class RoomInfo:
    """What a room is, apart from its playback: changed rarely, and never by a command."""

    name: str | None = None
    owner_id: str | None = None
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    control: Control = "everyone"
    moderators: tuple[str, ...] = ()  # user ids the owner named
    banned: tuple[str, ...] = ()  # user ids refused on connect
    skip_threshold: float = 0.5  # share of members whose VOTE_SKIP skips the video
    wait_for_all: bool = False  # pause while a member's player stalls (rooms.concerns.buffering)
    queue_mode: QueueMode = "manual"  # which item plays next (core.queue_modes)
    visibility: Visibility = "unlisted"  # who may find and enter it (core.access)
    password_hash: str | None = None  # bcrypt, like accounts' (never sent anywhere)
    allowed: tuple[str, ...] = ()  # user ids a private room admits without an invite
    invites: tuple[Invite, ...] = ()  # their tokens are secrets: only the owner lists them

    @property
    def door(self) -> Door:
        return Door(self.visibility, self.password_hash is not None, self.invites)

    def to_wire(self) -> dict[str, Any]:
        """The ROOM_INFO object of the protocol."""
        return {
            "name": self.name,
            "owner_id": self.owner_id,
            "control": self.control,
            "moderators": list(self.moderators),
            "banned": list(self.banned),
            "skip_threshold": self.skip_threshold,
            "wait_for_all": self.wait_for_all,
            "queue_mode": self.queue_mode,
            "visibility": self.visibility,
            "password": self.password_hash is not None,
            "allowed": list(self.allowed),
        }


@dataclass(frozen=True)
class RoomRecord:
    """What is stored about a room (the live members are not)."""

    state: RoomState
    info: RoomInfo = field(default_factory=RoomInfo)
    revision: int = 0
    # When a free-plan room is deleted unless used again (a TTL index); None: it persists.
    expires_at: dt.datetime | None = None
    viewers: int = 0  # members when saved: the public list sorts by it

    @property
    def id(self) -> str:
        return self.state.room


def _older(record: RoomRecord) -> Document:
    """The stored room, if its revision is older than ``record``'s."""
    return {
        "_id": record.id,
        "$or": [{"revision": {"$lt": record.revision}}, {"revision": {"$exists": False}}],
    }


def to_document(record: RoomRecord) -> Document:
    state, info = record.state, record.info
    return {
        "_id": state.room,
        "name": info.name,
        "owner_id": info.owner_id,
        "created_at": info.created_at,
        "version": state.version,
        "revision": record.revision,
        "playback": {
            "video_id": state.video_id,
            "position": state.position,
            "playing": state.playing,
            "rate": state.rate,
            "updated_at": state.updated_at,
            "duration": state.duration,
            "title": state.title,
            "waiting": state.waiting,
            "lead_rate": state.lead_rate,
            "subtitles": [t.to_wire() for t in state.subtitles],
        },
        "queue": [
            {
                "id": i.id,
                "video_id": i.video_id,
                "title": i.title,
                "duration": i.duration,
                "subtitles": [t.to_wire() for t in i.subtitles],
                "by": i.by,
                "by_name": i.by_name,
            }
            for i in state.queue
        ],
        "control": info.control,
        "moderators": list(info.moderators),
        "banned": list(info.banned),
        "skip_threshold": info.skip_threshold,
        "wait_for_all": info.wait_for_all,
        "queue_mode": info.queue_mode,
        "visibility": info.visibility,
        "password_hash": info.password_hash,
        "allowed": list(info.allowed),
        "invites": [
            {
                "token": i.token,
                "created_at": i.created_at,
                "expires_at": i.expires_at,
                "uses": i.uses,
                "used_by": list(i.used_by),
            }
            for i in info.invites
        ],
        "viewers": record.viewers,
        "expires_at": record.expires_at,
    }


def from_document(doc: Document) -> RoomRecord:
    playback = doc["playback"]
    created_at = as_utc(doc["created_at"])
    state = RoomState(
        room=str(doc["_id"]),
        version=int(doc["version"]),
        video_id=playback["video_id"],
        playing=bool(playback["playing"]),
        position=float(playback["position"]),
        updated_at=float(playback["updated_at"]),
        rate=float(playback["rate"]),
        duration=None if playback.get("duration") is None else float(playback["duration"]),
        title=playback.get("title"),
        waiting=bool(playback.get("waiting", False)),
        lead_rate=float(playback.get("lead_rate") or 0.0),
        subtitles=_tracks(playback),
        queue=tuple(
            QueueItem(
                id=str(item["id"]),
                video_id=str(item["video_id"]),
                title=item.get("title"),
                duration=None if item.get("duration") is None else float(item["duration"]),
                subtitles=_tracks(item),
                by=item.get("by"),
                by_name=item.get("by_name"),
            )
            for item in doc.get("queue", [])
        ),
    )
    control = doc.get("control")
    info = RoomInfo(
        name=doc.get("name"),
        owner_id=doc.get("owner_id"),
        created_at=created_at,
        control=control if control in CONTROLS else "everyone",
        moderators=tuple(str(m) for m in doc.get("moderators") or ()),
        banned=tuple(str(b) for b in doc.get("banned") or ()),
        skip_threshold=float(doc.get("skip_threshold") or 0.5),
        wait_for_all=bool(doc.get("wait_for_all", False)),
        queue_mode=mode if (mode := doc.get("queue_mode")) in QUEUE_MODES else "manual",
        visibility=seen if (seen := doc.get("visibility")) in VISIBILITIES else "unlisted",
        password_hash=doc.get("password_hash"),
        allowed=tuple(str(u) for u in doc.get("allowed") or ()),
        invites=tuple(_invite(i) for i in doc.get("invites") or ()),
    )
    expires_at = None if doc.get("expires_at") is None else as_utc(doc["expires_at"])
    # Rooms saved before revisions existed count from their version.
    revision = int(doc.get("revision", state.version))
    viewers = int(doc.get("viewers") or 0)
    return RoomRecord(
        state=state, info=info, revision=revision, expires_at=expires_at, viewers=viewers
    )


def _invite(doc: Document) -> Invite:
    return Invite(
        token=str(doc["token"]),
        created_at=float(doc["created_at"]),
        expires_at=None if doc.get("expires_at") is None else float(doc["expires_at"]),
        uses=None if doc.get("uses") is None else int(doc["uses"]),
        used_by=tuple(str(k) for k in doc.get("used_by") or ()),
    )


def _tracks(doc: Document) -> tuple[Track, ...]:
    """Subtitle tracks (rooms saved before they existed have none)."""
    return tuple(Track.from_wire(t) for t in doc.get("subtitles") or ())


class RoomStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("owner_id")
        await self._collection.create_index("expires_at", expireAfterSeconds=0)
        await self._collection.create_index([("visibility", 1), ("viewers", -1)])

    async def insert(self, record: RoomRecord) -> bool:
        """Write a new room; False if the id is taken."""
        try:
            async with unavailable_on_failure():
                await self._collection.insert_one(to_document(record))
        except DuplicateKeyError:
            return False
        return True

    async def load(self, room_id: str) -> RoomRecord | None:
        """The room, or None if there is none (or it has expired: the TTL monitor that
        deletes expired rooms runs only once a minute)."""
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"_id": room_id})
        record = None if doc is None else from_document(doc)
        if record is None or (record.expires_at and record.expires_at <= dt.datetime.now(dt.UTC)):
            return None
        return record

    async def keep_rooms_of(self, owner_id: str) -> None:
        """Take the expiry off every stored room of ``owner_id`` (they upgraded)."""
        async with unavailable_on_failure():
            await self._collection.update_many(
                {"owner_id": owner_id}, {"$set": {"expires_at": None}}
            )

    async def save(self, record: RoomRecord) -> bool:
        """Write ``record`` unless the stored room is at its revision or newer, or gone.

        True if this write landed; False if a newer (or the same) revision was already there,
        or the room was deleted.
        """
        async with unavailable_on_failure():
            result = await self._collection.replace_one(_older(record), to_document(record))
        return result.matched_count == 1

    async def save_many(self, records: Sequence[RoomRecord]) -> list[Exception | None]:
        """Write each record as ``save`` does, all in one request: what the write-behind
        gathered costs one round trip, not one per room (docs/measurements/2026-12-07-time-path.md).

        Per record, None (written, or a newer revision was there, or the room is gone) or
        why it was refused for what it holds; ``StoreUnavailable`` for an outage, after which
        the whole batch may be written again (the revision filter makes that harmless).
        """
        requests = [ReplaceOne(_older(record), to_document(record)) for record in records]
        try:
            async with unavailable_on_failure():
                await self._collection.bulk_write(requests, ordered=False)
        except StoreUnavailable:
            raise
        except Exception:
            # Some record refused, by the driver (it cannot encode it) or by the database:
            # each alone, to find which (those already written are stale now, and skipped).
            return [await self._save_alone(record) for record in records]
        return [None] * len(records)

    async def _save_alone(self, record: RoomRecord) -> Exception | None:
        try:
            await self.save(record)
        except StoreUnavailable:
            raise
        except Exception as error:
            return error
        return None

    async def delete(self, room_id: str) -> bool:
        async with unavailable_on_failure():
            result = await self._collection.delete_one({"_id": room_id})
        return result.deleted_count == 1

    async def count_owned(self, owner_id: str) -> int:
        async with unavailable_on_failure():
            return await self._collection.count_documents({"owner_id": owner_id})

    async def owned_by(self, owner_id: str, limit: int) -> list[RoomRecord]:
        """The rooms ``owner_id`` created, newest first."""
        async with unavailable_on_failure():
            cursor = self._collection.find({"owner_id": owner_id}).sort("created_at", -1)
            return [from_document(doc) async for doc in cursor.limit(limit)]

    async def public(self, offset: int, limit: int) -> tuple[list[RoomRecord], int]:
        """A page of the public rooms, most viewers first (then by id, so that pages do not
        overlap), and how many there are. Every process reads the same list: viewer counts
        are saved with the room, at most a write-behind moment late."""
        query = {"visibility": "public"}
        async with unavailable_on_failure():
            total = await self._collection.count_documents(query)
            cursor = self._collection.find(query).sort([("viewers", -1), ("_id", 1)])
            records = [from_document(doc) async for doc in cursor.skip(offset).limit(limit)]
        # A room saved between the count and the read: the total is at least what was read.
        total = max(total, offset + len(records))
        now = dt.datetime.now(dt.UTC)
        return [r for r in records if r.expires_at is None or r.expires_at > now], total
