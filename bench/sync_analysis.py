"""The sync bench's figures: each page's offset from the room's position at common instants,
the spread between pages, when a room settled after a command, the summary and the plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GRID = 0.02  # seconds between the common instants pages are compared at
# The goals (issue 24: "echoless"): spread p95 and max, and settling, in seconds. A room has
# settled once its spread stays within the p95 goal. By added latency, then by condition.
LINK_GOALS = {"0": (0.010, 0.025, 0.5), "50:10": (0.010, 0.025, 0.5), "150:50": (0.010, 0.033, 1.0)}
CONDITION_GOALS = {
    "loss2": (0.016, 0.050, 1.5),  # 2 % of packets lost
    "cpu4": (0.016, 0.050, 1.0),  # one page on a 4x slower CPU
    "stall": (0.010, 0.033, 1.0),  # one page's video stalls 2 s: settled after data flows
    "hidden": (0.010, 0.033, 1.0),  # one page hidden 30 s: settled after it is shown
    "drift": (0.010, 0.025, 1.0),  # page clocks 200 ppm fast or slow
}


@dataclass
class Command:
    at: float  # real time it was sent
    label: str
    counted: bool = True  # False: a page is meant to be off until the next command


@dataclass
class Run:
    profile: str
    pages: list[list[tuple[float, float, bool, str]]]
    states: list[tuple[float, dict[str, Any]]]  # (real time received, STATE)
    commands: list[Command]
    end: float


def room_position(state: dict[str, Any], t: float) -> float:
    """The protocol's formula: ``lead_rate`` before ``updated_at``, ``rate`` after."""
    if not state["playing"]:
        return float(state["position"])
    if t < state["updated_at"]:
        lead = state.get("lead_rate", 0.0)
        return float(max(0.0, state["position"] - (state["updated_at"] - t) * lead))
    return float(state["position"] + (t - state["updated_at"]) * state["rate"])


def state_at(states: list[tuple[float, dict[str, Any]]], t: float) -> dict[str, Any] | None:
    """The room's state in force at real time ``t``: the highest version the controller had
    received by then (it sits next to the server; the server's clock and the pages' common
    clock are both this machine's clock)."""
    best = None
    for received, state in states:
        if received <= t and (best is None or state["version"] > best["version"]):
            best = state
    return best


def page_position(samples: list[tuple[float, float, bool, str]], t: float) -> tuple[float, str]:
    """A page's position at ``t``, interpolated between its two samples around it."""
    lo, hi = 0, len(samples) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if samples[mid][0] < t:
            lo = mid + 1
        else:
            hi = mid
    after = samples[lo]
    before = samples[max(0, lo - 1)]
    span = after[0] - before[0]
    moved = after[1] - before[1]
    # No interpolation across a jump (a seek, a new video): the nearer sample stands.
    if after[3] != before[3] or span <= 0 or not -0.01 <= moved <= 2.2 * span + 0.01:
        nearer = after if after[0] - t <= t - before[0] else before
        return nearer[1], nearer[3]
    return before[1] + (t - before[0]) / span * moved, after[3]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


@dataclass
class Segment:
    label: str
    start: float
    end: float
    times: list[float]
    offsets: list[list[float]]  # per page, seconds from the room's position (nan: wrong video)
    playing: list[bool]
    # Max minus min of the pages' offsets at each instant (inf: a page is not on the room's
    # video yet).
    spread: list[float] = field(default_factory=list)
    settle: float | None = None
    counted: bool = True  # False while a page is meant to be off (hidden, stalled)
    # Seconds from the command to the start the room scheduled for it (0: none): the lead
    # every page waits out together, part of `settle`.
    lead: float = 0.0

    @property
    def settle_after_start(self) -> float | None:
        return None if self.settle is None else max(0.0, self.settle - self.lead)


def analyse(run: Run) -> list[Segment]:
    segments = []
    bounds = [c.at for c in run.commands] + [run.end]
    for command, start, end in zip(run.commands, bounds, bounds[1:], strict=False):
        segment = Segment(command.label, start, end, [], [[] for _ in run.pages], [])
        segment.counted = command.counted
        t = start
        # The pages' common clock and the controller's are this machine's clock, read in two
        # processes; the last moments before the next command are left out so that no page
        # is compared while it already follows the next command.
        while t < end - 0.05:
            state = state_at(run.states, t)
            if state is not None and all(s and s[0][0] <= t <= s[-1][0] for s in run.pages):
                room = room_position(state, t)
                segment.times.append(t)
                segment.playing.append(bool(state["playing"]) and t >= state["updated_at"])
                offsets = []
                for index, samples in enumerate(run.pages):
                    position, src = page_position(samples, t)
                    offset = position - room if src == state["video_id"] else float("nan")
                    segment.offsets[index].append(offset)
                    offsets.append(offset)
                wrong_video = any(offset != offset for offset in offsets)  # nan
                segment.spread.append(float("inf") if wrong_video else max(offsets) - min(offsets))
            t += GRID
        segment.lead = scheduled_lead(run.states, start, end)
        within = goals(run.profile)[0]
        if long_play(run.profile):
            segment.settle = first_within(segment, within)
        else:
            segment.settle = settle_time(segment, within)
        segments.append(segment)
    return segments


def scheduled_lead(states: list[tuple[float, dict[str, Any]]], start: float, end: float) -> float:
    """Seconds from a command at ``start`` to the start its state scheduled (0: none)."""
    state = state_at(states, end - GRID)
    if state is None or not state["playing"] or state["updated_at"] <= start:
        return 0.0
    return float(min(end, state["updated_at"]) - start)


def goals(profile: str) -> tuple[float, float, float]:
    """Spread p95, spread max and settling goals of a profile (seconds; issue 24's table)."""
    link, _, condition = profile.partition("@")
    if condition in CONDITION_GOALS:
        return CONDITION_GOALS[condition]
    if condition:  # a shared rate
        return (0.010, 0.033, 1.0)
    return LINK_GOALS.get(link, (0.010, 0.033, 1.0))


def describe(profile: str) -> str:
    """A profile in words (``150:50@loss2``: 150 ms +/- 50, 2 % lost)."""
    link, _, condition = profile.partition("@")
    latency, _, jitter = link.partition(":")
    text = f"{latency} ms +/- {jitter or 0}"
    if condition.startswith("loss"):
        return f"{text}, {condition[4:]} % lost"
    if condition.startswith("cpu"):
        return f"{text}, one page's CPU {condition[3:]}x slower"
    if condition == "drift":
        return f"{text}, clocks drifting up to 200 ppm"
    if condition == "stall":
        return f"{text}, one page's video stalls 2 s"
    if condition == "hidden":
        return f"{text}, one page hidden 30 s"
    if condition == "change":
        return f"{text}, rate changed mid-play"
    return f"{text}, shared rate {condition}x" if condition else text


def long_play(profile: str) -> bool:
    """A profile of one long play (``@drift``): it has no settling goal, and its spread is
    counted from the first moment within the goal after the start, so that a moment beyond
    it twenty minutes on counts against p95 and max instead of moving "settled" there."""
    return profile.partition("@")[2] == "drift"


def first_within(segment: Segment, within: float) -> float | None:
    """Seconds from the command to the first moment after the scheduled start with the
    spread ``within`` (None: there was none)."""
    for t, value in zip(segment.times, segment.spread, strict=True):
        if t - segment.start >= segment.lead and value <= within:
            return t - segment.start
    return None


def settle_time(segment: Segment, within: float) -> float | None:
    """Seconds from the command until the spread stays ``within`` for the rest of the
    segment (None: it never did)."""
    settled_from = None
    for i, value in enumerate(segment.spread):
        if value <= within:
            if settled_from is None:
                settled_from = i
        else:
            settled_from = None
    if settled_from is None:
        return None
    return segment.times[settled_from] - segment.start


def summarise(run: Run, segments: list[Segment]) -> dict[str, Any]:
    settled_spreads: list[float] = []
    room_offsets: list[float] = []
    for segment in segments:
        if not segment.counted:
            continue
        spread = segment.spread
        begin = segment.start + (segment.settle if segment.settle is not None else 1.5)
        for i, t in enumerate(segment.times):
            if t >= begin and segment.playing[i] and spread[i] != float("inf"):
                settled_spreads.append(spread[i])
                room_offsets.extend(abs(page[i]) for page in segment.offsets)
    settles = [s.settle for s in segments if s.counted]
    after_start = [s.settle_after_start for s in segments if s.counted]
    return {
        "profile": run.profile,
        "samples": len(settled_spreads),
        "p50_ms": 1000 * pct(settled_spreads, 50),
        "p95_ms": 1000 * pct(settled_spreads, 95),
        "max_ms": 1000 * max(settled_spreads, default=float("nan")),
        "room_offset_p50_ms": 1000 * pct(room_offsets, 50),
        "settle_s": [(s.label, s.settle) for s in segments if s.counted],
        "goals_ms": [1000 * goal for goal in goals(run.profile)[:2]],
        "settle_goal_s": goals(run.profile)[2],
        "settle_max_s": None if None in settles else max(x for x in settles if x is not None),
        "leads_s": [s.lead for s in segments if s.counted],
        "settle_after_start_max_s": (
            None if None in after_start else max(x for x in after_start if x is not None)
        ),
    }


def plot(runs: list[tuple[Run, list[Segment]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(runs), 1, figsize=(12, 3.2 * len(runs)), squeeze=False)
    for axis, (run, segments) in zip(axes[:, 0], runs, strict=True):
        origin = run.commands[0].at
        for page in range(len(run.pages)):
            xs: list[float] = []
            ys: list[float] = []
            for segment in segments:
                for t, offset in zip(segment.times, segment.offsets[page], strict=True):
                    xs.append(t - origin)
                    ys.append(1000 * offset if offset == offset else float("nan"))
                xs.append(segment.end - origin)  # a gap between segments
                ys.append(float("nan"))
            axis.plot(xs, ys, linewidth=0.9, label=f"page {page}")
        for command in run.commands:
            axis.axvline(command.at - origin, color="grey", linestyle=":", linewidth=0.8)
            axis.text(command.at - origin, 95, command.label, fontsize=7, rotation=90, va="top")
        half = goals(run.profile)[0] / 2 * 1000  # pages within the band: spread within goal
        axis.axhspan(-half, half, color="green", alpha=0.08)
        axis.set_ylim(-100, 100)
        axis.set_ylabel("offset from room (ms)")
        axis.set_title(f"{describe(run.profile)} (added latency, each way)", fontsize=10)
        axis.legend(loc="lower right", fontsize=7)
    axes[-1, 0].set_xlabel("seconds since the first command")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
