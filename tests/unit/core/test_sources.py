"""``WATCHPARTY_SOURCES``: which kinds a server plays, and the commands refused for it."""

from __future__ import annotations

import pytest

from watchparty.core import (
    Accepted,
    ChangeVideo,
    Pause,
    QueueAdd,
    QueueItemIn,
    RoomState,
    UpdateQueue,
    apply,
    new_room,
)
from watchparty.core.media import KINDS
from watchparty.core.sources import parse_sources, refusal
from watchparty.settings import Settings, SettingsError

VIMEO = "https://vimeo.com/76979871"
YOUTUBE = "dQw4w9WgXcQ"
ONLY_YOUTUBE = frozenset({"youtube"})


def test_the_setting_lists_kinds_or_all() -> None:
    assert parse_sources("all") == frozenset(KINDS)
    assert parse_sources(" YouTube , video,") == {"youtube", "video"}
    for wrong, named in (("youtube,netflix", "'netflix'"), (" , ", "at least one")):
        with pytest.raises(ValueError, match=named):
            parse_sources(wrong)
    assert Settings().sources == frozenset(KINDS)
    assert Settings.from_env({"WATCHPARTY_SOURCES": "hls,dash"}).sources == {"hls", "dash"}
    with pytest.raises(SettingsError, match=r"^WATCHPARTY_SOURCES must list kinds.*'mp4'"):
        Settings.from_env({"WATCHPARTY_SOURCES": "mp4"})


def _with(*links: str, playing: str | None = None) -> RoomState:
    state = new_room("r", 0.0)
    if links:
        queue = UpdateQueue(queue=[QueueItemIn(video_id=link) for link in links])
        result = apply(state, queue, 0.0)
        assert isinstance(result, Accepted)
        state = result.state
    if playing is not None:
        result = apply(state, ChangeVideo(video_id=playing), 0.0)
        assert isinstance(result, Accepted)
        state = result.state
    return state


def test_a_new_link_of_another_kind_is_refused_naming_what_plays() -> None:
    empty = _with()
    for command in (
        ChangeVideo(video_id=VIMEO),
        QueueAdd(item=QueueItemIn(video_id=VIMEO)),
        UpdateQueue(queue=[QueueItemIn(video_id=YOUTUBE), QueueItemIn(video_id=VIMEO)]),
    ):
        refused = refusal(empty, command, frozenset({"video", "youtube"}))
        assert refused is not None
        assert refused.code == "source_disabled"
        assert refused.params == {"kind": "vimeo", "plays": "youtube, video"}
        assert "does not play links of kind vimeo; it plays youtube, video" in refused.message
    assert refusal(empty, QueueAdd(item=QueueItemIn(video_id=YOUTUBE)), ONLY_YOUTUBE) is None
    assert refusal(empty, ChangeVideo(video_id=VIMEO), frozenset(KINDS)) is None
    file = QueueAdd(item=QueueItemIn(video_id="/media/a.mp3"))
    assert refusal(empty, file, frozenset({"video"})) is not None  # audio is its own kind


def test_links_a_room_already_holds_stay_usable() -> None:
    """Narrowing the setting never locks a queue: what is in it may be moved, removed, played."""
    state = _with(VIMEO, YOUTUBE, playing="https://www.twitch.tv/somebody")
    item = state.queue[0]
    keep = [QueueItemIn(id=i.id, video_id=i.video_id) for i in reversed(state.queue)]
    assert refusal(state, UpdateQueue(queue=keep), ONLY_YOUTUBE) is None
    assert refusal(state, UpdateQueue(queue=[]), ONLY_YOUTUBE) is None
    assert refusal(state, ChangeVideo(video_id=item.video_id), ONLY_YOUTUBE) is None
    assert refusal(state, Pause(), ONLY_YOUTUBE) is None
    again = QueueAdd(item=QueueItemIn(video_id="https://www.twitch.tv/somebody"))
    assert refusal(state, again, ONLY_YOUTUBE) is None
    other = UpdateQueue(queue=[*keep, QueueItemIn(video_id="https://vimeo.com/1")])
    refused = refusal(state, other, ONLY_YOUTUBE)
    assert refused is not None
    assert refused.code == "source_disabled"
