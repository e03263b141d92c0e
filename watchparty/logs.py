"""Logs: one line per request and one per problem, as text or as JSON lines (``LOG_FORMAT``).

Every request gets an id: the ``X-Request-Id`` a proxy in front set (Heroku's router sets
one), when it looks like an id, else a new one. It goes back in the response's
``X-Request-Id`` and into the request's log line and any error logged while handling it, so
a user's report ("request id 3f2a…") leads to the lines about it. A socket event's error
carries its connection's id (``sid``) and the event's name instead.

Nothing here logs a body, a query string, a header or a cookie: no secret, token, password
or hash can reach a log line through it.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

REQUEST_ID = "request_id"  # the field in a log line
REQUEST_ID_KEY = web.RequestKey(REQUEST_ID, str)  # where a request keeps its id
ID_FROM_PROXY = re.compile(r"[A-Za-z0-9._-]{8,128}")
# What a log call may add with ``extra=``, copied into a JSON line.
FIELDS = (REQUEST_ID, "sid", "event", "method", "path", "status", "duration_ms")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def printable(text: str, limit: int = 200) -> str:
    """Client-chosen text (a path, an event name) as one safe piece of a log line: control
    characters escaped (a ``%0a`` in a path once forged a whole log line), cut at ``limit``."""
    text = text[:limit]
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode("ascii")
        for ch in text
    )


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get("X-Request-Id", "")
    request_id = given if ID_FROM_PROXY.fullmatch(given) else secrets.token_hex(8)
    request[REQUEST_ID_KEY] = request_id
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers["X-Request-Id"] = request_id
        raise
    response.headers["X-Request-Id"] = request_id
    return response


class RequestLog(AbstractAccessLogger):
    """aiohttp's access log, one line per request: method, path (no query string), status,
    time taken and the request id."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = printable(request.path)
        fields = {
            REQUEST_ID: request.get(REQUEST_ID_KEY, "-"),
            "method": request.method,
            "path": path,
            "status": response.status,
            "duration_ms": round(time * 1000, 1),
        }
        self.logger.info(
            "%s %s %s %.1f ms [%s]",
            request.method,
            path,
            response.status,
            time * 1000,
            fields[REQUEST_ID],
            extra=fields,
        )


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the known extra fields, and
    the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if name in record.__dict__:
                line[name] = record.__dict__[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str, json_lines: bool) -> None:
    """Set up the root logger for ``python -m watchparty`` (tests leave logging alone)."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        JsonLines()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)
