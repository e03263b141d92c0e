"""Queue modes: which queued item plays next when the room moves on. Pure: the votes, the
last DJ and the random draw are arguments.

``manual``: the first item (the order people arranged). ``loop``: the first item, and the
video that finished goes to the end of the queue, so nothing is ever lost. ``shuffle``: an
item drawn at random; played items leave the queue, so each plays once per round (the
queue as it stood). ``vote``: the item with the most votes of members present (ties: queue
order). ``dj``: members take turns: after the last DJ's video, the next DJ (in the order they
first added) who has something queued plays their earliest item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import Final, Literal, get_args

from watchparty.core.state import QueueItem

QueueMode = Literal["manual", "loop", "shuffle", "vote", "dj"]
QUEUE_MODES: Final[tuple[str, ...]] = get_args(QueueMode)


def next_index(
    mode: str,
    queue: Sequence[QueueItem],
    *,
    votes: Mapping[str, int] | None = None,
    last_dj: str | None = None,
    djs: Sequence[str] = (),
    pick: float = 0.0,
) -> int:
    """The index in ``queue`` (not empty) of the item to play next. ``votes``: item id ->
    votes of members present; ``djs``: adders in the order they first added; ``pick``: a
    draw in [0, 1) for ``shuffle``."""
    if not queue:
        raise ValueError("an empty queue has no next item")
    if mode == "shuffle":
        return min(int(pick * len(queue)), len(queue) - 1)
    if mode == "vote" and votes:
        best = max(votes.get(item.id, 0) for item in queue)
        return next(i for i, item in enumerate(queue) if votes.get(item.id, 0) == best)
    if mode == "dj":
        return _dj_turn(queue, last_dj, djs)
    return 0


def _dj_turn(queue: Sequence[QueueItem], last_dj: str | None, djs: Sequence[str]) -> int:
    """The earliest item of the first DJ after ``last_dj``, in ``djs``'s order, who has one
    queued (items nobody added count as one more DJ, after the others)."""
    order: list[str | None] = list(djs)
    order += [dj for dj in dict.fromkeys(item.by for item in queue) if dj not in order]
    if last_dj in order:  # the turn passes on from the last DJ, queued or not now
        start = order.index(last_dj) + 1
        order = order[start:] + order[:start]
    queued = {item.by for item in queue}
    turn = next(dj for dj in order if dj in queued)
    return next(i for i, item in enumerate(queue) if item.by == turn)


def tally(votes: Mapping[str, Set[str]], present: Set[str]) -> dict[str, int]:
    """Each voted item's votes, counting only the members present (so never more than they)."""
    counts = {item_id: len(voters & present) for item_id, voters in votes.items()}
    return {item_id: n for item_id, n in counts.items() if n}


def first_adders(djs: Sequence[str], queue: Sequence[QueueItem]) -> tuple[str, ...]:
    """``djs`` with every adder of ``queue`` not yet in it, in the order of the queue."""
    known = dict.fromkeys(djs)
    for item in queue:
        if item.by is not None:
            known.setdefault(item.by)
    return tuple(known)
