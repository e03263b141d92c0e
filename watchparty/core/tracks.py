"""Subtitle tracks: what a queue item (and the room's current video) carries so that each
viewer may pick one. The server keeps only their descriptions; each page fetches the text
itself, so a track's link is checked for shape, never fetched here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

import langcodes
from pydantic import AfterValidator, Field

from watchparty.core.fields import CleanText, ItemId, Payload
from watchparty.core.limits import MAX_VIDEO_ID_LENGTH
from watchparty.core.media import link_path
from watchparty.core.text import displayable

MAX_TRACKS: Final = 8  # per video: every language a film is likely to carry, and bounded
MAX_LABEL_LENGTH: Final = 64
MAX_LANG_LENGTH: Final = 35  # BCP 47's longest practical tag (RFC 5646, section 4.4.1)


def _language_tag(value: str) -> str:
    """A well-formed, registered BCP 47 tag, in its standard case (``en-us`` -> ``en-US``)."""
    if "_" in value or not langcodes.tag_is_valid(value):
        raise ValueError("must be a BCP 47 language tag such as fr, en-GB or pt-BR")
    return str(langcodes.standardize_tag(value))


def _track_link(value: str) -> str:
    if not displayable(value) or link_path(value) is None:
        raise ValueError("must be an http(s) URL or a /path on this server")
    return value


LanguageTag = Annotated[
    str, Field(min_length=2, max_length=MAX_LANG_LENGTH), AfterValidator(_language_tag)
]
TrackLink = Annotated[
    str, Field(min_length=1, max_length=MAX_VIDEO_ID_LENGTH), AfterValidator(_track_link)
]


class TrackIn(Payload):
    """One subtitle track: a WebVTT or SRT file (an upload's ``url``, or any link the
    viewers' browsers may fetch)."""

    id: ItemId | None = Field(
        default=None, description="Unique within its video; the server names tracks without."
    )
    label: Annotated[CleanText, Field(min_length=1, max_length=MAX_LABEL_LENGTH)]
    lang: LanguageTag
    url: TrackLink
    kind: Literal["subtitles", "captions"] = "subtitles"
    default: bool = Field(
        default=False, description="Shown to viewers who have not picked; one per video."
    )


def _distinct(tracks: list[TrackIn]) -> list[TrackIn]:
    ids = [t.id for t in tracks if t.id is not None]
    if len(ids) != len(set(ids)):
        raise ValueError("track ids must be distinct")
    if sum(t.default for t in tracks) > 1:
        raise ValueError("at most one track may be the default")
    return tracks


Tracks = Annotated[list[TrackIn], Field(max_length=MAX_TRACKS), AfterValidator(_distinct)]


@dataclass(frozen=True, slots=True)
class Track:
    id: str
    label: str
    lang: str
    url: str
    kind: str = "subtitles"
    default: bool = False

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "lang": self.lang,
            "url": self.url,
            "kind": self.kind,
            "default": self.default,
        }

    @classmethod
    def from_wire(cls, value: dict[str, Any]) -> Track:
        return cls(
            id=str(value["id"]),
            label=str(value["label"]),
            lang=str(value["lang"]),
            url=str(value["url"]),
            kind=str(value.get("kind", "subtitles")),
            default=bool(value.get("default", False)),
        )


def tracks_from(given: list[TrackIn]) -> tuple[Track, ...]:
    """The tracks, each with an id: its own, or the first free ``t1``, ``t2``, ..."""
    taken = {t.id for t in given if t.id is not None}
    fresh = (f"t{n}" for n in range(1, 2 * MAX_TRACKS + 2) if f"t{n}" not in taken)
    return tuple(
        Track(t.id or next(fresh), t.label, t.lang, t.url, t.kind, t.default) for t in given
    )


def tracks_bytes(tracks: tuple[Track, ...]) -> int:
    """What tracks add to a queue on the wire, near enough (see engine.queue_bytes)."""
    return sum(len(t.url.encode()) + len(t.label.encode()) + len(t.lang) + 40 for t in tracks)
