"""What a settings error says: the variable and what it must be, never its value."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_settings import BaseSettings


def describe(cls: type[BaseSettings], error: ValidationError) -> str:
    """The first problem, as '<VARIABLE> must ...' (never the value)."""
    first = error.errors(include_input=False, include_url=False)[0]
    if not first["loc"]:
        return str(first["msg"])
    name = str(first["loc"][0])
    by_alias = {str(f.validation_alias): f for f in cls.model_fields.values()}
    field = by_alias.get(name) or cls.model_fields.get(name)
    if field is not None and field.validation_alias is not None:
        name = str(field.validation_alias)
    kind, ctx = first["type"], first.get("ctx", {})
    if kind == "int_parsing":
        return f"{name} must be a whole number"
    if kind == "literal_error":
        return f"{name} must be one of {ctx.get('expected', '').replace(chr(39), '')}"
    if kind in ("greater_than_equal", "less_than_equal") and field is not None:
        low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
        high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
        if low is not None and high is not None:
            return f"{name} must be between {low} and {high}"
        return (
            f"{name} must be at least {low}"
            if low is not None
            else f"{name} must be at most {high}"
        )
    if kind == "setting":
        return f"{name} {first['msg']}"
    return f"{name} is not valid ({kind})"
