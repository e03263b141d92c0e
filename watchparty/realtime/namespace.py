"""The ``/rooms`` Socket.IO namespace: authenticate, validate, delegate, acknowledge.

Every client event ends in an acknowledgement, ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``, including unknown events and handler failures:
nothing a client sends can crash a handler or leave a room half-changed.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio

from watchparty.realtime.registry import JoinRefused, RegistryFull, RoomRegistry
from watchparty.store.errors import StoreUnavailable
from watchparty.sync import COMMANDS, ConnectAuth, Rejection, TimePing, parse_command, validate

NAMESPACE = "/rooms"
log = logging.getLogger(__name__)

Ack = dict[str, Any]


def error_ack(rejection: Rejection, **extra: Any) -> Ack:
    return {"ok": False, "error": rejection.to_wire(), **extra}


class RoomNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(self, registry: RoomRegistry, namespace: str = NAMESPACE) -> None:
        super().__init__(namespace)
        self._registry = registry

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Route every event; unknown ones and failures still get an acknowledgement."""
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid, payloads = args[0], args[1:]
        if len(payloads) > 1:
            return error_ack(Rejection("invalid_payload", "send one payload object"))
        payload = payloads[0] if payloads else None
        try:
            if event == "TIME":
                return self._time(payload)
            if event in COMMANDS:
                return await self._command(sid, event, payload)
            return error_ack(Rejection("unknown_event", f"unknown event {str(event)[:40]!r}"))
        except Exception:
            log.exception("event %s failed", str(event)[:40])
            return error_ack(Rejection("internal_error", "the server could not handle this"))

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        if not isinstance(auth, dict):
            raise socketio.exceptions.ConnectionRefusedError(
                "auth must be an object with 'room' and 'name'", {"code": "invalid_auth"}
            )
        parsed = validate(ConnectAuth, auth)
        if isinstance(parsed, Rejection):
            raise socketio.exceptions.ConnectionRefusedError(
                f"invalid auth: {parsed.message}", {"code": "invalid_auth"}
            )
        try:
            await self._registry.join(parsed.room, sid, parsed.name, parsed.member_token)
        except JoinRefused as refused:
            raise socketio.exceptions.ConnectionRefusedError(
                refused.message, {"code": refused.code}
            ) from None
        except StoreUnavailable:
            raise socketio.exceptions.ConnectionRefusedError(
                "the database is unavailable; try again shortly", {"code": "database_unavailable"}
            ) from None
        except RegistryFull:
            raise socketio.exceptions.ConnectionRefusedError(
                "this server cannot hold more rooms", {"code": "capacity_reached"}
            ) from None

    async def on_disconnect(self, sid: str, reason: str) -> None:
        await self._registry.leave(sid)

    def _time(self, payload: Any) -> Ack:
        ping = validate(TimePing, payload)
        if isinstance(ping, Rejection):
            return error_ack(ping)
        return {"ok": True, "client_time": ping.client_time, "server_time": self._registry.now()}

    async def _command(self, sid: str, event: str, payload: Any) -> Ack:
        located = self._registry.locate(sid)
        if located is None:
            return error_ack(Rejection("not_joined", "this connection is not in a room"))
        room, member = located
        command = parse_command(event, payload)
        if isinstance(command, Rejection):
            return error_ack(command)
        result = await self._registry.execute(room, member, event, command)
        if isinstance(result, Rejection):
            if result.code == "stale_version":
                return error_ack(result, state=room.state.to_wire())
            return error_ack(result)
        return {"ok": True, "state": result.state.to_wire()}
