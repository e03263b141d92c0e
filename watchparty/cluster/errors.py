"""What goes wrong between processes."""

from __future__ import annotations


class ClusterUnavailable(Exception):
    """Redis, which the processes coordinate through, cannot be reached."""


class PeerGone(Exception):
    """Another process did not answer (it is gone, or too slow to count on)."""


class RoomElsewhere(Exception):
    """Another process is this room's authority: the request must go there."""

    def __init__(self, room_id: str, holder: str) -> None:
        super().__init__(room_id)
        self.room_id = room_id
        self.holder = holder
