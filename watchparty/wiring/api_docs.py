"""The API's descriptions as files: ``docs/api.md`` (a reading of the OpenAPI document).

``python -m watchparty.wiring.api_docs`` rewrites them; a test fails when a file and the code
disagree. They are made from the routes alone, without a server or its services.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

from watchparty import __version__
from watchparty.apidoc import document
from watchparty.wiring.web import api_routes

DOCS = Path(__file__).resolve().parents[2] / "docs"
API_MD = DOCS / "api.md"


def openapi() -> dict[str, Any]:
    """The document ``GET /api/openapi.json`` serves."""
    api = web.Application()
    api_routes(api)
    web.Application().add_subapp("/api", api)  # the paths as mounted
    return document(api, __version__)


def _schema_text(schema: dict[str, Any] | None) -> str:
    if not schema:
        return "-"
    if "$ref" in schema:
        return f"`{str(schema['$ref']).rsplit('/', 1)[-1]}`"
    return f"`{json.dumps(schema, sort_keys=True)}`"


def _auth(security: list[dict[str, Any]]) -> str:
    if not security:
        return "none"
    return "optional (Bearer or cookie)" if {} in security else "signed in (Bearer or cookie)"


def render(spec: dict[str, Any]) -> str:
    """The document as Markdown: each route, what it takes, answers and may refuse with."""
    lines = [
        "# The REST API",
        "",
        "Generated from the routes by `python -m watchparty.wiring.api_docs`; the same",
        "description is served as OpenAPI 3.1 at `GET /api/openapi.json`. Errors are",
        '`{"error": {"code", "message", "params"?}}` (the codes: docs/protocol.md). Auth:',
        "`Authorization: Bearer <token>`, or the session cookie with `X-CSRF-Token` on changes.",
        "",
    ]
    for tag in [t["name"] for t in spec["tags"]]:
        operations = [
            (path, method, op)
            for path, methods in spec["paths"].items()
            for method, op in methods.items()
            if tag in op["tags"]
        ]
        if not operations:
            continue
        lines += [f"## {tag}", ""]
        for path, method, op in operations:
            lines += [f"### `{method.upper()} {path}`", "", op["summary"] + ".", ""]
            if "description" in op:
                lines += [op["description"], ""]
            lines.append(f"- auth: {_auth(op['security'])}")
            for parameter in op.get("parameters", []):
                where = parameter["in"]
                lines.append(
                    f"- {where} `{parameter['name']}`"
                    f"{' (required)' if parameter.get('required') else ''}: "
                    f"{_schema_text(parameter.get('schema'))}"
                )
            body = op.get("requestBody", {}).get("content", {})
            for media, taken in body.items():
                lines.append(f"- body ({media}): {_schema_text(taken.get('schema'))}")
            for status, answer in op["responses"].items():
                content: dict[str, Any] = answer.get("content", {})
                first: dict[str, Any] = next(iter(content.values()), {})
                schema = first.get("schema")
                if status.startswith(("2", "3")):
                    lines.append(f"- {status}: {_schema_text(schema)}")
                else:
                    lines.append(f"- {status}: {answer['description']}")
            lines.append("")
    lines += ["## Schemas", ""]
    for name, schema in spec["components"]["schemas"].items():
        text = json.dumps(schema, indent=2, sort_keys=True)
        lines += [f"### `{name}`", "", "```json", text, "```", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    API_MD.write_text(render(openapi()))
    sys.stdout.write(f"updated {API_MD}\n")
