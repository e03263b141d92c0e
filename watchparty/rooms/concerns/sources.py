"""The server's kinds of link (``WATCHPARTY_SOURCES``), enforced on every command that brings
a link into a room (core.sources)."""

from __future__ import annotations

from watchparty.core import Command, Rejection
from watchparty.core.media import Kind
from watchparty.core.sources import refusal
from watchparty.rooms.concerns import Concern
from watchparty.rooms.live import LiveRoom


class Sources(Concern):
    def __init__(self, sources: frozenset[Kind]) -> None:
        self._sources = sources

    def before_command(self, room: LiveRoom, command: Command) -> Rejection | None:
        return refusal(room.state, command, self._sources)
