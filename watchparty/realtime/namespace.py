"""The ``/rooms`` Socket.IO namespace: authenticate, validate, delegate, acknowledge.

Every client event ends in an acknowledgement, ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``, including unknown events and handler failures:
nothing a client sends can crash a handler or leave a room half-changed.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import socketio

from watchparty.accounts.session import Sessions
from watchparty.accounts.tokens import TokenError
from watchparty.cluster.relay import DEGRADED, Relay
from watchparty.core import ConnectAuth, Rejection, TimePing, validate
from watchparty.core.commands import NAMESPACE
from watchparty.core.errors import Unavailable, message, reject
from watchparty.core.time_ping import read_time_ping
from watchparty.logs import printable
from watchparty.ratelimit import SocketLimits
from watchparty.realtime.events import RoomEvents
from watchparty.realtime.handshake import Handshake, handshake_of
from watchparty.realtime.patches import connection_open
from watchparty.rooms.membership import JoinRefused
from watchparty.rooms.ports import RoomElsewhere
from watchparty.rooms.registry import RoomRegistry
from watchparty.store.users import User

LOST_CONNECTION = frozenset(
    {
        socketio.AsyncServer.reason.TRANSPORT_CLOSE,
        socketio.AsyncServer.reason.TRANSPORT_ERROR,
        socketio.AsyncServer.reason.PING_TIMEOUT,
    }
)
log = logging.getLogger(__name__)

Ack = dict[str, Any]


def error_ack(rejection: Rejection, **extra: Any) -> Ack:
    return {"ok": False, "error": rejection.to_wire(), **extra}


def _refuse(
    code: str, text: str | None = None, **fields: Any
) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connection: the client's ``connect_error`` gets the message (the
    catalogue's, unless ``text``) and ``data.code``."""
    text = message(code, **fields) if text is None else text
    return socketio.exceptions.ConnectionRefusedError(text, {"code": code})


def _slow_down(retry_after: int, what: str = "events") -> str:
    return f"too many {what}; try again in {retry_after} s"


class RoomNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    def __init__(
        self,
        registry: RoomRegistry,
        sessions: Sessions,
        events: RoomEvents,
        limits: SocketLimits,
        namespace: str = NAMESPACE,
        relay: Relay | None = None,
    ) -> None:
        super().__init__(namespace)
        self._registry = registry
        self._sessions = sessions
        self._table = events.table
        self._limits = limits
        self._relay = relay  # rooms shared between processes: sockets whose room is elsewhere
        # Events handled, by (event, "ok" or the error code): read by /metrics. Unknown
        # event names count as one, so a client cannot grow this without bound.
        self.events: Counter[tuple[str, str]] = Counter()
        self._known = frozenset({"TIME", *self._table})

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Route every event; unknown ones and failures still get an acknowledgement."""
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        ack = await self._handle(event, *args)
        result = "ok" if ack.get("ok") else ack["error"]["code"]
        self.events[event if event in self._known else "unknown", result] += 1
        return ack

    async def _handle(self, event: str, *args: Any) -> Ack:
        sid, payloads = args[0], args[1:]
        if len(payloads) > 1:
            return error_ack(reject("invalid_payload", detail="send one payload object"))
        payload = payloads[0] if payloads else None
        try:
            limit = self._limits.pings if event == "TIME" else self._limits.events
            verdict = await limit.hit(sid)
            if not verdict.allowed:
                detail = _slow_down(verdict.retry_after)
                return error_ack(reject("rate_limited", detail=detail))
            if event == "TIME":
                return self._time(sid, payload)
            return await self.dispatch(sid, event, payload)
        except Unavailable as unavailable:  # the database or the cluster: said where it is
            return error_ack(reject(unavailable.code))
        except Exception:
            name = printable(str(event), 40)
            log.exception("event %s from %s failed", name, sid, extra={"sid": sid, "event": name})
            return error_ack(reject("internal_error"))

    async def dispatch(self, sid: str, event: str, payload: Any) -> Ack:
        """A room event from ``sid``, rate-limited already: here, or where the room is held.
        Other processes call this for their sockets in rooms this process holds."""
        if event in self._table:
            return await self._room_event(sid, event, payload)
        return error_ack(reject("unknown_event", event=str(event)[:40]))

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        handshake = handshake_of(environ)
        address = None
        if handshake is not None:
            address = handshake.address(self._limits.trusted_proxies)
            verdict = await self._limits.connects.hit(address)
            if not verdict.allowed:
                raise _refuse("rate_limited", _slow_down(verdict.retry_after, "connections"))
        if not isinstance(auth, dict):
            raise _refuse("invalid_auth", "auth must be an object with 'room' and 'name'")
        parsed = validate(ConnectAuth, auth)
        if isinstance(parsed, Rejection):
            raise _refuse("invalid_auth", detail=parsed.message)
        try:
            user = await self._identify(parsed.token, handshake)
            name = parsed.name or (user.username if user is not None else None)
            if name is None:
                raise _refuse("invalid_auth", detail="name: a guest needs a display name")
            user_id = user.id if user is not None else None
            guest_id, guest_token = None, None
            if user is None:
                guest_id, guest_token = await self._guest(parsed.guest, address)
            auth_ = {
                "name": name,
                "ticket": parsed.member_token,
                "user_id": user_id,
                "resume": parsed.resume,
                "guest_id": guest_id,
                "address": address,
                "guest_token": guest_token,
                "password": parsed.password,
                "invite": parsed.invite,
            }
            await self._join(parsed.room, sid, auth_)
        except JoinRefused as refused:
            raise _refuse(refused.code, refused.message) from None
        except Unavailable as unavailable:  # the database, the cluster, room for one more room
            raise _refuse(unavailable.code) from None
        if not connection_open(self.server, self.namespace, sid):
            # Closed while joining: python-socketio runs no disconnect handler for a socket
            # whose connect handler was still running, so the member would stay for good.
            await self._leave(sid, lost=False)
            raise _refuse("connection_closed")
        if self._relay is not None and self._relay.degraded():
            await self.emit(DEGRADED, {"degraded": True}, to=sid)  # joined a room held here

    async def _join(self, room_id: str, sid: str, auth: dict[str, Any]) -> None:
        """Join here, or where the room is held (which may turn out to be here after all)."""
        for _ in range(3):
            try:
                await self._registry.join(room_id, sid, **auth)
                return
            except RoomElsewhere as elsewhere:
                assert self._relay is not None  # only a cluster's registry says elsewhere
                if await self._relay.join(elsewhere.holder, room_id, sid, **auth):
                    return
        raise JoinRefused("room_unavailable", message("room_unavailable"))

    async def _guest(self, presented: str | None, address: str | None) -> tuple[str, str | None]:
        """A guest's identity: the one its pass proves, or a new one (and its pass, for
        ROOM_STATE) within the per-address limit on new identities."""
        known = self._sessions.tokens.guest_id(presented)
        if known is not None:
            return known, None
        verdict = await self._limits.guests.hit(address or "unknown")
        if not verdict.allowed:
            raise _refuse("rate_limited", _slow_down(verdict.retry_after, "new guests"))
        return self._sessions.tokens.issue_guest()

    async def _identify(self, token: str | None, handshake: Handshake | None) -> User | None:
        """The signed-in user of this connection, or None for a guest.

        ``auth.token`` is explicit, so a bad one refuses the connection. The session cookie is
        read only from a same-site handshake (a page elsewhere must not borrow a visitor's
        session, even where CORS_ORIGINS lets it connect), and a stale one makes a guest, as
        over HTTP.
        """
        if token is not None:
            try:
                return await self._sessions.user_for(token)
            except TokenError as error:
                raise _refuse(error.code, error.message) from None
        if handshake is None or handshake.session is None or not handshake.same_site():
            return None
        try:
            return await self._sessions.user_for(handshake.session)
        except TokenError:
            return None

    async def on_disconnect(self, sid: str, reason: str) -> None:
        # A connection that was lost (not closed on purpose) may come back: see registry.leave.
        await self._leave(sid, lost=reason in LOST_CONNECTION)
        # Its limits go with it: they are per connection, and a new one has a new sid anyway.
        await self._limits.events.reset(sid)
        await self._limits.pings.reset(sid)

    async def _leave(self, sid: str, lost: bool) -> None:
        if self._relay is not None and sid in self._relay:
            self._relay.leave(sid, lost)
            return
        await self._registry.leave(sid, lost=lost)

    def _time(self, sid: str, payload: Any) -> Ack:
        read = read_time_ping(payload)
        if read is None:  # not in its usual form: the model says what is wrong, if anything
            ping = validate(TimePing, payload)
            if isinstance(ping, Rejection):
                return error_ack(ping)
            read = ping.client_time, ping.rtt
        client_time, rtt = read
        if rtt is not None:
            self._registry.members.note_rtt(sid, rtt)
            if self._relay is not None:
                self._relay.note_rtt(sid, rtt)
        return {"ok": True, "client_time": client_time, "server_time": self._registry.now()}

    async def _room_event(self, sid: str, event: str, payload: Any) -> Ack:
        model, handler = self._table[event]
        parsed = validate(model, payload)
        if isinstance(parsed, Rejection):
            return error_ack(parsed)
        located = self._registry.members.locate(sid)
        if located is None:
            return await self._elsewhere(sid, event, payload)
        room, member = located
        standing = self._registry.standing(room)
        if standing is not None:
            return error_ack(standing)
        result = await handler(room, member, parsed)
        return error_ack(result) if isinstance(result, Rejection) else result

    async def _elsewhere(self, sid: str, event: str, payload: Any) -> Ack:
        """An event (valid: checked here first) from a socket whose room another process
        holds: that process handles it."""
        if self._relay is None or sid not in self._relay:
            return error_ack(reject("not_joined"))
        return await self._relay.forward(sid, event, payload)
