"""The commands a client may send, and their validation.

One pydantic model per event payload: the same models validate the wire and produce the JSON
Schemas in docs/protocol.md, so the documentation cannot drift from the code. Parsing is pure
and never raises: anything a client can send becomes a command or a ``Rejection``.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Final, Literal, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, Field, ValidationError

from watchparty.core.access import MAX_ROOM_PASSWORD_BYTES
from watchparty.core.errors import Rejection, reject
from watchparty.core.fields import CleanText, DisplayName, ItemId, Seconds, VideoId
from watchparty.core.fields import Payload as _Payload
from watchparty.core.limits import (
    ID_PATTERN,
    MAX_CHAT_LENGTH,
    MAX_ITEM_ID_LENGTH,
    MAX_MUTE_SECONDS,
    MAX_QUEUE_ITEMS,
    MAX_REASON_LENGTH,
    MAX_RTT_SECONDS,
    MAX_TITLE_LENGTH,
)
from watchparty.core.media import MAX_RATE, MIN_RATE, Kind
from watchparty.core.queue_modes import QueueMode
from watchparty.core.text import DISPLAY_FORBIDDEN, NOT_TEXT, unencodable
from watchparty.core.tracks import Tracks

NAMESPACE: Final = "/rooms"  # the Socket.IO namespace every room event travels on


class _Command(_Payload):
    version: int | None = Field(
        default=None,
        ge=0,
        description="The state version this command was based on; a stale one is rejected.",
    )


class Play(_Command):
    """Start or resume playback from the current position."""


class Pause(_Command):
    """Pause at the current position."""


class Seek(_Command):
    """Jump to ``timestamp`` seconds, keeping play/pause as it is."""

    timestamp: Seconds


class ChangeVideo(_Command):
    """Switch to another video, from its start."""

    video_id: VideoId
    title: Annotated[CleanText, Field(max_length=MAX_TITLE_LENGTH)] | None = Field(
        default=None, description="Its title, if known, shown to every member."
    )
    duration: Seconds | None = Field(
        default=None, description="Its length, if known: the room moves on when it ends."
    )
    subtitles: Tracks = Field(default_factory=list, description="Its subtitle tracks.")


class QueueItemIn(_Payload):
    id: Annotated[str, Field(min_length=1, max_length=MAX_ITEM_ID_LENGTH)] | None = Field(
        default=None,
        description="Keep the id of an item already in the queue; new items get one.",
    )
    video_id: VideoId
    title: Annotated[CleanText, Field(max_length=MAX_TITLE_LENGTH)] | None = None
    duration: Seconds | None = None
    kind: Kind | None = Field(
        default=None, description="Ignored: the server derives it from video_id."
    )
    added_by: Annotated[str, Field(max_length=MAX_TITLE_LENGTH)] | None = Field(
        default=None, description="Ignored: the server keeps who added each item."
    )
    subtitles: Tracks = Field(default_factory=list, description="Its subtitle tracks.")


class UpdateQueue(_Command):
    """Replace the whole queue with ``queue`` (the order given is the new order)."""

    queue: Annotated[list[QueueItemIn], Field(max_length=MAX_QUEUE_ITEMS)]


class QueueAdd(_Command):
    """Add one item to the queue (at the end, or before ``position``)."""

    item: QueueItemIn
    position: Annotated[int, Field(ge=0)] | None = None


class QueueRemove(_Command):
    """Remove the item with this id."""

    id: ItemId


class QueueMove(_Command):
    """Move the item with this id to index ``to`` (clamped to the queue)."""

    id: ItemId
    to: Annotated[int, Field(ge=0)]


class SetRate(_Command):
    """Play at ``rate`` times real speed, for everyone, from one server instant."""

    rate: Annotated[float, Field(ge=MIN_RATE, le=MAX_RATE, allow_inf_nan=False)]


class SetSubtitles(_Command):
    """Replace the subtitle tracks of queue item ``id``, or of the current video."""

    id: ItemId | None = Field(default=None, description="A queue item; absent: the video playing.")
    subtitles: Tracks


class TimePing(_Payload):
    """Clock sync: the server answers with its time next to the client's."""

    client_time: Annotated[float, Field(allow_inf_nan=False)]
    rtt: Annotated[float, Field(ge=0, le=MAX_RTT_SECONDS, allow_inf_nan=False)] | None = Field(
        default=None,
        description="This client's current round-trip estimate, in seconds: the server "
        "schedules a room's starts far enough ahead for its slowest member.",
    )


class ConnectAuth(_Payload):
    """The ``auth`` object of a Socket.IO connection to ``/rooms``."""

    room: Annotated[str, Field(min_length=1, max_length=64)]
    name: DisplayName | None = Field(
        default=None,
        description="The display name; required for guests, the username by default when "
        "signed in.",
    )
    member_token: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="From POST /api/rooms/<id>/join; lets /leave end this connection.",
    )
    resume: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="ROOM_STATE's you.resume, after a lost connection: come back as the same "
        "member (within a few seconds) without the room seeing a leave and a join.",
    )
    token: Annotated[str, Field(min_length=1, max_length=4096)] | None = Field(
        default=None,
        description="A session token (from sign-in) to join as that user; a bad or expired "
        "one refuses the connection. Without it, the session cookie of a same-site "
        "handshake is used.",
    )
    password: Annotated[str, Field(min_length=1, max_length=MAX_ROOM_PASSWORD_BYTES)] | None = (
        Field(
            default=None,
            description="The room's password, when it has one (connect_error "
            "password_required or wrong_password says so). Not needed with an invite.",
        )
    )
    invite: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        default=None,
        description="An invite's token (the link's ?invite=): admits to a private or "
        "password room.",
    )
    guest: Annotated[str, Field(min_length=1, max_length=1024)] | None = Field(
        default=None,
        description="A guest's pass (ROOM_STATE's you.guest_token, kept by the client): "
        "the same guest again, so mutes, votes, bans and budgets follow it. Without a valid "
        "one a guest gets a new identity, and an address gets only so many.",
    )


Command = (
    Play
    | Pause
    | Seek
    | ChangeVideo
    | UpdateQueue
    | QueueAdd
    | QueueRemove
    | QueueMove
    | SetRate
    | SetSubtitles
)

COMMANDS: Final[dict[str, type[_Command]]] = {
    "PLAY": Play,
    "PAUSE": Pause,
    "SEEK": Seek,
    "CHANGE_VIDEO": ChangeVideo,
    "UPDATE_QUEUE": UpdateQueue,
    "QUEUE_ADD": QueueAdd,
    "QUEUE_REMOVE": QueueRemove,
    "QUEUE_MOVE": QueueMove,
    "SET_RATE": SetRate,
    "SET_SUBTITLES": SetSubtitles,
}


def _chat_text(value: str) -> str:
    # Control and format characters are dropped (not refused): a pasted line break or a stray
    # bidi mark should not cost someone their message.
    cleaned = "".join(ch for ch in value if unicodedata.category(ch) not in DISPLAY_FORBIDDEN)
    cleaned = cleaned.strip()
    if not cleaned:
        raise ValueError("must not be empty")
    if len(cleaned) > MAX_CHAT_LENGTH:
        raise ValueError(f"must be at most {MAX_CHAT_LENGTH} characters")
    return cleaned


MemberId = Annotated[str, Field(pattern=f"^{ID_PATTERN}$")]
Reason = Annotated[CleanText, Field(max_length=MAX_REASON_LENGTH)]


class Chat(_Payload):
    """Say something to the room."""

    text: Annotated[str, Field(max_length=4 * MAX_CHAT_LENGTH), AfterValidator(_chat_text)]


class ChatHistory(_Payload):
    """Older messages: the ``limit`` before message ``before`` (the latest when absent)."""

    before: MemberId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class MemberList(_Payload):
    """The room's member list, as it is now: a room too large to be told every change
    (``listed`` false) sends its count only."""


class DeleteChat(_Payload):
    id: MemberId


class Kick(_Payload):
    member_id: MemberId
    reason: Reason | None = None


class Mute(_Payload):
    member_id: MemberId
    seconds: Annotated[int, Field(ge=1, le=MAX_MUTE_SECONDS)]


class Ban(_Payload):
    """Ban a signed-in user from the room (by a member of theirs, or by user id)."""

    member_id: MemberId | None = None
    user_id: MemberId | None = None
    reason: Reason | None = None


class Unban(_Payload):
    user_id: MemberId


class SetControl(_Payload):
    control: Literal["everyone", "members", "owner"]


class Ended(_Payload):
    """The current video ended on this client: the room moves on (once, whoever reports)."""

    video_id: VideoId
    duration: Seconds | None = Field(
        default=None, description="The length the client's player saw (when the room has none)."
    )


class VoteSkip(_Payload):
    """Vote to skip the current video."""


class QueueVote(_Payload):
    """Vote for a queued item (``vote``: false takes the vote back), in a ``vote`` room."""

    id: ItemId
    vote: bool = True


class SetQueueMode(_Payload):
    """How the queue plays on (core.queue_modes); the owner and moderators."""

    mode: QueueMode


# A short fixed set, which every page can show and which cannot carry text.
Emoji = Literal["👍", "❤️", "😂", "😮", "😢", "🔥", "👏", "🎉"]
REACTIONS: Final[tuple[str, ...]] = get_args(Emoji)


class React(_Payload):
    """A reaction, shown over every member's player for a moment; counted, never stored."""

    emoji: Emoji


class Buffering(_Payload):
    """This client's player stalled (or is still loading) on ``video_id``. In a room that
    waits for everyone, playback pauses (``waiting``) until it reports ``READY``."""

    video_id: VideoId


class Ready(_Payload):
    """This client's player can play ``video_id`` again after a ``BUFFERING``."""

    video_id: VideoId


# The events beyond playback commands, by name (realtime.events maps them to their handlers).
def broadcast_as(event: str) -> str:
    """The event other members hear for an accepted command: the small queue operations
    (QUEUE_ADD, QUEUE_REMOVE, QUEUE_MOVE) reach them as the whole new queue, UPDATE_QUEUE."""
    return "UPDATE_QUEUE" if event.startswith("QUEUE_") else event


ROOM_EVENTS: Final[dict[str, type[_Payload]]] = {
    "CHAT": Chat,
    "CHAT_HISTORY": ChatHistory,
    "MEMBER_LIST": MemberList,
    "DELETE_CHAT": DeleteChat,
    "KICK": Kick,
    "MUTE": Mute,
    "BAN": Ban,
    "UNBAN": Unban,
    "SET_CONTROL": SetControl,
    "ENDED": Ended,
    "VOTE_SKIP": VoteSkip,
    "REACT": React,
    "QUEUE_VOTE": QueueVote,
    "SET_QUEUE_MODE": SetQueueMode,
    "BUFFERING": Buffering,
    "READY": Ready,
}


def describe_error(error: ValidationError) -> str:
    """The first problem pydantic found, as ``field: reason`` (no input values echoed)."""
    first = error.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    reason = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {reason}"


P = TypeVar("P", bound=BaseModel)


def validate(model: type[P], payload: Any) -> P | Rejection:
    """Validate one event payload; a missing payload counts as ``{}``."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        return reject("invalid_payload", detail="the payload must be a JSON object")
    where = unencodable(payload)
    if where is not None:
        return reject("invalid_payload", detail=f"{where}: {NOT_TEXT}")
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        return reject("invalid_payload", detail=describe_error(error))


def parse_command(event: str, payload: Any) -> Command | Rejection:
    """Turn a wire event into a command, or say why not."""
    model = COMMANDS.get(event)
    if model is None:
        return reject("unknown_event", event=event[:40])
    result = validate(model, payload)
    if isinstance(result, Rejection):
        return result
    return result  # type: ignore[return-value]  # COMMANDS holds Command models only
