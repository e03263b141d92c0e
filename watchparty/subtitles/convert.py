"""Uploaded subtitles -> plain WebVTT. The libraries read the formats (``srt`` for SubRip,
pycaption for WebVTT) and say where the first error is; what is kept is only each cue's
times and text, written back out as WebVTT with its markup escaped, so a file served from
here can carry no tag, style or script for a browser to act on."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Final

import srt
from pycaption import WebVTTReader
from pycaption.exceptions import (
    CaptionReadError,
    CaptionReadNoCaptions,
    CaptionReadSyntaxError,
)

MAX_SUBTITLE_BYTES: Final = 512 * 1024  # a two-hour film's subtitles are ~100 KiB
_TAG = re.compile(r"<[^>]*>")
_LINE = re.compile(r"\s*\(line (\d+)\)\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Cue:
    start: float  # seconds
    end: float
    text: str


class Unreadable(Exception):
    """The file does not parse: ``line`` (1-based) is where its first error is."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.line = line
        self.detail = detail


def decode(raw: bytes) -> str:
    """UTF-8 (with or without its BOM); older SRT files are often Windows-1252."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_cues(text: str) -> list[Cue]:
    """The cues of a WebVTT (it starts with ``WEBVTT``) or SRT file; ``Unreadable`` if not."""
    cues = _webvtt(text) if text.lstrip("\ufeff").startswith("WEBVTT") else _srt(text)
    if not cues:
        raise Unreadable(1, "no cues found")
    return cues


def _srt(text: str) -> list[Cue]:
    try:
        parsed = list(srt.parse(text))
    except srt.SRTParseError as error:
        line = text.count("\n", 0, error.expected_start) + 1
        raise Unreadable(
            line, "expected a cue number, then a time line like 00:00:01,000 --> 00:00:02,500"
        ) from None
    except ValueError as error:  # a time the library could not read
        raise Unreadable(1, str(error)) from None
    return [
        Cue(s.start.total_seconds(), s.end.total_seconds(), _TAG.sub("", s.content)) for s in parsed
    ]


def _webvtt(text: str) -> list[Cue]:
    try:
        captions = WebVTTReader().read(text)
    except CaptionReadNoCaptions:
        return []
    except CaptionReadSyntaxError as error:
        message = str(error.args[0]) if error.args else "not WebVTT"
        found = _LINE.search(message)
        line = int(found.group(1)) + 1 if found else 1  # pycaption counts lines from 0
        raise Unreadable(line, _LINE.sub("", message).rstrip(".") or "not WebVTT") from None
    except (CaptionReadError, ValueError) as error:
        raise Unreadable(1, str(error) or "not WebVTT") from None
    return [
        Cue(caption.start / 1e6, caption.end / 1e6, caption.get_text())
        for language in captions.get_languages()
        for caption in captions.get_captions(language)
    ]


def _timestamp(seconds: float) -> str:
    millis = round(max(0.0, seconds) * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def to_webvtt(cues: list[Cue]) -> str:
    """The cues as WebVTT, their text as text: markup escaped, control characters dropped,
    no blank line inside a cue (which would end it)."""
    blocks = ["WEBVTT\n"]
    for cue in cues:
        lines = [_CONTROL.sub("", line).strip() for line in cue.text.split("\n")]
        body = "\n".join(html.escape(line, quote=False) for line in lines if line)
        if body and cue.end > cue.start:
            blocks.append(f"{_timestamp(cue.start)} --> {_timestamp(cue.end)}\n{body}\n")
    return "\n".join(blocks)
