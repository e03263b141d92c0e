"""THE error catalogue: every error code the server can send is in it, with one status."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import watchparty
from watchparty.core.errors import ERRORS, message, reject
from watchparty.errors import ApiError

PACKAGE = Path(watchparty.__file__).parent
# Calls whose first string argument (or second, after a status) is an error code.
CODE_FIRST = {
    "reject",
    "Rejection",
    "JoinRefused",
    "TokenError",
    "_refuse",
    "refused",
    "of",
    "failed",  # accounts.oidc
    "OidcFailed",
}


def codes_in_source() -> list[tuple[str, str, int | None]]:
    """(file, code, status given alongside it) for every literal error code in the package."""
    found: list[tuple[str, str, int | None]] = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            args = node.args
            if name in ("ApiError", "YouTubeError", "BillingError") and len(args) >= 2:
                status, code = args[0], args[1]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    given = status.value if isinstance(status, ast.Constant) else None
                    assert given is None or isinstance(given, int)
                    found.append((path.name, code.value, given))
            elif name in CODE_FIRST and args:
                code = args[0]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    found.append((path.name, code.value, None))
    return found


def test_every_code_the_server_sends_is_in_the_catalogue() -> None:
    found = codes_in_source()
    assert len(found) > 60  # the scan sees the package's errors
    unknown = sorted({(f, c) for f, c, _ in found if c not in ERRORS})
    assert unknown == []


def test_a_code_given_with_a_status_has_the_catalogues() -> None:
    wrong = [(f, c, s) for f, c, s in codes_in_source() if s is not None and ERRORS[c].status != s]
    assert wrong == []


@pytest.mark.parametrize("code", sorted(ERRORS))
def test_every_message_fills_from_named_fields(code: str) -> None:
    fields = [f for _, f, _, _ in string.Formatter().parse(ERRORS[code].message) if f]
    values = {f: 1.5 if f in ("position", "length", "rate") else "x" for f in fields}
    assert "{" not in message(code, **values)
    assert 100 <= ERRORS[code].status < 600


def test_reject_and_api_error_agree() -> None:
    rejection = reject("queue_full", limit=3)
    assert rejection.to_wire() == {
        "code": "queue_full",
        "message": "a queue holds at most 3 items",
        "params": {"limit": 3},  # what a page fills its language's template with
    }
    error = ApiError.rejected(rejection)
    assert (error.status, error.code, error.message) == (400, "queue_full", rejection.message)
    assert error.params == {"limit": 3}
    assert "params" not in reject("forbidden", detail="only owners may").to_wire()  # English
    assert ApiError.of("room_not_found").status == 404
    with pytest.raises(KeyError):
        reject("no_such_code")
