"""``apply``: the one function that changes a room.

Pure: the state, a validated command and the server time go in; a new state or a rejection
comes out. Every accepted command bumps ``version`` by one; a rejected one changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from watchparty.core.commands import (
    ChangeVideo,
    Command,
    Pause,
    Play,
    QueueAdd,
    QueueItemIn,
    QueueMove,
    QueueRemove,
    Seek,
    SetRate,
    SetSubtitles,
    UpdateQueue,
)
from watchparty.core.errors import Rejection, reject
from watchparty.core.limits import MAX_QUEUE_BYTES, MAX_QUEUE_ITEMS
from watchparty.core.media import is_live, media_kind, playable_rate, rates_for
from watchparty.core.state import QueueItem, RoomState, current_position, rate_at
from watchparty.core.tracks import tracks_bytes, tracks_from


@dataclass(frozen=True, slots=True)
class Accepted:
    state: RoomState


Adder = tuple[str, str | None]  # who adds queue items: a member's key and name


def apply(
    state: RoomState,
    command: Command,
    now: float,
    lead: float = 0.0,
    by: Adder | None = None,
) -> Accepted | Rejection:
    """Apply ``command`` to ``state`` at server time ``now``.

    Playback that starts (a play, a seek or a new video while playing) starts ``lead`` seconds
    ahead, at ``updated_at``, so that every client starts together (core.timing). A command that
    arrives while such a start is still to come counts from ``now``: the position is held
    until the start, so nothing jumps, and leads do not add up. Queue items it adds are
    ``by`` the sender (queue modes take turns by it).
    """
    if command.version is not None and command.version != state.version:
        detail = f"the room is at version {state.version}, not {command.version}"
        return reject("stale_version", detail=detail)
    now = _base_time(state, now, lead)
    version = state.version + 1
    if isinstance(command, UpdateQueue | QueueAdd | QueueRemove | QueueMove):
        return _queue_command(state, command, now, version, by)
    if isinstance(command, SetRate | SetSubtitles):
        return _media_command(state, command, now, lead, version)
    return _playback_command(state, command, now, lead, version)


def _playback_command(
    state: RoomState, command: Command, now: float, lead: float, version: int
) -> Accepted | Rejection:
    match command:
        case Play():
            if state.video_id is None:
                return reject("no_video", detail="choose a video before pressing play")
            if state.playing and now < state.updated_at:  # a start or rate change to come
                return Accepted(replace(state, version=version))
            position = current_position(state, now)
            start = now if state.playing else now + lead  # already playing: no hiccup
            return Accepted(
                replace(
                    state,
                    version=version,
                    playing=True,
                    waiting=False,
                    position=position,
                    updated_at=start,
                    lead_rate=0.0,
                )
            )
        case Pause():
            return Accepted(_paused(state, now, current_position(state, now)))
        case Seek() if state.video_id is not None and is_live(state.video_id):
            return reject("live_not_seekable")
        case Seek(timestamp=timestamp):
            start = now + lead if state.playing else now
            return Accepted(
                replace(state, version=version, position=timestamp, updated_at=start, lead_rate=0.0)
            )
        case ChangeVideo(video_id=video_id, title=title, duration=duration, subtitles=tracks):
            # A room waiting for a stalled member was meant to be playing: the new video plays.
            playing = state.playing or state.waiting
            return Accepted(
                replace(
                    state,
                    version=version,
                    video_id=video_id,
                    title=title,
                    duration=duration,
                    subtitles=tracks_from(tracks),
                    rate=playable_rate(media_kind(video_id), state.rate),
                    playing=playing,
                    waiting=False,
                    position=0.0,
                    updated_at=now + lead if playing else now,
                    lead_rate=0.0,
                )
            )
    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover


def _media_command(
    state: RoomState, command: SetRate | SetSubtitles, now: float, lead: float, version: int
) -> Accepted | Rejection:
    match command:
        case SetRate(rate=rate):
            steps = rates_for(state.video_kind)
            if steps is not None and rate not in steps:
                listed = ", ".join(f"{step:g}" for step in steps)
                return reject("rate_unsupported", rate=rate, rates=listed)
            if not state.playing or now < state.updated_at:
                # Paused, or a start or rate change still to come: the new rate takes over
                # from that same instant.
                return Accepted(replace(state, version=version, rate=rate))
            at = now + lead  # every member switches at this server instant
            return Accepted(
                replace(
                    state,
                    version=version,
                    position=current_position(state, at),
                    updated_at=at,
                    lead_rate=rate_at(state, now),
                    rate=rate,
                )
            )
        case SetSubtitles(id=None, subtitles=tracks):
            if state.video_id is None:
                return reject("no_video", detail="no video is playing to add subtitles to")
            return Accepted(replace(state, version=version, subtitles=tracks_from(tracks)))
        case SetSubtitles(id=item_id, subtitles=tracks):
            assert item_id is not None
            found = _index(state.queue, item_id)
            if found is None:
                return _no_item(item_id)
            item = replace(state.queue[found], subtitles=tracks_from(tracks))
            return _queued(state, version, (*state.queue[:found], item, *state.queue[found + 1 :]))
    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover


def _queue_command(
    state: RoomState,
    command: UpdateQueue | QueueAdd | QueueRemove | QueueMove,
    now: float,
    version: int,
    by: Adder | None = None,
) -> Accepted | Rejection:
    match command:
        case UpdateQueue(queue=items):
            queue = _assign_ids(state.queue, items, version, by)
            if isinstance(queue, Rejection):
                return queue
            return _cued(_queued(state, version, queue), now)
        case QueueAdd(item=item, position=at):
            if len(state.queue) >= MAX_QUEUE_ITEMS:
                return reject("queue_full", limit=MAX_QUEUE_ITEMS)
            new = _item(f"q{version}.0", item, by)
            index = len(state.queue) if at is None else min(at, len(state.queue))
            queue = (*state.queue[:index], new, *state.queue[index:])
            return _cued(_queued(state, version, queue), now)
        case QueueRemove(id=item_id):
            found = _index(state.queue, item_id)
            if found is None:
                return _no_item(item_id)
            return Accepted(
                replace(
                    state, version=version, queue=state.queue[:found] + state.queue[found + 1 :]
                )
            )
        case QueueMove(id=item_id, to=to):
            found = _index(state.queue, item_id)
            if found is None:
                return _no_item(item_id)
            rest = list(state.queue)
            moved = rest.pop(found)
            rest.insert(min(to, len(rest)), moved)
            return Accepted(replace(state, version=version, queue=tuple(rest)))
    raise AssertionError(f"unhandled command {command!r}")  # pragma: no cover


def _cued(result: Accepted | Rejection, now: float) -> Accepted | Rejection:
    """With nothing chosen yet, the queue's first item becomes the video, paused at 0 and
    out of the queue: a new room's first *Add* gives everyone a player to press play on,
    rather than a queue item whose own play button a newcomer must find."""
    if isinstance(result, Rejection) or result.state.video_id is not None:
        return result
    state = result.state
    if not state.queue:
        return result
    return Accepted(_next_up(state, version=state.version, playing=False, at=now))


def _next_up(
    state: RoomState, *, version: int, playing: bool, at: float, index: int = 0
) -> RoomState:
    """The queue's item at ``index`` as the room's video, from 0 as of ``at`` (it leaves
    the queue)."""
    head, rest = state.queue[index], state.queue[:index] + state.queue[index + 1 :]
    return replace(
        state,
        version=version,
        video_id=head.video_id,
        title=head.title,
        duration=head.duration,
        subtitles=head.subtitles,
        rate=playable_rate(media_kind(head.video_id), state.rate),
        playing=playing,
        waiting=False,
        position=0.0,
        updated_at=at,
        lead_rate=0.0,
        queue=rest,
    )


def _item(item_id: str, item: QueueItemIn, by: Adder | None) -> QueueItem:
    key, name = by if by is not None else (None, None)
    return QueueItem(
        item_id, item.video_id, item.title, item.duration, tracks_from(item.subtitles), key, name
    )


def _paused(state: RoomState, now: float, position: float, waiting: bool = False) -> RoomState:
    """The next version of ``state``: paused at ``position`` as of ``now`` (``waiting``:
    until stalled members can play)."""
    return replace(
        state,
        version=state.version + 1,
        playing=False,
        waiting=waiting,
        position=position,
        updated_at=now,
        lead_rate=0.0,
    )


def _base_time(state: RoomState, now: float, lead: float = 0.0) -> float:
    """The time a change counts from: ``now``, but never before the state's own time, so
    that a clock that stepped back cannot move a room's history backwards. A start still to
    come within one ``lead`` is a scheduled one, not a clock that stepped back: its position
    is held until then whatever the time, so ``now`` stands (else a command right after a
    play would wait out that play's lead as well as its own)."""
    if state.playing and 0 < state.updated_at - now <= lead:
        return now
    return max(now, state.updated_at)


def advance(
    state: RoomState, now: float, lead: float = 0.0, *, index: int = 0, loop: bool = False
) -> RoomState:
    """The room moves on: the queue item at ``index`` (core.queue_modes chooses it) starts
    playing from 0 (it leaves the queue), or, with nothing queued, playback stops where it is
    (at the end of a video that ended). ``loop``: the video that finished goes to the end of
    the queue first (alone, it plays again)."""
    now = _base_time(state, now, lead)
    if loop and state.video_id is not None:
        state = replace(state, queue=(*state.queue, _replay(state)))
    if not state.queue:
        position = current_position(state, now)
        if state.duration is not None:
            position = min(position, state.duration)
        return _paused(state, now, position)
    index = min(max(index, 0), len(state.queue) - 1)
    return _next_up(state, version=state.version + 1, playing=True, at=now + lead, index=index)


def _replay(state: RoomState) -> QueueItem:
    """The current video as a queue item again (an id no earlier version could have made)."""
    assert state.video_id is not None
    return QueueItem(
        f"q{state.version + 1}.loop", state.video_id, state.title, state.duration, state.subtitles
    )


def hold(state: RoomState, now: float) -> RoomState:
    """Pause a playing room until stalled members can play (``waiting``); see ``resume``."""
    now = _base_time(state, now)
    return _paused(state, now, current_position(state, now), waiting=True)


def resume(state: RoomState, now: float, lead: float = 0.0) -> RoomState:
    """A waiting room plays on from where it held, ``lead`` seconds from now."""
    now = _base_time(state, now)
    return replace(
        state,
        version=state.version + 1,
        playing=True,
        waiting=False,
        updated_at=now + lead,
        lead_rate=0.0,
    )


def queue_bytes(queue: tuple[QueueItem, ...]) -> int:
    """What a queue weighs on the wire, near enough: its video ids, titles and subtitle
    tracks in UTF-8."""
    return sum(
        len(i.video_id.encode()) + len((i.title or "").encode()) + tracks_bytes(i.subtitles)
        for i in queue
    )


def _queued(state: RoomState, version: int, queue: tuple[QueueItem, ...]) -> Accepted | Rejection:
    """The state with this queue, unless it grows past ``MAX_QUEUE_BYTES`` (a queue already
    over it, from before the limit, may still shrink)."""
    size = queue_bytes(queue)
    if size > MAX_QUEUE_BYTES and size > queue_bytes(state.queue):
        kib = MAX_QUEUE_BYTES // 1024
        return reject("queue_too_large", kib=kib)
    return Accepted(replace(state, version=version, queue=queue))


def _index(queue: tuple[QueueItem, ...], item_id: str) -> int | None:
    return next((i for i, item in enumerate(queue) if item.id == item_id), None)


def _no_item(item_id: str) -> Rejection:
    return reject("no_such_item", item_id=item_id[:64])


def _assign_ids(
    current: tuple[QueueItem, ...], items: list[QueueItemIn], version: int, by: Adder | None
) -> tuple[QueueItem, ...] | Rejection:
    """Keep the ids (and adders) of items already queued; give every other item a fresh one,
    added ``by`` the sender.

    Fresh ids embed the new version, which no earlier id can, so they never collide; an id the
    room does not know is treated as new, so a client cannot plant one that collides later.
    """
    known = {item.id: item for item in current}
    seen: set[str] = set()
    result: list[QueueItem] = []
    for index, item in enumerate(items):
        if item.id is not None and item.id in seen:
            return reject("invalid_payload", detail=f"queue.{index}.id: duplicate item id")
        kept = known.get(item.id) if item.id is not None else None
        item_id = kept.id if kept is not None else f"q{version}.{index}"
        seen.add(item_id)
        adder = (kept.by, kept.by_name) if kept is not None and kept.by is not None else None
        result.append(_item(item_id, item, adder if kept is not None else by))
    return tuple(result)
