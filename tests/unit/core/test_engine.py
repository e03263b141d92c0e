"""``apply``: unit tests of each command, and property tests of the invariants."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchparty.core import (
    Accepted,
    ChangeVideo,
    Command,
    Pause,
    Play,
    QueueAdd,
    QueueItemIn,
    QueueMove,
    QueueRemove,
    Rejection,
    RoomState,
    Seek,
    UpdateQueue,
    advance,
    apply,
    current_position,
    ends_at,
    new_room,
    parse_command,
)
from watchparty.core.limits import MAX_POSITION_SECONDS

T0 = 1_000.0


def accepted(result: Accepted | Rejection) -> RoomState:
    assert isinstance(result, Accepted), result
    return result.state


def with_video(now: float = T0) -> RoomState:
    return accepted(apply(new_room("r", now), ChangeVideo(video_id="v1---------"), now))


def test_new_room_is_empty_and_paused() -> None:
    state = new_room("r", T0)
    assert (state.version, state.video_id, state.playing, state.position, state.queue) == (
        0,
        None,
        False,
        0.0,
        (),
    )


def test_play_needs_a_video() -> None:
    assert apply(new_room("r", T0), Play(), T0) == Rejection(
        "no_video", "choose a video before pressing play"
    )


def test_position_is_derived_from_the_clock_while_playing() -> None:
    state = accepted(apply(with_video(), Play(), T0))
    assert current_position(state, T0 + 7.5) == 7.5
    paused = accepted(apply(state, Pause(), T0 + 10))
    assert paused.position == 10.0
    assert not paused.playing
    assert current_position(paused, T0 + 100) == 10.0


def test_play_and_pause_are_idempotent_in_position() -> None:
    playing = accepted(apply(with_video(), Play(), T0))
    again = accepted(apply(playing, Play(), T0 + 4))
    assert again.playing
    assert again.position == 4.0
    assert again.updated_at == T0 + 4
    assert current_position(again, T0 + 6) == 6.0


def test_seek_keeps_play_state() -> None:
    playing = accepted(apply(with_video(), Play(), T0))
    seeked = accepted(apply(playing, Seek(timestamp=90), T0 + 1))
    assert seeked.playing
    assert current_position(seeked, T0 + 3) == 92.0


def test_change_video_starts_from_zero() -> None:
    state = accepted(apply(with_video(), Seek(timestamp=50), T0))
    changed = accepted(apply(state, ChangeVideo(video_id="v2---------"), T0 + 1))
    assert (changed.video_id, changed.position) == ("v2---------", 0.0)


def test_every_accepted_command_bumps_the_version_by_one() -> None:
    state = new_room("r", T0)
    commands: list[Command] = [
        ChangeVideo(video_id="a----------"),
        Play(),
        Seek(timestamp=3),
        Pause(),
        UpdateQueue(queue=[]),
    ]
    for expected, command in enumerate(commands, start=1):
        state = accepted(apply(state, command, T0))
        assert state.version == expected


def test_stale_version_is_rejected_and_current_one_accepted() -> None:
    state = with_video()
    assert apply(state, Pause(version=0), T0) == Rejection(
        "stale_version", "the room is at version 1, not 0"
    )
    assert accepted(apply(state, Pause(version=1), T0)).version == 2


def test_queue_keeps_known_ids_and_assigns_new_ones() -> None:
    state = with_video()
    first = accepted(
        apply(
            state,
            UpdateQueue(
                queue=[QueueItemIn(video_id="a----------"), QueueItemIn(video_id="b----------")]
            ),
            T0,
        )
    )
    a, b = first.queue
    assert a.id != b.id
    reordered = accepted(
        apply(
            first,
            UpdateQueue(
                queue=[
                    QueueItemIn(id=b.id, video_id="b----------"),
                    QueueItemIn(id="forged", video_id="c----------"),
                    QueueItemIn(id=a.id, video_id="a----------"),
                ]
            ),
            T0,
        )
    )
    ids = [item.id for item in reordered.queue]
    assert ids[0] == b.id
    assert ids[2] == a.id
    assert ids[1] not in (a.id, b.id, "forged")


def test_duplicate_queue_ids_are_rejected() -> None:
    state = accepted(
        apply(with_video(), UpdateQueue(queue=[QueueItemIn(video_id="a----------")]), T0)
    )
    item_id = state.queue[0].id
    result = apply(
        state,
        UpdateQueue(
            queue=[
                QueueItemIn(id=item_id, video_id="a----------"),
                QueueItemIn(id=item_id, video_id="a----------"),
            ]
        ),
        T0,
    )
    assert isinstance(result, Rejection)
    assert result.code == "invalid_payload"


def test_the_first_item_added_to_an_idle_room_becomes_its_video() -> None:
    item = QueueItemIn(video_id="a----------", title="A", duration=30.0)
    state = accepted(apply(new_room("r", T0), QueueAdd(item=item), T0 + 1))
    assert (state.video_id, state.title, state.duration) == ("a----------", "A", 30.0)
    assert state.queue == ()
    assert (state.playing, state.position, state.updated_at) == (False, 0.0, T0 + 1)
    assert state.version == 1
    listed = accepted(
        apply(
            new_room("r", T0),
            UpdateQueue(queue=[item, QueueItemIn(video_id="b----------")]),
            T0,
        )
    )
    assert listed.video_id == "a----------"
    assert [i.video_id for i in listed.queue] == ["b----------"]


def test_adding_to_a_room_with_a_video_only_queues() -> None:
    state = accepted(apply(with_video(), QueueAdd(item=QueueItemIn(video_id="b----------")), T0))
    assert state.video_id != "b----------"
    assert [i.video_id for i in state.queue] == ["b----------"]


def test_a_clock_stepping_back_does_not_move_history_back() -> None:
    state = accepted(apply(with_video(T0), Play(), T0 + 10))
    later = accepted(apply(state, Pause(), T0 + 5))  # the clock went back 5 s
    assert later.updated_at == T0 + 10
    assert later.position == state.position


# --- property tests: no sequence of commands, valid or not, breaks the invariants ---------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
item_payloads = st.one_of(
    st.fixed_dictionaries(
        {"video_id": st.sampled_from(["a----------", "b----------", "c----------", " ", ""])},
        optional={
            "id": st.one_of(st.sampled_from(["q1.0", "q2.0", "q3.1", "x----------"]), json_scalars),
            "title": st.one_of(st.text(max_size=20), json_scalars),
            "duration": st.one_of(st.floats(min_value=0, max_value=10_000), json_scalars),
        },
    ),
    json_scalars,
)
payloads: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    json_scalars,
    st.fixed_dictionaries(
        {},
        optional={
            "timestamp": st.one_of(st.floats(min_value=-10, max_value=2e6), json_scalars),
            "video_id": st.one_of(
                st.sampled_from(["v1---------", "v2---------", ""]), json_scalars
            ),
            "queue": st.one_of(st.lists(item_payloads, max_size=6), json_scalars),
            "version": st.one_of(st.integers(min_value=-1, max_value=12), json_scalars),
            "junk": json_scalars,
        },
    ),
)
events = st.sampled_from(["PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO", "UPDATE_QUEUE", "NOPE", ""])
steps = st.lists(
    st.tuples(events, payloads, st.floats(min_value=-5, max_value=50)), min_size=1, max_size=40
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_invariants_hold_for_any_sequence(sequence: list[tuple[str, Any, float]]) -> None:
    state = new_room("r", T0)
    now = T0
    for event, payload, dt in sequence:
        now += dt  # the clock may even step back
        command = parse_command(event, payload)
        if isinstance(command, Rejection):
            continue
        before = state
        result = apply(state, command, now)
        if isinstance(result, Rejection):
            assert state is before  # nothing changed
            continue
        state = result.state
        assert state.version == before.version + 1
        assert state.updated_at >= before.updated_at
        assert math.isfinite(state.position)
        assert 0 <= state.position <= MAX_POSITION_SECONDS
        assert 0 <= current_position(state, now + 1e6) <= MAX_POSITION_SECONDS
        ids = [item.id for item in state.queue]
        assert len(ids) == len(set(ids))
        if not isinstance(command, UpdateQueue):
            assert state.queue == before.queue
        if state.playing or state.queue:
            assert state.video_id is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.floats(min_value=0, max_value=30)), max_size=30))
def test_position_is_continuous_across_play_and_pause(toggles: list[tuple[bool, float]]) -> None:
    """Play and pause never jump: the position right after equals the one right before."""
    state = with_video()
    now = T0
    for play, dt in toggles:
        now += dt
        expected = current_position(state, now)
        state = accepted(apply(state, Play() if play else Pause(), now))
        assert math.isclose(current_position(state, now), expected, abs_tol=1e-9)


def queued(*video_ids: str) -> RoomState:
    items = [QueueItemIn(video_id=v, duration=10.0) for v in video_ids]
    return accepted(apply(with_video(), UpdateQueue(queue=items), T0))


def test_queue_add_remove_and_move() -> None:
    state = queued("a----------", "b----------")
    added = accepted(apply(state, QueueAdd(item=QueueItemIn(video_id="c----------")), T0))
    assert [i.video_id for i in added.queue] == ["a----------", "b----------", "c----------"]
    assert added.queue[2].id == f"q{added.version}.0"
    first = accepted(
        apply(added, QueueAdd(item=QueueItemIn(video_id="d----------"), position=0), T0)
    )
    assert first.queue[0].video_id == "d----------"
    moved = accepted(apply(first, QueueMove(id=first.queue[0].id, to=99), T0))
    assert moved.queue[-1].video_id == "d----------"
    removed = accepted(apply(moved, QueueRemove(id=moved.queue[0].id), T0))
    assert [i.video_id for i in removed.queue] == ["b----------", "c----------", "d----------"]
    assert apply(removed, QueueRemove(id="nope"), T0) == Rejection(
        "no_such_item", "no queue item has id 'nope'"
    )
    assert removed.version == state.version + 4


def test_advance_starts_the_next_item_or_stops_at_the_end() -> None:
    state = accepted(apply(queued("a----------"), Play(), T0))
    moved = advance(state, T0 + 3)
    assert (moved.video_id, moved.duration, moved.playing, moved.position) == (
        "a----------",
        10.0,
        True,
        0.0,
    )
    assert (moved.queue, moved.updated_at, moved.version) == ((), T0 + 3, state.version + 1)
    ended = advance(accepted(apply(moved, Play(), T0 + 3)), T0 + 20)
    assert (ended.playing, ended.position, ended.video_id) == (False, 10.0, "a----------")


def test_ends_at_follows_position_rate_and_length() -> None:
    state = accepted(
        apply(new_room("r", T0), ChangeVideo(video_id="a----------", duration=30.0), T0)
    )
    assert ends_at(state) is None  # paused
    playing = accepted(apply(accepted(apply(state, Seek(timestamp=10.0), T0)), Play(), T0 + 1))
    assert ends_at(playing) == T0 + 1 + 20.0
    unknown = accepted(apply(with_video(), Play(), T0))
    assert ends_at(unknown) is None


@given(st.lists(st.sampled_from(["add", "remove", "move"]), max_size=30), st.randoms())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_queue_operations_keep_ids_unique(ops: list[str], rnd: Any) -> None:
    state = queued("a----------")
    for op in ops:
        command: Command
        if op == "add" or not state.queue:
            command = QueueAdd(item=QueueItemIn(video_id="x----------"), position=rnd.randint(0, 5))
        elif op == "remove":
            command = QueueRemove(id=rnd.choice(state.queue).id)
        else:
            command = QueueMove(id=rnd.choice(state.queue).id, to=rnd.randint(0, 5))
        state = accepted(apply(state, command, T0))
        assert len({i.id for i in state.queue}) == len(state.queue)


def test_a_live_channel_shares_play_and_pause_but_refuses_seeks() -> None:
    channel = "https://www.twitch.tv/some_streamer"
    live = accepted(apply(new_room("r", T0), ChangeVideo(video_id=channel), T0))
    assert live.to_wire()["live"] is True
    assert live.to_wire()["rates"] == [1.0]
    refused = apply(live, Seek(timestamp=10), T0 + 1)
    assert isinstance(refused, Rejection)
    assert refused.code == "live_not_seekable"
    playing = accepted(apply(live, Play(), T0 + 1))
    assert playing.playing
    assert not accepted(apply(playing, Pause(), T0 + 2)).playing
    # a past broadcast of the same service seeks like any video
    vod = accepted(apply(live, ChangeVideo(video_id="https://www.twitch.tv/videos/123456"), T0))
    assert vod.to_wire()["live"] is False
    assert accepted(apply(vod, Seek(timestamp=10), T0 + 1)).position == 10
