"""Every reach into python-socketio's and python-engineio's internals but the fan-out's
(realtime.fanout), each naming the upstream behaviour it works around and the test that
fails if the library changes (docs/decisions/005-library-patches.md):

- guards on what clients send: packets that do not parse, binary data, long-polling bodies
  that do not decode, client events named like the library's lifecycle events. Each closes
  or answers the one connection at fault with one log line, where the libraries log a
  traceback per message or act on it;
- a look at whether a connecting socket is still open;
- two fixes to their shutdown (a polling client's pending GET, websockets' writers);
- each connection's packet queue and poll: lighter than engine.io's, and answering a
  long-polling GET with no more packets than python-engineio's own client accepts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from engineio import exceptions as engineio_exceptions
from engineio.async_socket import AsyncSocket
from socketio import packet as sio_packet

from watchparty.realtime.engine_socket import override
from watchparty.realtime.slim_queue import SlimQueue

log = logging.getLogger(__name__)


# The names python-socketio gives its own lifecycle handlers.
RESERVED_EVENTS = frozenset({"connect", "disconnect"})


def refuse_reserved_events(server: socketio.AsyncServer) -> None:
    """Answer a *client's* event named ``connect`` or ``disconnect`` with ``unknown_event``.

    python-socketio (5.18) hands such an event to the same namespace handler as the real connection
    and disconnection (found by tests/integration/test_fuzz.py): a client could fake its own
    disconnect and leave its room's member list while its socket stayed in the room. Real lifecycle
    events do not pass through ``_handle_event_internal``, client events do, so the guard sits
    there. tests/integration/test_realtime.py::test_a_client_cannot_fake_lifecycle_events fails if
    the library changes underneath.
    """
    handle = server._handle_event_internal

    async def guarded(
        srv: Any, sid: str, eio_sid: str, data: list[Any], namespace: str, ack_id: Any
    ) -> None:
        if data and isinstance(data[0], str) and data[0] in RESERVED_EVENTS:
            if ack_id is not None:
                error = {"code": "unknown_event", "message": f"{data[0]!r} is reserved"}
                await srv._send_packet(
                    eio_sid,
                    srv.packet_class(
                        sio_packet.ACK,
                        namespace=namespace,
                        id=ack_id,
                        data=[{"ok": False, "error": error}],
                    ),
                )
            return
        await handle(srv, sid, eio_sid, data, namespace, ack_id)

    server._handle_event_internal = guarded


def handle_inline(server: socketio.AsyncServer, events: frozenset[str]) -> None:
    """Handle these client events in the task that read them, not a task of their own.

    python-socketio starts a task per event (``async_handlers``) so that a slow handler does not
    hold the connection's next messages. The clock ping (``TIME``), most of a hosted service's
    messages, never waits on anything (its rate limit lives in memory), so its task is pure
    cost (decision 005). tests/integration/test_realtime.py::
    test_clock_pings_are_answered_without_a_task fails if the library's dispatch changes.
    """
    handle_event = server._handle_event

    async def handle(eio_sid: str, namespace: str | None, ack_id: Any, data: Any) -> None:
        if not (isinstance(data, list) and data and data[0] in events):
            await handle_event(eio_sid, namespace, ack_id, data)
            return
        namespace = namespace or "/"
        sid = server.manager.sid_from_eio_sid(eio_sid, namespace)
        if server.manager.is_connected(sid, namespace):
            await server._handle_event_internal(server, sid, eio_sid, data, namespace, ack_id)

    server._handle_event = handle


def _parse(server: socketio.AsyncServer, data: Any, binary: bool = False) -> Any:
    """A client's Engine.IO message as a Socket.IO packet, or why it cannot be one of ours
    (a string).

    The protocol has no binary payloads. python-socketio keeps a BINARY_EVENT's attachments
    until as many have arrived as its header announced, and its fix for the advisory caps
    only the count's digits: ``459999999999-/rooms,[...]`` and then 256 KiB frames held
    +16 MB for 60 of them. So a binary frame, or a packet announcing attachments, is refused
    before the library stores anything.
    """
    if not isinstance(data, str):
        return None if binary else "sent a binary frame"
    try:
        pkt = server.packet_class(encoded_packet=data)
    except (ValueError, TypeError, RecursionError, IndexError, KeyError):
        return "sent a packet that does not parse"
    kind = pkt.packet_type
    if kind in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK) and not binary:
        return "announced binary attachments"
    if kind in (sio_packet.EVENT, sio_packet.BINARY_EVENT):
        if isinstance(pkt.data, list) and bool(pkt.data) and isinstance(pkt.data[0], str):
            return pkt
    elif kind in (sio_packet.ACK, sio_packet.BINARY_ACK):
        if isinstance(pkt.data, list):
            return pkt
    elif kind in (sio_packet.CONNECT, sio_packet.DISCONNECT):
        return pkt
    return "sent a packet that does not parse"


def close_on_malformed_packets(server: socketio.AsyncServer, *, binary: bool = False) -> None:
    """Close a connection that sends a packet that does not parse, or any binary data, as
    Node's socket.io does ("parse error"), logging one line, instead of python-socketio's (5.18)
    traceback at ERROR for every such packet (JSON nested deeper than the parser recurses, cut
    short, an event that is not an array or has no name; found by tests/integration/test_fuzz.py),
    which let one client flood the logs. An event, most of what clients send (the clock ping),
    is handed on as parsed here, as the library's own ``_handle_eio_message`` would; any other
    packet is parsed once more by the library.
    tests/integration/test_fuzz.py::test_malformed_frames_close_that_connection_only and
    tests/integration/test_hostile_packets.py guard it. ``binary`` lets binary packets through (the
    Socket.IO protocol's own conformance checks send them; watchparty's protocol has none).
    """
    handle = server._handle_eio_message

    async def guarded(eio_sid: str, data: Any) -> None:
        if binary and eio_sid in server._binary_packet:
            await handle(eio_sid, data)  # an attachment the library is collecting
            return
        parsed = _parse(server, data, binary)
        if isinstance(parsed, str):
            log.info("closing connection %s: it %s", eio_sid, parsed)
            socket = server.eio.sockets.get(eio_sid)
            if socket is not None and not socket.upgraded:
                # Over long-polling the library's disconnect waits for its CLOSE packet to be
                # polled, holding the POST that carried this packet until the ping timeout.
                await socket.close(wait=False, reason=server.eio.reason.TRANSPORT_ERROR)
            else:
                await server.eio.disconnect(eio_sid)
            return
        if parsed is not None and parsed.packet_type == sio_packet.EVENT:
            await server._handle_event(eio_sid, parsed.namespace, parsed.id, parsed.data)
            return
        await handle(eio_sid, data)

    server.eio.on("message", guarded)  # in place of the library's own handler


# What python-engineio (4.15) raises on a long-polling POST body that does not decode: an
# empty packet, bytes that are not UTF-8, a type that is not a number, JSON nested deeper
# than its parser recurses, bad base64.
UNDECODABLE = (ValueError, TypeError, IndexError, KeyError, RecursionError, UnicodeDecodeError)


def refuse_malformed_polls(server: socketio.AsyncServer) -> None:
    """Answer a long-polling POST whose body does not decode with 400 and close that
    connection, logging one line, instead of python-engineio's traceback at ERROR and a 200
    for every such body (its handler catches everything else as "post request handler
    error"). Each socket's ``handle_post_request`` closes the socket and turns those errors
    into the library's own ``EngineIOError``, on which it answers 400 and forgets it.
    tests/integration/test_hostile_packets.py::test_malformed_polling_bodies_are_refused guards it.
    """
    override(server.eio, "handle_post_request", _guarded_post)


async def _guarded_post(socket: Any, environ: Any) -> None:
    try:
        await AsyncSocket.handle_post_request(socket, environ)
    except UNDECODABLE:
        log.info("closing connection %s: it sent a body that does not decode", socket.sid)
        # Not waiting for the CLOSE packet to be polled: the library's own disconnect would,
        # and hold this POST until the ping timeout.
        await socket.close(wait=False, reason=socket.server.reason.TRANSPORT_ERROR)
        raise engineio_exceptions.EngineIOError from None


def engine_socket(server: socketio.AsyncServer, namespace: str, sid: str) -> Any:
    """The engine.io socket under a Socket.IO socket, or None if this process has none."""
    return server.eio.sockets.get(server.manager.eio_sid_from_sid(sid, namespace))


def connection_open(server: socketio.AsyncServer, namespace: str, sid: str) -> bool:
    """Whether the connection under this Socket.IO socket is still open.

    python-socketio (5.18) runs no disconnect handler for a socket whose connection closes
    while its connect handler is still running (it is not connected yet), so that handler
    must look for itself before it returns. engine.io reads nothing from a connection while
    its connect handler runs, so such a close comes from the server's side: a heartbeat that
    timed out (a join held up by the database), a slow reader dropped, a restart.

    An engine.io socket is ``closing`` before its disconnect event runs, and between this
    check and python-socketio marking the socket connected nothing suspends (but engine.io's
    ping-timeout check as it sends the CONNECT packet, which closes a connection already
    dead), so a close after it does reach the disconnect handler.
    tests/integration/test_realtime.py::test_a_connection_closed_while_joining_leaves_no_member
    fails if that changes.
    """
    socket = engine_socket(server, namespace, sid)
    return socket is not None and not socket.closing and not socket.closed


def release_polls_on_close(server: socketio.AsyncServer) -> None:
    """End a long-polling client's pending GET when its connection closes.

    python-engineio (4.15) closes a socket on the client's CLOSE packet without waking the
    GET that is waiting in ``poll()``, so that request lingers for ping interval + timeout
    (45 s): python-socketio's client waits for it before ``disconnect()`` returns, and
    aiohttp's graceful shutdown waits for the handler. Putting ``None`` on the socket's queue
    is how the library itself releases a websocket's writer; the same ends the poll with an
    empty answer. tests/integration/test_realtime.py::test_polling_client_disconnects_promptly
    fails if it stops working.
    """
    engine = server.eio
    handle_disconnect = engine.handlers["disconnect"]

    async def on_disconnect(eio_sid: str, reason: Any) -> None:
        await handle_disconnect(eio_sid, reason)
        socket = engine.sockets.get(eio_sid)
        # Only a polling client's own CLOSE leaves a GET hanging: when the server closes, its
        # CLOSE packet answers the poll, and a websocket's writer must still send that packet.
        if socket is not None and not socket.upgraded and reason == engine.reason.CLIENT_DISCONNECT:
            socket.queue.put_nowait(None)

    engine.on("disconnect", on_disconnect)


# python-engineio's client (4.x) refuses a long-polling payload of more than 16 packets
# (``Payload.max_decode_packets``) and drops the connection.
MAX_PACKETS_PER_POLL = 16


def own_packet_queues(server: socketio.AsyncServer) -> None:
    """Each connection's outgoing packets: a ``SlimQueue`` (realtime/slim_queue.py: ~2 KiB
    and, on Python 3.11, a task less per idle connection) and a poll of our own on it, which
    answers a long-polling GET with at most ``MAX_PACKETS_PER_POLL`` packets.

    python-engineio's server (4.15) answers a GET with everything queued, while its own
    client raises on more than 16 packets in one payload and drops the connection: a busy room
    (a burst of commands, chat, MEMBERS) disconnected every python-socketio client that was
    still polling. The rest stay queued for the next GET, which the client sends at once; a
    websocket's writer keeps taking everything (it sends one frame per packet).
    tests/integration/test_realtime.py::test_a_busy_room_does_not_drop_a_polling_python_client
    and tests/unit/realtime/test_slim_queue.py fail if this stops working.
    """
    engine = server.eio
    engine.create_queue = SlimQueue
    override(engine, "poll", _capped_poll)


async def _capped_poll(socket: Any) -> list[Any]:
    """python-engineio's ``AsyncSocket.poll``, but waiting on the queue's ``ready()`` (no task,
    nothing taken until it runs again) and stopping at ``MAX_PACKETS_PER_POLL`` packets while
    the socket still polls."""
    queue: SlimQueue = socket.queue
    timeout = socket.server.ping_interval + socket.server.ping_timeout
    try:
        await asyncio.wait_for(queue.ready(), timeout)
    except (TimeoutError, asyncio.CancelledError):
        raise engineio_exceptions.QueueEmpty() from None
    first = queue.get_nowait()
    queue.task_done()
    if first is None:
        return []
    packets = [first]
    while socket.upgraded or len(packets) < MAX_PACKETS_PER_POLL:
        try:
            packet = queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        queue.task_done()
        if packet is None:
            # The end of the socket: put back for the next call, as the library does.
            queue.put_nowait(None)
            break
        packets.append(packet)
    return packets


async def close_all_connections(server: socketio.AsyncServer) -> None:
    """Close every client connection now, as a restart begins; clients reconnect on their own.

    python-engineio's ``disconnect()`` queues a CLOSE packet but leaves each websocket's
    writer waiting for more until the ping timeout (45 s), and aiohttp's shutdown waits for
    those handlers: a restart would stall that long (Heroku allows 30 s). So each socket gets
    ``None``, the library's own signal that ends its writer, which closes the websocket
    (``close_connection``). Guarded by
    tests/e2e/test_main.py::test_sigterm_with_clients_connected_exits_promptly.
    """
    engine = server.eio
    for socket in list(engine.sockets.values()):
        await close_connection(engine, socket)


async def close_connection(engine: Any, socket: Any) -> None:
    """Close one connection so that its client reconnects.

    A websocket just closes (``None`` ends its writer, which closes it), as a dropped
    connection would: every Socket.IO client reconnects after that, while python-socketio's
    client takes an Engine.IO CLOSE packet as final. A long-polling client can only be told
    with CLOSE (the browser client reconnects after it).
    """
    if not socket.upgraded:
        await socket.close(wait=False, reason=engine.reason.SERVER_DISCONNECT)
    socket.queue.put_nowait(None)
