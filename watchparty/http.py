"""JSON errors and request bodies for the REST API (the /api sub-application).

Every failure under ``/api`` answers ``{"error": {"code", "message"}}`` with a fitting status,
including aiohttp's own 404/405/413 and unexpected exceptions (logged, never echoed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from watchparty.core.commands import describe_error
from watchparty.core.errors import Unavailable, wire
from watchparty.core.errors import message as catalogue_message
from watchparty.core.text import NOT_TEXT, unencodable
from watchparty.errors import ApiError
from watchparty.keys import CATALOGUES, SETTINGS
from watchparty.logs import REQUEST_ID, REQUEST_ID_KEY, printable

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> web.Response:
    body = {"error": wire(code, message, params)}
    return web.json_response(body, status=status, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The /api sub-application's: every failure is the catalogue's JSON error."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error.status, error.code, error.message, error.headers, error.params)
    except Unavailable as error:
        return error_response(503, error.code, catalogue_message(error.code))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = _HTTP_CODES.get(error.status, "http_error")
        # A 405 names the methods the resource has (RFC 9110), as aiohttp's own does.
        allow = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        return error_response(error.status, code, error.reason, allow)
    except Exception:
        _log_failure(request)
        return error_response(500, "internal_error", "the server could not handle this request")


@web.middleware
async def page_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The main application's (pages, static files, Socket.IO): a plain 503 when the
    database or the cluster is out of reach, and one log line for anything unexpected."""
    try:
        return await handler(request)
    except ApiError as error:  # a page of a room whose holder does not answer (cluster.forward)
        return error_response(error.status, error.code, error.message, error.headers)
    except Unavailable as error:
        text = catalogue_message(error.code)
        if CATALOGUES in request.app:  # a person reads it: in their language
            text = request.app[CATALOGUES].choose(request).gettext(text)
        raise web.HTTPServiceUnavailable(text=text) from None
    except web.HTTPException:
        raise
    except Exception:
        _log_failure(request)
        raise


def _log_failure(request: web.Request) -> None:
    request_id = request.get(REQUEST_ID_KEY, "-")
    path = printable(request.path)
    log.exception(
        "%s %s failed [%s]",
        request.method,
        path,
        request_id,
        extra={REQUEST_ID: request_id, "method": request.method, "path": path},
    )


def site_origin(request: web.Request) -> str:
    """This site's address as people reach it, without a trailing slash: ``PUBLIC_BASE_URL``,
    else the request's own origin (wrong behind a TLS-terminating proxy without it)."""
    base = request.config_dict[SETTINGS].public_base_url
    return (str(base) if base is not None else str(request.url.origin())).rstrip("/")


def read_query(request: web.Request, model: type[Model]) -> Model:
    """Validate the query string's parameters (a model that is not strict: they are text)."""
    return _validated(dict(request.query), model, "invalid_query")


async def read_body(request: web.Request, model: type[Model]) -> Model:
    """Parse and validate a JSON body; an empty body counts as ``{}``."""
    raw = await request.read()
    data: Any = {}
    if raw.strip():
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError.of("invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError.of("invalid_body", detail="the request body must be a JSON object")
    return _validated(data, model, "invalid_body")


def _validated(data: dict[str, Any], model: type[Model], code: str) -> Model:
    """``data`` as ``model``, or 400 ``code`` naming what is wrong (a lone surrogate first)."""
    where = unencodable(data)
    if where is not None:
        raise ApiError.of(code, detail=f"{where}: {NOT_TEXT}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ApiError.of(code, detail=describe_error(error)) from None
