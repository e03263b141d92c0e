"""Small modules, short functions: what the style guide asks, checked on every run."""

from __future__ import annotations

import ast
from pathlib import Path

import watchparty

PACKAGE = Path(watchparty.__file__).parent
MAX_MODULE_LINES = 400
# About 60; the fan-out's emit keeps its one loop over recipients whole (a call per recipient
# costs every broadcast), and stays under this.
MAX_FUNCTION_LINES = 75


def test_no_module_is_over_400_lines() -> None:
    sizes = {p.relative_to(PACKAGE): p.read_text().count("\n") for p in PACKAGE.rglob("*.py")}
    assert len(sizes) > 50
    assert {p: n for p, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_no_function_is_over_about_60_lines() -> None:
    long: dict[str, int] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(PACKAGE)}:{node.name}"] = length
    assert long == {}
