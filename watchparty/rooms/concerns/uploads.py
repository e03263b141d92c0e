"""Uploaded files kept with a room (subtitles): deleted when the room is."""

from __future__ import annotations

from watchparty.rooms.concerns import Concern
from watchparty.rooms.writebehind import WriteQueue
from watchparty.store.subtitles import SubtitleStore


class Uploads(Concern):
    def __init__(self, subtitles: SubtitleStore, writes: WriteQueue) -> None:
        self._subtitles = subtitles
        self._writes = writes

    def on_delete(self, room_id: str) -> None:
        self._writes.put(lambda: self._subtitles.delete_room(room_id))
