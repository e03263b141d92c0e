"""The link table (core.links, core.media) with link shapes as each service writes them, and
the near misses that must not pass for them."""

from __future__ import annotations

import pytest

from watchparty.core.commands import ChangeVideo, parse_command
from watchparty.core.errors import Rejection
from watchparty.core.media import canonical, is_live, media_kind, rates_for

UUID = "9c9de5e8-0a1e-484a-b099-e80766180a6d"
SHORT = "kkGMgK9ZtnKfYAgnEtQxbv"  # the same video's short id, as PeerTube shows it


@pytest.mark.parametrize(
    ("link", "kind", "kept"),
    [
        # Vimeo: public, in a channel, a group or a showcase, unlisted (with its hash), embedded
        ("https://vimeo.com/76979871", "vimeo", "https://vimeo.com/76979871"),
        ("https://www.vimeo.com/76979871/", "vimeo", "https://vimeo.com/76979871"),
        ("https://vimeo.com/channels/staffpicks/76979871", "vimeo", "https://vimeo.com/76979871"),
        (
            "https://vimeo.com/groups/shortfilms/videos/76979871",
            "vimeo",
            "https://vimeo.com/76979871",
        ),
        (
            "https://vimeo.com/showcase/7654321/video/76979871",
            "vimeo",
            "https://vimeo.com/76979871",
        ),
        ("https://vimeo.com/76979871/8272103f6e", "vimeo", "https://vimeo.com/76979871/8272103f6e"),
        (
            "https://player.vimeo.com/video/76979871?h=8272103f6e",
            "vimeo",
            "https://vimeo.com/76979871/8272103f6e",
        ),
        ("https://player.vimeo.com/video/76979871?h=<b>", "vimeo", "https://vimeo.com/76979871"),
        # Twitch: a past broadcast, and live channels (names are case-insensitive)
        (
            "https://www.twitch.tv/videos/1234567890",
            "twitch",
            "https://www.twitch.tv/videos/1234567890",
        ),
        (
            "https://m.twitch.tv/videos/1234567890?t=1h2m",
            "twitch",
            "https://www.twitch.tv/videos/1234567890",
        ),
        ("https://www.twitch.tv/Some_Streamer", "twitch", "https://www.twitch.tv/some_streamer"),
        ("https://twitch.tv/esl_csgo/", "twitch", "https://www.twitch.tv/esl_csgo"),
        # Dailymotion: its pages (with a title slug), its short links, its embeds
        (
            "https://www.dailymotion.com/video/x8abcd1",
            "dailymotion",
            "https://www.dailymotion.com/video/x8abcd1",
        ),
        (
            "https://www.dailymotion.com/video/x7tgad0_cats-and-dogs",
            "dailymotion",
            "https://www.dailymotion.com/video/x7tgad0",
        ),
        ("https://dai.ly/x7tgad0", "dailymotion", "https://www.dailymotion.com/video/x7tgad0"),
        (
            "https://www.dailymotion.com/embed/video/x7tgad0?autoplay=1",
            "dailymotion",
            "https://www.dailymotion.com/video/x7tgad0",
        ),
        # PeerTube: any instance; its short links, its long ones, its embeds
        (f"https://framatube.org/w/{SHORT}", "peertube", f"https://framatube.org/w/{SHORT}"),
        (
            f"https://peertube.example/videos/watch/{UUID}",
            "peertube",
            f"https://peertube.example/w/{UUID}",
        ),
        (
            f"https://PeerTube.Example/videos/embed/{UUID}?start=30s",
            "peertube",
            f"https://peertube.example/w/{UUID}",
        ),
        (
            f"http://ann:secret@127.0.0.1:9000/w/{SHORT}",  # a port kept, a password not
            "peertube",
            f"http://127.0.0.1:9000/w/{SHORT}",
        ),
        # files keep their spelling
        ("https://cdn.example/w/film.mp4", "video", "https://cdn.example/w/film.mp4"),
        (
            "https://vimeo-cdn.example/76979871.mp4",
            "video",
            "https://vimeo-cdn.example/76979871.mp4",
        ),
    ],
)
def test_each_service_link_is_read_and_kept_by_one_spelling(
    link: str, kind: str, kept: str
) -> None:
    command = parse_command("CHANGE_VIDEO", {"video_id": link})
    assert isinstance(command, ChangeVideo), command
    assert command.video_id == kept
    assert media_kind(kept) == kind
    assert canonical(kept) == kept  # the kept spelling reads as itself


@pytest.mark.parametrize(
    "link",
    [
        "https://vimeo.com/",
        "https://vimeo.com/channels/staffpicks",  # a channel, not a video
        "https://vimeo.com/user12345",
        "https://player.vimeo.com/api/player.js",
        "https://www.twitch.tv/directory/game/Chess",  # Twitch's own pages
        "https://www.twitch.tv/settings",
        "https://www.twitch.tv/videos/abc",
        "https://www.twitch.tv/ab",  # too short for a channel name
        "https://www.dailymotion.com/Dailymotion",  # a channel
        "https://www.dailymotion.com/video/",
        "https://dai.ly/",
    ],
)
def test_a_service_page_that_is_no_video_is_refused(link: str) -> None:
    assert media_kind(link) is None
    result = parse_command("CHANGE_VIDEO", {"video_id": link})
    assert isinstance(result, Rejection)
    assert "Dailymotion or a PeerTube instance" in result.message


@pytest.mark.parametrize(
    ("link", "kind"),
    [
        (f"https://framatube.org/w/{SHORT[:-1]}", "video"),  # one character short: a file
        (f"https://framatube.org/w/{SHORT}0", "video"),  # 0 is not in base 58
        (f"https://framatube.org/videos/watch/{UUID[:-1]}", "video"),
        ("https://notvimeo.com/76979871", "video"),
        ("https://vimeo.com.evil.example/76979871", "video"),
    ],
)
def test_near_misses_of_a_service_are_files(link: str, kind: str) -> None:
    assert media_kind(link) == kind
    assert canonical(link) == link


def test_what_each_kind_can_do() -> None:
    assert is_live("https://www.twitch.tv/some_streamer")
    assert not is_live("https://www.twitch.tv/videos/1234567890")
    assert not is_live("https://vimeo.com/76979871")
    for kind in ("vimeo", "twitch", "dailymotion"):
        assert rates_for(kind) == (1.0,)
    for kind in ("video", "audio", "hls", "dash", "peertube"):
        assert rates_for(kind) is None  # any rate in range
