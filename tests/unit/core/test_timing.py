"""Scheduled starts (``lead``) and waiting for stalled members (``hold`` / ``resume``)."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchparty.core import (
    Accepted,
    ChangeVideo,
    Pause,
    Play,
    QueueItemIn,
    Rejection,
    RoomState,
    Seek,
    UpdateQueue,
    advance,
    apply,
    current_position,
    hold,
    new_room,
    parse_command,
    resume,
    start_lead,
)
from watchparty.core.timing import LOAD_TRIPS

T0 = 1_000.0
LEAD = 0.3


def accepted(result: Accepted | Rejection) -> RoomState:
    assert isinstance(result, Accepted), result
    return result.state


def paused_at(position: float) -> RoomState:
    state = accepted(apply(new_room("r", T0), ChangeVideo(video_id="v1---------"), T0))
    return accepted(apply(state, Seek(timestamp=position), T0))


def test_the_lead_covers_the_slowest_round_trip_within_bounds() -> None:
    assert start_lead([], 0.3, 2.0) == 0.3
    assert start_lead([0.05, 0.2, 0.1], 0.3, 2.0) == 0.5
    assert start_lead([0.2], 0.3, 2.0, loading=True) == 0.3 + LOAD_TRIPS * 0.2
    assert start_lead([5.0], 0.3, 2.0) == 2.0


def test_play_from_paused_starts_ahead_and_holds_the_position_until_then() -> None:
    state = accepted(apply(paused_at(10.0), Play(), T0 + 1, LEAD))
    assert (state.playing, state.position, state.updated_at) == (True, 10.0, T0 + 1 + LEAD)
    assert current_position(state, T0 + 1) == 10.0
    assert current_position(state, T0 + 1 + LEAD) == 10.0
    assert math.isclose(current_position(state, T0 + 2 + LEAD), 11.0)


def test_play_while_playing_is_no_hiccup() -> None:
    playing = accepted(apply(paused_at(10.0), Play(), T0, LEAD))
    again = accepted(apply(playing, Play(), T0 + 5, LEAD))
    assert again.updated_at == T0 + 5
    assert math.isclose(current_position(again, T0 + 5), current_position(playing, T0 + 5))


def test_seek_while_playing_is_scheduled_and_while_paused_is_not() -> None:
    playing = accepted(apply(paused_at(10.0), Play(), T0, LEAD))
    sought = accepted(apply(playing, Seek(timestamp=50.0), T0 + 2, LEAD))
    assert (sought.position, sought.updated_at) == (50.0, T0 + 2 + LEAD)
    still = accepted(apply(paused_at(10.0), Seek(timestamp=50.0), T0 + 2, LEAD))
    assert (still.position, still.updated_at, still.playing) == (50.0, T0 + 2, False)


def test_commands_within_a_lead_keep_the_held_position_and_count_from_now() -> None:
    playing = accepted(apply(paused_at(10.0), Play(), T0, LEAD))
    paused = accepted(apply(playing, Pause(), T0 + LEAD / 2, LEAD))
    assert (paused.playing, paused.position, paused.updated_at) == (False, 10.0, T0 + LEAD / 2)
    # Leads do not add up: a seek right after a play starts one lead after the seek.
    sought = accepted(apply(playing, Seek(timestamp=40.0), T0 + 0.1, LEAD))
    assert (sought.position, sought.updated_at) == (40.0, T0 + 0.1 + LEAD)


def test_a_new_video_while_playing_starts_ahead() -> None:
    playing = accepted(apply(paused_at(10.0), Play(), T0, LEAD))
    changed = accepted(apply(playing, ChangeVideo(video_id="v2---------"), T0 + 3, 0.9))
    assert (changed.playing, changed.position, changed.updated_at) == (True, 0.0, T0 + 3.9)
    queued = accepted(apply(playing, UpdateQueue(queue=[QueueItemIn(video_id="v3---------")]), T0))
    moved_on = advance(queued, T0 + 4, 0.9)
    assert (moved_on.video_id, moved_on.updated_at) == ("v3---------", T0 + 4.9)


def test_hold_and_resume() -> None:
    playing = accepted(apply(paused_at(10.0), Play(), T0, LEAD))
    held = hold(playing, T0 + LEAD + 2)
    assert (held.playing, held.waiting, held.version) == (False, True, playing.version + 1)
    assert math.isclose(held.position, 12.0)
    resumed = resume(held, T0 + LEAD + 5, LEAD)
    assert (resumed.playing, resumed.waiting, resumed.version) == (True, False, held.version + 1)
    assert math.isclose(resumed.position, 12.0)
    assert math.isclose(resumed.updated_at, T0 + 2 * LEAD + 5)


def test_commands_on_a_waiting_room() -> None:
    held = hold(accepted(apply(paused_at(10.0), Play(), T0, LEAD)), T0 + 1)
    # A seek keeps it waiting; a pause ends the wait; a play or a new video plays.
    sought = accepted(apply(held, Seek(timestamp=40.0), T0 + 2, LEAD))
    assert (sought.waiting, sought.playing, sought.position) == (True, False, 40.0)
    assert accepted(apply(held, Pause(), T0 + 2, LEAD)).waiting is False
    played = accepted(apply(held, Play(), T0 + 2, LEAD))
    assert (played.playing, played.waiting) == (True, False)
    changed = accepted(apply(held, ChangeVideo(video_id="v2---------"), T0 + 2, LEAD))
    assert (changed.playing, changed.waiting, changed.updated_at) == (True, False, T0 + 2 + LEAD)


# --- with leads, holds and resumes in the mix, the invariants still hold ----------------------

moves = st.lists(
    st.tuples(
        st.sampled_from(["PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO", "HOLD", "RESUME", "ADVANCE"]),
        st.floats(min_value=0, max_value=500),
        st.floats(min_value=-2, max_value=20),
        st.floats(min_value=0, max_value=2),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(moves)
def test_invariants_hold_with_leads_and_waits(
    sequence: list[tuple[str, float, float, float]],
) -> None:
    state = accepted(apply(new_room("r", T0), ChangeVideo(video_id="v1---------"), T0))
    now = T0
    for name, number, dt, lead in sequence:
        now += dt  # the clock may step back
        before = state
        if name == "HOLD":
            if not state.playing:
                continue
            state = hold(state, now)
            assert math.isclose(state.position, current_position(before, now), abs_tol=1e-6)
        elif name == "RESUME":
            if not state.waiting:
                continue
            state = resume(state, now, lead)
        elif name == "ADVANCE":
            state = advance(state, now, lead)
        else:
            payloads: dict[str, dict[str, Any]] = {
                "SEEK": {"timestamp": number},
                "CHANGE_VIDEO": {"video_id": "v2---------"},
            }
            payload = payloads.get(name, {})
            command = parse_command(name, payload)
            assert not isinstance(command, Rejection)
            state = accepted(apply(state, command, now, lead))
        assert state.version == before.version + 1
        # Time never runs back, except over a start still to come (its position is held).
        pending = before.playing and 0 < before.updated_at - now <= lead
        assert state.updated_at >= before.updated_at or pending
        assert not (state.playing and state.waiting)
        assert state.updated_at <= max(now, before.updated_at) + lead + 1e-9
        assert 0 <= current_position(state, now) <= 1_000_000
        if name in ("PLAY", "PAUSE", "HOLD"):  # no jump: right after equals right before
            expected = current_position(before, now)
            assert math.isclose(current_position(state, now), expected, abs_tol=1e-6)
