"""Which of the API's documented error codes the suite's requests were answered with.

Every server the tests start in-process records the error code of each ``/api`` answer under
the operation that gave it. At the end of a run of the whole suite, a documented code that no
request ever got fails the run: it is dead documentation or a refusal no test proves. A code a
route answered but does not document fails any run (the document would lie).

The codes a route decides itself must each be reached on that route. The codes one shared piece
gives every route of a kind (the body, query, auth and CSRF checks, a malformed id, an
unavailable database, a room that cannot be opened here) must each be reached on some route,
not on every one.
A few codes only several processes or a race can give are exempt, each with its reason
(``EXEMPT``, ``EXEMPT_ON``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from watchparty.apidoc import ALWAYS, BODY_ERRORS, CHANGE_ERRORS, SIGNED_IN, doc_of
from watchparty.keys import OPENAPI
from watchparty.rooms.answers import ROOM_ERRORS

# What one shared piece answers for every route of a kind: the body, query and auth checks, a
# malformed id, an unavailable database, and opening a room (the registry and the cluster).
SHARED = frozenset(
    {*ALWAYS, *BODY_ERRORS, *SIGNED_IN, *CHANGE_ERRORS, *ROOM_ERRORS}
    | {"invalid_query", "not_found", "unsupported_media_type"}
)
# Codes proven elsewhere, each with where and why not here.
EXEMPT = {
    "internal_error": "reaching it is a bug: Schemathesis checks that nothing does",
    "cluster_unavailable": "only a process that lost Redis gives it: tests/integration/"
    "test_cluster_faults.py asserts it on GET /api/rooms/{id} of a server run as a process",
    "room_moving": "only with several processes, while a room changes process (cluster/"
    "forward.py); test_cluster.py meets it over Socket.IO",
    "room_unavailable": "only with several processes, when the room's process does not "
    "answer a forwarded request (cluster/forward.py)",
}
EXEMPT_ON = {
    ("load_into_room", "stale_version"): "only when other changes land between each of its "
    "three tries (a race no test can order)",
}
Answer = tuple[str, str]  # (operationId, code)


@dataclass
class Operation:
    name: str
    method: str
    path: re.Pattern[str]
    codes: frozenset[str]


@dataclass
class Reached:
    """What every in-process server answered, over the whole pytest session."""

    operations: dict[str, Operation] = field(default_factory=dict)
    answered: set[Answer] = field(default_factory=set)
    undocumented: set[tuple[str, int, str]] = field(default_factory=set)

    def watch(self, app: web.Application) -> web.Application:
        if not self.operations:
            self.operations = {op.name: op for op in _operations(app[OPENAPI])}
        app.on_response_prepare.append(self._record)
        return app

    async def _record(self, request: web.Request, response: web.StreamResponse) -> None:
        if not request.path.startswith("/api/") or response.status < 400:
            return
        code = _code(response)
        if code is None:
            return
        for name in self._names(request):
            self.answered.add((name, code))
            if code not in self.operations[name].codes:
                self.undocumented.add((name, response.status, code))

    def _names(self, request: web.Request) -> list[str]:
        doc = doc_of(request.match_info.route.handler)
        if doc is not None:
            return [request.match_info.route.handler.__name__]
        # Nothing matched (a malformed id, say): every operation the path has the shape of.
        return [
            op.name
            for op in self.operations.values()
            if op.method == request.method and op.path.fullmatch(request.path)
        ]

    def never_answered(self) -> list[str]:
        """The documented codes no request got, as ``operation: code`` lines."""
        lines = []
        shared_seen = {code for _, code in self.answered}
        for op in self.operations.values():
            for code in sorted(op.codes - EXEMPT.keys()):
                if (op.name, code) in EXEMPT_ON:
                    continue
                reached = (
                    code in shared_seen if code in SHARED else (op.name, code) in self.answered
                )
                if not reached:
                    lines.append(f"{op.method} {op.name}: {code}")
        return lines


def _code(response: web.StreamResponse) -> str | None:
    body = getattr(response, "body", None)
    if not isinstance(body, bytes | bytearray):
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _operations(document: dict[str, Any]) -> Iterator[Operation]:
    for template, methods in document["paths"].items():
        pattern = re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)))
        for method, operation in methods.items():
            codes = frozenset(_documented_codes(operation["responses"].values()))
            yield Operation(operation["operationId"], method.upper(), pattern, codes)


def _documented_codes(responses: Iterable[dict[str, Any]]) -> Iterator[str]:
    for answer in responses:
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        for part in schema.get("allOf", []):
            yield from (
                part.get("properties", {})
                .get("error", {})
                .get("properties", {})
                .get("code", {})
                .get("enum", [])
            )


class ReachPlugin:
    """Fails the session on an undocumented answer, and on a documented code a full run of
    the suite never reached."""

    def __init__(self, reached: Reached) -> None:
        self.reached = reached
        self.whole_suite = False
        self.problems: list[str] = []

    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        # Only a run of every test can say a code is never reached.
        self.whole_suite = (
            not config.option.keyword
            and not config.option.markexpr
            and not config.option.deselect
            and not getattr(config.option, "lf", False)
            and all(
                arg.rstrip("/") in ("tests", str(config.rootpath / "tests")) for arg in config.args
            )
        )

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.problems = [
            f"{name} answered {status} {code}, which its description does not list"
            for name, status, code in sorted(self.reached.undocumented)
        ]
        if self.whole_suite and self.reached.operations:
            self.problems += [
                f"documented but never answered in the suite: {line}"
                for line in self.reached.never_answered()
            ]
        if self.problems:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.problems:
            terminalreporter.section("API error codes", sep="=", red=True)
            for line in self.problems:
                terminalreporter.line(line)
