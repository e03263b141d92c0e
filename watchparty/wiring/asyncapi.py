"""docs/asyncapi.yaml: an AsyncAPI 3 description of the ``/rooms`` Socket.IO namespace, made
from the models that validate what clients send (core.commands) and describe what the server
sends (core.messages).

``python -m watchparty.wiring.asyncapi`` rewrites the file; a test fails when it and the models
disagree, another checks a real session against the models, and the npm AsyncAPI parser
validates the file (tests/js/unit/asyncapi.test.mjs). Socket.IO has no AsyncAPI binding: an
event is a message named after it, its acknowledgement the operation's reply.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from watchparty import __version__
from watchparty.core.commands import COMMANDS, ROOM_EVENTS, ConnectAuth, TimePing
from watchparty.core.errors import ERRORS
from watchparty.core.messages import (
    ACKS,
    CONNECT_ERRORS,
    SERVER_EVENTS,
    ConnectRefused,
    Refused,
)

ASYNCAPI_YAML = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
REF = "#/components/schemas/{model}"
CHANNEL = {"$ref": "#/channels/rooms"}

DESCRIPTION = """\
The `/rooms` namespace of watchparty's Socket.IO server (Engine.IO 4, Socket.IO 5; any \
Socket.IO v4 client). A connection joins one room, named in the handshake's `auth`; the \
server answers `ROOM_STATE` or refuses with `connect_error`. Every client event should be \
sent with an acknowledgement: `{"ok": true, ...}` or `{"ok": false, "error": {"code", \
"message", "params"?}}` (the codes: docs/protocol.md). Times are the server's clock in \
seconds; `TIME` estimates its offset. The prose, with every rule: docs/protocol.md."""


def _client_events() -> dict[str, type[BaseModel]]:
    return {**COMMANDS, "TIME": TimePing, **ROOM_EVENTS}


def _schemas() -> tuple[dict[type[BaseModel], str], dict[str, Any]]:
    models: set[type[BaseModel]] = {
        ConnectAuth,
        ConnectRefused,
        Refused,
        *_client_events().values(),
        *SERVER_EVENTS.values(),
        *ACKS.values(),
    }
    ordered = sorted(models, key=lambda m: m.__name__)
    keys, defs = models_json_schema([(m, "validation") for m in ordered], ref_template=REF)
    refs = {m: str(keys[(m, "validation")]["$ref"]) for m in ordered}
    return refs, dict(defs.get("$defs", {}))


def _message(name: str, model: type[BaseModel], refs: dict[type[BaseModel], str]) -> Any:
    message: dict[str, Any] = {"name": name, "payload": {"$ref": refs[model]}}
    doc = (model.__doc__ or "").strip()
    if doc and not doc.startswith(("Usage docs", "A base class")):
        message["summary"] = " ".join(doc.split())
    return message


def document() -> dict[str, Any]:
    refs, schemas = _schemas()
    messages: dict[str, Any] = {
        "connect": _message("connect", ConnectAuth, refs),
        "connect_error": _message("connect_error", ConnectRefused, refs),
        "refused": _message("refused", Refused, refs),
    }
    operations: dict[str, Any] = {
        "connect": {
            "action": "receive",
            "channel": CHANNEL,
            "summary": "Join a room: the handshake's auth",
            "messages": [{"$ref": "#/channels/rooms/messages/connect"}],
            "reply": {
                "channel": CHANNEL,
                "messages": [
                    {"$ref": "#/channels/rooms/messages/ROOM_STATE"},
                    {"$ref": "#/channels/rooms/messages/connect_error"},
                ],
            },
        }
    }
    for event, model in _client_events().items():
        messages[event] = _message(event, model, refs)
        ack = f"{event}.ack"
        messages[ack] = _message(ack, ACKS[event], refs)
        operations[event] = {
            "action": "receive",
            "channel": CHANNEL,
            "messages": [{"$ref": f"#/channels/rooms/messages/{event}"}],
            "reply": {
                "channel": CHANNEL,
                "messages": [
                    {"$ref": f"#/channels/rooms/messages/{ack}"},
                    {"$ref": "#/channels/rooms/messages/refused"},
                ],
            },
        }
    for event, model in SERVER_EVENTS.items():
        name = event if event not in messages else f"{event}.broadcast"
        messages[name] = _message(event, model, refs)
        operations[f"on.{event}"] = {
            "action": "send",
            "channel": CHANNEL,
            "messages": [{"$ref": f"#/channels/rooms/messages/{name}"}],
        }
    codes = schemas[ConnectRefused.__name__]
    codes["properties"]["data"] = {
        "allOf": [{"$ref": "#/components/schemas/ConnectErrorData"}],
        "properties": {"code": {"enum": list(CONNECT_ERRORS)}},
    }
    schemas[Refused.__name__]["description"] = "codes: " + ", ".join(ERRORS)
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "watchparty /rooms", "version": __version__, "description": DESCRIPTION},
        "servers": {
            "local": {
                "host": "localhost:8080",
                "protocol": "ws",
                "pathname": "/socket.io/",
                "description": "python -m watchparty (PORT), Engine.IO's websocket transport",
            }
        },
        "defaultContentType": "application/json",
        "channels": {
            "rooms": {
                "address": "/rooms",
                "title": "A room",
                "description": "The Socket.IO namespace; a connection is in one room.",
                "messages": messages,
            }
        },
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def render() -> str:
    """The document as YAML (PyYAML, from the test extras: only tests and writers need it)."""
    import yaml  # type: ignore[import-untyped]

    header = "# Generated by python -m watchparty.wiring.asyncapi: do not edit.\n"
    return header + str(yaml.safe_dump(document(), sort_keys=False, allow_unicode=True))


if __name__ == "__main__":
    ASYNCAPI_YAML.write_text(render())
    sys.stdout.write(f"updated {ASYNCAPI_YAML}\n")
