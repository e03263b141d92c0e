"""Pure room logic: no sockets, no database, no clock reads (time is an argument)."""

from watchparty.sync.commands import (
    COMMANDS,
    ChangeVideo,
    Command,
    ConnectAuth,
    Pause,
    Play,
    QueueItemIn,
    Rejection,
    Seek,
    TimePing,
    UpdateQueue,
    parse_command,
    validate,
)
from watchparty.sync.engine import Accepted, apply
from watchparty.sync.state import QueueItem, RoomState, current_position, new_room

__all__ = [
    "COMMANDS",
    "Accepted",
    "ChangeVideo",
    "Command",
    "ConnectAuth",
    "Pause",
    "Play",
    "QueueItem",
    "QueueItemIn",
    "Rejection",
    "RoomState",
    "Seek",
    "TimePing",
    "UpdateQueue",
    "apply",
    "current_position",
    "new_room",
    "parse_command",
    "validate",
]
