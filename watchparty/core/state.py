"""A room's authoritative state, as immutable values.

Playback is stored as a position at a server time (``updated_at``); the current position is
derived from the clock rather than ticked, so the server does no work while a video plays and
every client can compute where to be *now* from one message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchparty.core.limits import MAX_POSITION_SECONDS
from watchparty.core.media import is_live, media_kind, rates_for
from watchparty.core.tracks import Track


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: str
    video_id: str
    title: str | None = None
    duration: float | None = None
    subtitles: tuple[Track, ...] = ()
    by: str | None = None  # who added it (a member's key: queue modes take turns by it)
    by_name: str | None = None  # their name then, for people
    # Read from the link once: every STATE written shows every item's kind.
    kind: str | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", media_kind(self.video_id))

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "video_id": self.video_id,
            "kind": self.kind,
            "title": self.title,
            "duration": self.duration,
            "subtitles": [track.to_wire() for track in self.subtitles],
            "added_by": self.by_name,
        }


@dataclass(frozen=True, slots=True)
class RoomState:
    room: str
    version: int
    video_id: str | None
    playing: bool
    position: float
    updated_at: float
    rate: float
    queue: tuple[QueueItem, ...]
    duration: float | None = None  # of the current video, when known
    title: str | None = None  # of the current video, when known
    # Paused only until the members who stalled can play again (a room set to wait for
    # everyone); it plays on from here by itself (rooms.concerns.buffering).
    waiting: bool = False
    subtitles: tuple[Track, ...] = ()  # of the current video
    # How fast the position moves before ``updated_at``: 0 while a start is still to come
    # (the position holds), the old rate while a rate change is (everyone switches at once).
    lead_rate: float = 0.0

    @property
    def video_kind(self) -> str | None:
        return None if self.video_id is None else media_kind(self.video_id)

    def to_wire(self) -> dict[str, Any]:
        """The STATE object of the protocol (docs/protocol.md)."""
        return {
            "room": self.room,
            "version": self.version,
            "video_id": self.video_id,
            "video_kind": self.video_kind,
            "playing": self.playing,
            "position": self.position,
            "updated_at": self.updated_at,
            "rate": self.rate,
            "lead_rate": self.lead_rate,
            "rates": _listed(rates_for(self.video_kind)),
            "live": self.video_id is not None and is_live(self.video_id),
            "duration": self.duration,
            "title": self.title,
            "waiting": self.waiting,
            "queue": [item.to_wire() for item in self.queue],
            "subtitles": [track.to_wire() for track in self.subtitles],
        }


def _listed(rates: tuple[float, ...] | None) -> list[float] | None:
    return None if rates is None else list(rates)


def new_room(room_id: str, now: float) -> RoomState:
    """An empty, paused room at version 0."""
    return RoomState(
        room=room_id,
        version=0,
        video_id=None,
        playing=False,
        position=0.0,
        updated_at=now,
        rate=1.0,
        queue=(),
    )


def ends_at(state: RoomState) -> float | None:
    """The server time the current video ends at, if it is playing and its length is known."""
    if not state.playing or state.duration is None or state.rate <= 0:
        return None
    return state.updated_at + max(0.0, state.duration - state.position) / state.rate


def current_position(state: RoomState, now: float) -> float:
    """Where playback is at server time ``now``; never negative, never past the limit.

    Before ``updated_at`` the position moves at ``lead_rate``: a start scheduled for later
    holds it (0), a rate change scheduled for later keeps the old rate until then.
    """
    if not state.playing:
        return state.position
    if now < state.updated_at:
        return max(0.0, state.position - (state.updated_at - now) * state.lead_rate)
    elapsed = now - state.updated_at
    return min(MAX_POSITION_SECONDS, state.position + elapsed * state.rate)


def rate_at(state: RoomState, now: float) -> float:
    """How fast the position moves at ``now`` (0 when paused or before a start)."""
    if not state.playing:
        return 0.0
    return state.rate if now >= state.updated_at else state.lead_rate
