"""Parsing wire events into commands: everything a client can send is accepted or rejected."""

from __future__ import annotations

from typing import Any

import pytest

from watchparty.core import (
    ChangeVideo,
    Pause,
    Play,
    Rejection,
    Seek,
    UpdateQueue,
    parse_command,
)
from watchparty.core.limits import MAX_POSITION_SECONDS, MAX_QUEUE_ITEMS, MAX_TITLE_LENGTH
from watchparty.core.media import media_kind


@pytest.mark.parametrize(
    ("event", "payload", "expected"),
    [
        ("PLAY", {}, Play()),
        ("PLAY", None, Play()),
        ("PAUSE", {"version": 3}, Pause(version=3)),
        ("SEEK", {"timestamp": 12}, Seek(timestamp=12.0)),
        ("SEEK", {"timestamp": 12.5, "version": 0}, Seek(timestamp=12.5, version=0)),
        ("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"}, ChangeVideo(video_id="dQw4w9WgXcQ")),
    ],
)
def test_valid_commands_parse(event: str, payload: Any, expected: object) -> None:
    assert parse_command(event, payload) == expected


def test_update_queue_parses_items() -> None:
    command = parse_command(
        "UPDATE_QUEUE",
        {
            "queue": [
                {"video_id": "a----------", "title": "A", "duration": 61.5},
                {"id": "x----------", "video_id": "b----------"},
            ]
        },
    )
    assert isinstance(command, UpdateQueue)
    assert [(i.id, i.video_id, i.title, i.duration) for i in command.queue] == [
        (None, "a----------", "A", 61.5),
        ("x----------", "b----------", None, None),
    ]


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        ("SEEK", {}, "timestamp"),
        ("SEEK", {"timestamp": -1}, "timestamp"),
        ("SEEK", {"timestamp": float("nan")}, "timestamp"),
        ("SEEK", {"timestamp": float("inf")}, "timestamp"),
        ("SEEK", {"timestamp": MAX_POSITION_SECONDS + 1}, "timestamp"),
        ("SEEK", {"timestamp": "10"}, "timestamp"),
        ("SEEK", {"timestamp": True}, "timestamp"),
        ("SEEK", {"timestamp": 1, "extra": 1}, "extra"),
        ("PLAY", {"version": -1}, "version"),
        ("PLAY", {"version": 1.5}, "version"),
        ("PLAY", {"version": "1"}, "version"),
        ("CHANGE_VIDEO", {"video_id": ""}, "video_id"),
        ("CHANGE_VIDEO", {"video_id": "   "}, "video_id"),
        ("CHANGE_VIDEO", {"video_id": "a\u0000b"}, "video_id"),
        ("CHANGE_VIDEO", {"video_id": "x----------" * 2049}, "video_id"),
        ("CHANGE_VIDEO", {"video_id": 7}, "video_id"),
        ("UPDATE_QUEUE", {"queue": "abc--------"}, "queue"),
        ("UPDATE_QUEUE", {"queue": [{"video_id": "a----------"}] * (MAX_QUEUE_ITEMS + 1)}, "queue"),
        ("UPDATE_QUEUE", {"queue": [{"title": "no video"}]}, "queue.0.video_id"),
        (
            "UPDATE_QUEUE",
            {"queue": [{"video_id": "a----------", "title": "t" * (MAX_TITLE_LENGTH + 1)}]},
            "queue.0.title",
        ),
        (
            "UPDATE_QUEUE",
            {"queue": [{"video_id": "a----------", "title": "line\nbreak"}]},
            "queue.0.title",
        ),
        (
            "UPDATE_QUEUE",
            {"queue": [{"video_id": "a----------", "duration": -3}]},
            "queue.0.duration",
        ),
    ],
)
def test_invalid_payloads_name_the_field(event: str, payload: Any, field: str) -> None:
    result = parse_command(event, payload)
    assert isinstance(result, Rejection)
    assert result.code == "invalid_payload"
    assert result.message.startswith(f"{field}:")


@pytest.mark.parametrize(
    ("video_id", "kind"),
    [
        ("dQw4w9WgXcQ", "youtube"),
        ("https://cdn.example/film.mp4", "video"),
        ("http://cdn.example/live/index.M3U8?token=1", "hls"),
        ("/media/clip.webm", "video"),
        ("/media/stream.m3u8", "hls"),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("//evil.example/x.mp4", None),
        ("https:///no-host.mp4", None),
        ("dQw4w9WgXc", None),
        ("not a video", None),
    ],
)
def test_media_kinds(video_id: str, kind: str | None) -> None:
    assert media_kind(video_id) == kind
    result = parse_command("CHANGE_VIDEO", {"video_id": video_id})
    assert isinstance(result, Rejection) is (kind is None)


@pytest.mark.parametrize("payload", [[], "PLAY", 3, [{"timestamp": 1}]])
def test_non_object_payloads_are_rejected(payload: Any) -> None:
    result = parse_command("SEEK", payload)
    assert result == Rejection("invalid_payload", "the payload must be a JSON object")


def test_unknown_event_is_rejected() -> None:
    result = parse_command("DELETE_EVERYTHING", {})
    assert isinstance(result, Rejection)
    assert result.code == "unknown_event"


def test_error_messages_do_not_echo_input() -> None:
    secret = "s3cr3t-value-that-must-not-be-echoed"
    result = parse_command("SEEK", {"timestamp": secret})
    assert isinstance(result, Rejection)
    assert secret not in result.message
