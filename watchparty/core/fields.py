"""The field types every payload model shares (core.commands, core.tracks, the REST bodies):
one definition of a playable link, a clean text, a number of seconds."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from watchparty.core.limits import (
    MAX_ITEM_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_POSITION_SECONDS,
    MAX_VIDEO_ID_LENGTH,
)
from watchparty.core.media import media_kind
from watchparty.core.text import displayable


def _playable(value: str) -> str:
    if media_kind(value) is None:
        raise ValueError("must be a YouTube video id, an http(s) URL or a /path on this server")
    return value


def _no_control_characters(value: str) -> str:
    # Control and format characters (newlines, bidi overrides, NUL) have no place in a title
    # or a name shown to other people.
    if not displayable(value):
        raise ValueError("must not contain control characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


CleanText = Annotated[str, AfterValidator(_no_control_characters)]
VideoId = Annotated[
    str,
    Field(min_length=1, max_length=MAX_VIDEO_ID_LENGTH),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
    AfterValidator(_playable),
]
Seconds = Annotated[float, Field(ge=0, le=MAX_POSITION_SECONDS, allow_inf_nan=False)]
DisplayName = Annotated[
    str,
    Field(min_length=1, max_length=MAX_NAME_LENGTH),
    AfterValidator(_no_control_characters),
    AfterValidator(_not_blank),
]
ItemId = Annotated[str, Field(min_length=1, max_length=MAX_ITEM_ID_LENGTH)]


class Payload(BaseModel):
    # strict: "12" is not a number and 1 is not true; extra fields are a client bug worth
    # reporting rather than silently ignoring.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
