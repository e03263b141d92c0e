"""Queue modes, pure: which item plays next, with property tests of what each mode promises
(vote counts never exceed the members; loop never loses an item; shuffle plays each item once
per round; DJs take turns)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from watchparty.core import (
    Accepted,
    ChangeVideo,
    QueueItemIn,
    Rejection,
    UpdateQueue,
    advance,
    apply,
    new_room,
)
from watchparty.core.queue_modes import first_adders, next_index, tally
from watchparty.core.state import QueueItem, RoomState

T0 = 1_000.0


def item(n: int, by: str | None = None) -> QueueItem:
    return QueueItem(f"q{n}", f"video{n:06d}", by=by)


def accepted(result: Accepted | Rejection) -> RoomState:
    assert isinstance(result, Accepted), result
    return result.state


def room_with(queue: list[QueueItem], video: str = "playing----") -> RoomState:
    state = accepted(apply(new_room("r", T0), ChangeVideo(video_id=video), T0))
    return replace(state, queue=tuple(queue))


def test_manual_and_loop_play_the_first_item() -> None:
    queue = [item(1), item(2)]
    assert next_index("manual", queue) == 0
    assert next_index("loop", queue, pick=0.99) == 0


def test_vote_plays_the_most_voted_and_ties_go_by_queue_order() -> None:
    queue = [item(1), item(2), item(3)]
    assert next_index("vote", queue, votes={"q2": 1, "q3": 2}) == 2
    assert next_index("vote", queue, votes={"q2": 2, "q3": 2}) == 1
    assert next_index("vote", queue, votes={}) == 0


members = st.sets(st.sampled_from([f"m{i}" for i in range(8)]))


@given(
    st.dictionaries(st.sampled_from(["q1", "q2", "q3"]), members),
    members,
)
def test_vote_counts_never_exceed_the_members_present(
    votes: dict[str, set[str]], present: set[str]
) -> None:
    counts = tally(votes, present)
    assert all(0 < n <= len(present) for n in counts.values())
    assert all(counts.get(i, 0) == len(v & present) for i, v in votes.items())


@given(st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=30))
def test_loop_never_loses_an_item(size: int, steps: int) -> None:
    state = room_with([item(n) for n in range(size)])
    everything = Counter([state.video_id, *(i.video_id for i in state.queue)])
    for step in range(steps):
        index = next_index("loop", state.queue) if state.queue else 0
        state = advance(state, T0 + step, index=index, loop=True)
        assert state.playing
        assert Counter([state.video_id, *(i.video_id for i in state.queue)]) == everything
        ids = [i.id for i in state.queue]
        assert len(ids) == len(set(ids))


@given(st.integers(min_value=1, max_value=8), st.lists(st.floats(0, 0.999999), min_size=8))
def test_shuffle_plays_each_item_once_per_round(size: int, draws: list[float]) -> None:
    state = room_with([item(n) for n in range(size)])
    played: list[str] = []
    for step in range(size):
        index = next_index("shuffle", state.queue, pick=draws[step])
        state = advance(state, T0 + step, index=index)
        played.append(str(state.video_id))
    assert sorted(played) == sorted(f"video{n:06d}" for n in range(size))
    assert state.queue == ()


def test_djs_take_turns_in_the_order_they_first_added() -> None:
    queue = [item(1, "ann"), item(2, "ann"), item(3, "bob"), item(4, "cat"), item(5, "ann")]
    queue.append(item(6, "cat"))
    djs = first_adders((), queue)
    assert djs == ("ann", "bob", "cat")
    state = room_with(queue)
    last = None
    order = []
    while state.queue:
        index = next_index("dj", state.queue, last_dj=last, djs=djs)
        last = state.queue[index].by
        state = advance(state, T0, index=index)
        order.append((last, state.video_id))
    assert [by for by, _ in order] == ["ann", "bob", "cat", "ann", "cat", "ann"]
    assert [v for by, v in order if by == "ann"] == ["video000001", "video000002", "video000005"]


@given(st.lists(st.sampled_from(["ann", "bob", "cat", None]), min_size=1, max_size=12))
def test_a_dj_never_plays_twice_running_while_another_waits(adders: list[str | None]) -> None:
    queue = [item(n, by) for n, by in enumerate(adders)]
    djs = first_adders((), queue)
    state = room_with(queue)
    last: str | None = None
    started = False
    while state.queue:
        waiting = {i.by for i in state.queue}
        index = next_index("dj", state.queue, last_dj=last, djs=djs)
        chosen = state.queue[index]
        if started and waiting - {last}:
            assert chosen.by != last  # someone else was waiting: their turn
        # the DJ's earliest item
        assert index == min(n for n, i in enumerate(state.queue) if i.by == chosen.by)
        last, started = chosen.by, True
        state = advance(state, T0, index=index)


def test_adders_are_kept_by_whole_queue_updates() -> None:
    state = room_with([])
    one = UpdateQueue(queue=[QueueItemIn(video_id="a----------")])
    first = accepted(apply(state, one, T0, by=("k1", "Ann")))
    queued = first.queue
    assert (queued[0].by, queued[0].by_name) == ("k1", "Ann")
    assert queued[0].to_wire()["added_by"] == "Ann"
    kept = apply(
        first,
        UpdateQueue(
            queue=[
                QueueItemIn(id=queued[0].id, video_id="a----------"),
                QueueItemIn(video_id="b----------"),
            ]
        ),
        T0,
        by=("k2", "Bob"),
    )
    adders = [(i.by, i.by_name) for i in accepted(kept).queue]
    assert adders == [("k1", "Ann"), ("k2", "Bob")]
