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
    "link",
    [
        "dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch/?feature=share&v=dQw4w9WgXcQ&t=42s",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RD",
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=3",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "http://www.youtube.com/live/dQw4w9WgXcQ",
    ],
)
def test_a_youtube_link_is_kept_as_its_video_id(link: str) -> None:
    command = parse_command("CHANGE_VIDEO", {"video_id": link})
    assert isinstance(command, ChangeVideo), command
    assert command.video_id == "dQw4w9WgXcQ"


@pytest.mark.parametrize(
    "link",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXc",  # one character short
        "https://www.youtube.com/watch?list=PL123",
        "https://www.youtube.com/@channel",
        "https://youtu.be/dQw4w9WgXcQ/extra",
    ],
)
def test_a_youtube_link_without_a_video_is_refused_and_says_what_plays(link: str) -> None:
    result = parse_command("CHANGE_VIDEO", {"video_id": link})
    assert isinstance(result, Rejection)
    assert "DASH stream (.mpd)" in result.message


def test_a_link_of_another_site_that_looks_like_youtube_stays_a_file() -> None:
    link = "https://notyoutube.com/watch?v=dQw4w9WgXcQ"
    command = parse_command("CHANGE_VIDEO", {"video_id": link})
    assert isinstance(command, ChangeVideo), command
    assert (command.video_id, media_kind(command.video_id)) == (link, "video")


@pytest.mark.parametrize(
    ("video_id", "kind"),
    [
        ("dQw4w9WgXcQ", "youtube"),
        ("https://cdn.example/film.mp4", "video"),
        ("http://cdn.example/live/index.M3U8?token=1", "hls"),
        ("/media/clip.webm", "video"),
        ("/media/stream.m3u8", "hls"),
        ("https://cdn.example/talk.MP3", "audio"),
        ("https://cdn.example/a/b/track.opus?sig=x#t=3", "audio"),
        ("/media/song.m4a", "audio"),
        ("https://cdn.example/film/manifest.mpd", "dash"),
        ("https://cdn.example/dash.mpd/segment", "video"),  # the name's ending, not a folder's
        ("https://cdn.example/", "video"),
        ("https://www.youtube.com/feed/trending", None),  # YouTube, but no video to play
        ("https://youtu.be/", None),
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
