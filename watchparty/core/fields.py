"""The field types every payload model shares (core.commands, core.tracks, the REST bodies):
one definition of a playable link, a clean text, a number of seconds."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from watchparty.core.limits import (
    MAX_ITEM_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_POSITION_SECONDS,
    MAX_VIDEO_ID_LENGTH,
)
from watchparty.core.media import KNOWN, canonical, media_kind
from watchparty.core.text import displayable


def _playable(value: str) -> str:
    link = canonical(value)
    if media_kind(link) is None:
        raise ValueError(f"must be {KNOWN}")
    return link


def _no_control_characters(value: str) -> str:
    # Control and format characters (newlines, bidi overrides, NUL) have no place in a title
    # or a name shown to other people.
    if not displayable(value):
        raise ValueError("must not contain control characters")
    return value


def _integral(value: Any) -> Any:
    # JSON has one kind of number: 3.0 is the integer 3 (as JSON Schema says), 3.5 is not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


def described(format_: str) -> Any:
    """A JSON Schema ``format`` for what a validator checks and a schema cannot say; the
    formats are listed in docs/protocol.md ("Formats")."""
    return Field(json_schema_extra={"format": format_})


CleanText = Annotated[str, described("display-text"), AfterValidator(_no_control_characters)]
VideoId = Annotated[
    str,
    Field(min_length=1, max_length=MAX_VIDEO_ID_LENGTH),
    described("media-link"),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
    AfterValidator(_playable),
]
Seconds = Annotated[float, Field(ge=0, le=MAX_POSITION_SECONDS, allow_inf_nan=False)]
DisplayName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_LENGTH),
    described("display-name"),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
]
# For an integer of a JSON body: a number without a fraction (3 or 3.0; never "3" or true).
# Last in its Annotated, after the Field of its bounds (else they leave the JSON Schema).
integral = BeforeValidator(_integral)
ItemId = Annotated[str, Field(min_length=1, max_length=MAX_ITEM_ID_LENGTH)]


class Payload(BaseModel):
    # strict: "12" is not a number and 1 is not true; extra fields are a client bug worth
    # reporting rather than silently ignoring.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
