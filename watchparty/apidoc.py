"""The OpenAPI 3.1 description of ``/api``, generated from the routes themselves.

Each handler carries a :class:`Doc` (``@documented``): the pydantic models that validate its
body and query and describe its answer, and the catalogue codes of the errors it may give.
The document is built from the API sub-application's router, so a route cannot be left out
(``undocumented`` lists any), and its schemas are the validating models' own. Each error
status lists exactly its codes: a response with another code does not match the document
(Schemathesis, in the tests, checks answers against it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from watchparty.core.errors import ERRORS
from watchparty.core.wire import ErrorBody
from watchparty.keys import OPENAPI

Auth = Literal["none", "optional", "required"]
H = TypeVar("H", bound=Callable[..., Any])
_MARK = "__watchparty_doc__"
REF = "#/components/schemas/{model}"
TAGS = ("rooms", "accounts", "playlists", "subtitles", "search", "billing", "meta")

# Errors any route may give: its own failures, an unreachable database or cluster.
ALWAYS = ("internal_error", "database_unavailable", "cluster_unavailable")
BODY_ERRORS = ("invalid_json", "invalid_body", "payload_too_large")
SIGNED_IN = ("unauthenticated", "invalid_token", "token_expired", "session_revoked")
# A signed-in cookie must come with the CSRF token on changes (accounts.session).
CHANGE_ERRORS = ("csrf_failed",)
SAFE = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Doc:
    """What one route takes and answers. ``answer`` is the JSON body of ``status`` (None: no
    body, or ``media`` for another kind); ``errors`` are catalogue codes besides those every
    route of its kind may give."""

    summary: str
    tag: str
    answer: type[BaseModel] | None = None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[str, ...] = ()
    auth: Auth = "none"
    raw_body: tuple[str, ...] = ()  # media types of a body that is not JSON (a file)
    media: str | None = None  # the answer's media type when it is not JSON
    redirect: bool = False  # answers 302 to a page (a browser's sign-in)
    member: bool = False  # a closed room's member may prove it (X-Watchparty-Member)
    # Query parameters read one by one, not by a model (a redirect never fails on them).
    loose_query: tuple[tuple[str, str], ...] = ()
    # A path parameter the route matches loosely and the handler checks (its clear error).
    path_patterns: Mapping[str, str] = field(default_factory=dict)
    # Path parameters its answer gives other routes (OpenAPI links: runtime expressions).
    gives: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


def documented(doc: Doc) -> Callable[[H], H]:
    """Mark a handler with its description."""
    if doc.tag not in TAGS:
        raise ValueError(f"unknown tag {doc.tag!r}")
    unknown = [code for code in doc.errors if code not in ERRORS]
    if unknown:
        raise ValueError(f"error codes not in the catalogue: {unknown}")

    def mark(handler: H) -> H:
        setattr(handler, _MARK, doc)
        return handler

    return mark


def doc_of(handler: Any) -> Doc | None:
    return getattr(handler, _MARK, None)


def _routes(app: web.Application) -> Iterator[web.AbstractRoute]:
    for route in app.router.routes():
        if route.method not in ("HEAD", "OPTIONS", "*"):
            yield route


def undocumented(app: web.Application) -> list[str]:
    """The routes of ``app`` without a ``Doc``."""
    return [
        f"{route.method} {_path(route)[0]}"
        for route in _routes(app)
        if doc_of(route.handler) is None
    ]


def _path(route: web.AbstractRoute) -> tuple[str, dict[str, str]]:
    """The route's path template and its parameters' patterns."""
    info = route.resource.get_info() if route.resource is not None else {}
    if "formatter" not in info:
        return str(info.get("path", "")), {}
    patterns = dict(re.findall(r"\(\?P<(\w+)>([^()]*)\)", info["pattern"].pattern))
    return str(info["formatter"]), patterns


def _error_responses(codes: list[str]) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(ERRORS[code].status, []).append(code)
    responses: dict[str, Any] = {}
    for status, listed in sorted(by_status.items()):
        schema = {
            "allOf": [
                {"$ref": REF.format(model="ErrorBody")},
                {"properties": {"error": {"properties": {"code": {"enum": sorted(listed)}}}}},
            ]
        }
        responses[str(status)] = {
            "description": ", ".join(f"`{code}`" for code in sorted(listed)),
            "content": {"application/json": {"schema": schema}},
        }
    return responses


def _all_errors(doc: Doc, method: str, has_path_params: bool) -> list[str]:
    codes = list(doc.errors)
    if doc.body is not None:
        codes += BODY_ERRORS
    if doc.query is not None:
        codes.append("invalid_query")
    if doc.auth == "required":
        codes += SIGNED_IN
    if doc.auth == "optional":
        codes += SIGNED_IN[1:]  # a bad Bearer token is refused, never ignored
    if doc.auth != "none" and method not in SAFE:
        codes += CHANGE_ERRORS
    if has_path_params:
        codes.append("not_found")  # a malformed id matches no route
    if doc.raw_body:
        codes.append("unsupported_media_type")
    return codes + list(ALWAYS)


def _parameters(doc: Doc, patterns: Mapping[str, str], schemas: Any) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": f"^{doc.path_patterns.get(name, p)}$"},
        }
        for name, p in patterns.items()
    ]
    if doc.member:
        parameters.append(
            {
                "name": "X-Watchparty-Member",
                "in": "header",
                "required": False,
                "description": "ROOM_STATE's `you.resume`: a member of a closed room",
                "schema": {"type": "string"},
            }
        )
    for name, description in doc.loose_query:
        parameters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "description": description,
                "schema": {"type": "string"},
            }
        )
    if doc.query is not None:
        schema = schemas[doc.query]
        required = set(schema.get("required", ()))
        for name, field in schema.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in required, "schema": field}
            )
    return parameters


def _answer(doc: Doc, refs: Mapping[type[BaseModel], str]) -> dict[str, Any]:
    if doc.redirect:
        return {"302": {"description": doc.summary + " (a redirect for the browser)"}}
    if doc.media is not None:
        return {
            str(doc.status): {
                "description": "the file",
                "content": {doc.media: {"schema": {"type": "string"}}},
            }
        }
    if doc.answer is None:
        return {str(doc.status): {"description": "done, nothing to answer"}}
    return {
        str(doc.status): {
            "description": doc.answer.__doc__.strip().split("\n")[0]
            if doc.answer.__doc__
            else doc.summary,
            "content": {"application/json": {"schema": {"$ref": refs[doc.answer]}}},
        }
    }


def document(app: web.Application, version: str) -> dict[str, Any]:
    """The OpenAPI document of every documented route of ``app`` (mounted: paths are
    absolute)."""
    routes = [(route, doc) for route in _routes(app) if (doc := doc_of(route.handler))]
    models: set[type[BaseModel]] = {ErrorBody}
    for _, doc in routes:
        models.update(m for m in (doc.body, doc.query, doc.answer) if m is not None)
    ordered = sorted(models, key=lambda m: m.__name__)
    keys, defs = models_json_schema([(m, "validation") for m in ordered], ref_template=REF)
    schemas = {m: _resolved(keys[(m, "validation")], defs) for m in ordered}
    refs = {m: keys[(m, "validation")]["$ref"] for m in ordered}
    names = [route.handler.__name__ for route, _ in routes]
    if len(set(names)) != len(names):
        raise ValueError(f"handlers' names are their operation ids: repeated in {names}")
    paths: dict[str, dict[str, Any]] = {}
    for route, doc in routes:
        template, patterns = _path(route)
        method = route.method
        operation: dict[str, Any] = {
            "operationId": route.handler.__name__,
            "summary": doc.summary,
            "tags": [doc.tag],
            "responses": {
                **_answer(doc, refs),
                **_error_responses(_all_errors(doc, method, bool(patterns))),
            },
        }
        if doc.description:
            operation["description"] = doc.description
        parameters = _parameters(doc, patterns, schemas)
        if parameters:
            operation["parameters"] = parameters
        if doc.body is not None:
            operation["requestBody"] = {  # none at all counts as {}
                "required": bool(schemas[doc.body].get("required")),
                "content": {"application/json": {"schema": {"$ref": refs[doc.body]}}},
            }
        elif doc.raw_body:
            operation["requestBody"] = {
                "required": True,
                "content": {m: {"schema": _raw_schema(m)} for m in doc.raw_body},
            }
        operation["security"] = _security(doc.auth)
        paths.setdefault(template, {})[method.lower()] = operation
    _link(routes, paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "watchparty",
            "version": version,
            "description": "The REST API beside the `/rooms` Socket.IO namespace "
            "(docs/protocol.md, docs/asyncapi.yaml). Errors are "
            '`{"error": {"code", "message", "params"?}}`; each code is listed under its status.',
        },
        "tags": [{"name": tag} for tag in TAGS],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the `token` of a sign-in's answer",
                },
                "cookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "watchparty_session",
                    "description": "set by a sign-in; a change also needs the "
                    "`watchparty_csrf` cookie's value in `X-CSRF-Token`",
                },
            },
        },
    }


def _link(routes: list[tuple[web.AbstractRoute, Doc]], paths: dict[str, dict[str, Any]]) -> None:
    """Links from each answer that ``gives`` path parameters to the routes that take them
    (what lets a client, or Schemathesis' stateful phase, follow a room from its creation)."""
    takers = [(_path(route), route) for route, _ in routes]
    for route, doc in routes:
        if not doc.gives:
            continue
        links = {
            target.handler.__name__: {
                "operationId": target.handler.__name__,
                "parameters": {name: doc.gives[name] for name in patterns},
            }
            for (_, patterns), target in takers
            if patterns and set(patterns) <= set(doc.gives) and target is not route
        }
        template = _path(route)[0]
        paths[template][route.method.lower()]["responses"][str(doc.status)]["links"] = links


def _resolved(ref: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    name = str(ref["$ref"]).rsplit("/", 1)[-1]
    return dict(defs.get("$defs", {})[name])


def _raw_schema(media: str) -> dict[str, Any]:
    if media == "multipart/form-data":
        file = {"type": "string", "contentMediaType": "application/octet-stream"}
        return {"type": "object", "properties": {"file": file}, "required": ["file"]}
    return {"type": "string"}


def _security(auth: Auth) -> list[dict[str, list[str]]]:
    if auth == "none":
        return []
    signed: list[dict[str, list[str]]] = [{"bearer": []}, {"cookie": []}]
    return signed if auth == "required" else [*signed, {}]


@documented(Doc("This document", "meta", description="OpenAPI 3.1, generated from the routes."))
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(request.config_dict[OPENAPI])
