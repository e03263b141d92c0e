"""Sync precision in real browsers: how far apart K pages of one room play, under latency.

K headless Chromium pages (default 4) join one room on local videos. Each page reaches the
server through its own delaying TCP proxy (latency +/- jitter on every chunk, each way, order
kept) and has its wall clock and monotonic clock skewed by a different amount (an init
script), so no page can lean on a clock it shares with the server. A controller runs a script
of play / pause / seek / change-video commands; every page samples its video's
``currentTime`` against one common clock every 20 ms. For each latency profile this prints
the spread between pages (p50/p95/max) while playing and settled, how long settling took
after each command, and draws each page's offset from the room's position over time (PNG).

    python bench/sync_precision.py                       # all three profiles, plot in docs/
    python bench/sync_precision.py --profiles 150:50 --long
    python bench/sync_precision.py --profiles 50:10@1.5,50:10@change   # shared speeds

Not a test: it prints numbers and never fails on them. Needs ffmpeg (to make the test
videos), Debian's chromium, and the bench extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from playwright.async_api import Browser, Page, async_playwright

ROOT = Path(__file__).resolve().parent.parent
MEDIA = Path(tempfile.gettempdir()) / "watchparty-sync-media"
CHROMIUM = next(
    (p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium")) if p and Path(p).exists()),
    None,
)
SAMPLE_MS = 20
GRID = 0.02  # seconds between the common instants pages are compared at
# The goals per profile (issue 11): spread p95 and max, and settling, in seconds. A room has
# settled once its spread stays within the profile's p95 goal (one frame at 30 fps, or two
# on the slowest link); unlisted profiles use one frame.
TARGETS = {"0": (0.033, 0.066, 1.0), "50:10": (0.033, 0.066, 1.0), "150:50": (0.066, 0.15, 1.5)}
FRAME = 0.033


# --- test media ---------------------------------------------------------------------------
def make_media() -> None:
    """Two one-minute clips (a moving test pattern with a tone) and a two-hour video made of
    the first, once per machine."""
    MEDIA.mkdir(exist_ok=True)
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is needed to make the test videos: apt-get install ffmpeg")
    for name, pattern, tone in (("a.webm", "testsrc2", 440), ("b.webm", "smptebars", 660)):
        if (MEDIA / name).exists():
            continue
        subprocess.run(
            [
                *("ffmpeg", "-hide_banner", "-loglevel", "error", "-y"),
                *("-f", "lavfi", "-i", f"{pattern}=s=320x180:r=30:d=60"),
                *("-f", "lavfi", "-i", f"sine=f={tone}:d=60"),
                *("-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k"),
                *("-g", "30", "-c:a", "libopus", "-b:a", "32k", "-shortest"),
                str(MEDIA / f".{name}"),
            ],
            check=True,
        )
        (MEDIA / f".{name}").rename(MEDIA / name)
    if not (MEDIA / "long.webm").exists():
        listing = MEDIA / "long.txt"
        listing.write_text("file 'a.webm'\n" * 120)
        subprocess.run(
            [
                *("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat"),
                *("-safe", "0", "-i", str(listing), "-c", "copy", str(MEDIA / ".long.webm")),
            ],
            check=True,
        )
        (MEDIA / ".long.webm").rename(MEDIA / "long.webm")


# --- the server and the delaying proxies ----------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(extra_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "WATCHPARTY_MEDIA_DIR": str(MEDIA),
        "WATCHPARTY_DATA_DIR": tempfile.mkdtemp(prefix="watchparty-sync-"),
        **extra_env,
    }
    process = subprocess.Popen([sys.executable, "-m", "watchparty"], env=env)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


class DelayProxy:
    """A TCP proxy that delivers every chunk ``latency +/- jitter`` seconds after it arrived,
    in each direction, never out of order (a chunk waits for the one before it): what a
    longer, jittery network path does to a TCP stream."""

    def __init__(self, target_port: int, latency: float, jitter: float, seed: int) -> None:
        self.target_port = target_port
        self.latency = latency
        self.jitter = jitter
        self.random = random.Random(seed)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in self.connections:
            task.cancel()
        await asyncio.gather(*self.connections, return_exceptions=True)

    def _delay(self) -> float:
        return max(0.0, self.latency + self.random.uniform(-self.jitter, self.jitter))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        task.add_done_callback(self.connections.discard)
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        pumps = asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        try:
            await pumps
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            pass  # closed by close(); Python 3.11's start_server logs a cancelled handler
        finally:
            pumps.cancel()
            writer.close()
            up_writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not chunk:
                    break
                writer.write(chunk)
                await writer.drain()
            writer.close()

        delivering = loop.create_task(deliver())
        last_due = 0.0
        try:
            while True:
                chunk = await reader.read(65536)
                last_due = max(last_due, loop.time() + self._delay())
                queue.put_nowait((last_due, chunk))
                if not chunk:
                    break
            await delivering
        finally:
            delivering.cancel()


# --- pages --------------------------------------------------------------------------------
INIT_SCRIPT = """
(() => {
  const skew = %(skew)f;  // ms
  const perfNow = performance.now.bind(performance);
  const origin = performance.timeOrigin;
  // The common clock every page samples against: the real one, kept before the skew.
  const realNow = () => origin + perfNow();
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) { if (args.length) super(...args); else super(realNow() + skew); }
    static now() { return Math.floor(realNow() + skew); }
  }
  window.Date = SkewedDate;
  performance.now = () => perfNow() + skew;
  localStorage.setItem("watchparty:name", %(name)s);
  window.__samples = [];
  setInterval(() => {
    const v = document.querySelector("#player video");
    if (!v) return;
    window.__samples.push([realNow() / 1000, v.currentTime, v.paused, v.getAttribute("src")]);
  }, %(every)d);
})();
"""


async def open_page(browser: Browser, url: str, name: str, skew_ms: float) -> Page:
    context = await browser.new_context(viewport={"width": 1000, "height": 700})
    await context.add_init_script(
        INIT_SCRIPT % {"skew": skew_ms, "name": json.dumps(name), "every": SAMPLE_MS}
    )
    page = await context.new_page()
    await page.goto(url)
    await page.locator("#status.ok").wait_for(timeout=20_000)
    return page


# --- the run ------------------------------------------------------------------------------
@dataclass
class Command:
    at: float  # real time it was sent
    label: str


@dataclass
class Run:
    profile: str
    pages: list[list[tuple[float, float, bool, str]]]
    states: list[tuple[float, dict[str, Any]]]  # (real time received, STATE)
    commands: list[Command]
    end: float


Script = list[tuple[str, dict[str, Any], float, str]]


def script(long: bool, rate: str = "") -> Script:
    """(event, payload, seconds to watch afterwards, label). ``rate``: "" (1x throughout),
    a number (the whole script at that shared rate) or "change" (1x, then 1.5x mid-play)."""
    if rate == "change":
        return [
            ("CHANGE_VIDEO", {"video_id": "/media/a.webm"}, 3, "video A"),
            ("PLAY", {}, 6, "play"),
            ("SET_RATE", {"rate": 1.5}, 8, "rate 1.5x"),
            ("SEEK", {"timestamp": 12.0}, 6, "seek 12"),
            ("SET_RATE", {"rate": 0.75}, 8, "rate 0.75x"),
        ]
    steps: Script = [
        ("CHANGE_VIDEO", {"video_id": "/media/a.webm"}, 3, "video A"),
        ("PLAY", {}, 8, "play"),
        ("SEEK", {"timestamp": 30.0}, 6, "seek 30"),
        ("PAUSE", {}, 3, "pause"),
        ("SEEK", {"timestamp": 12.0}, 2, "seek 12"),
        ("PLAY", {}, 6, "play"),
        ("CHANGE_VIDEO", {"video_id": "/media/b.webm"}, 8, "video B"),
    ]
    if rate:
        steps.insert(1, ("SET_RATE", {"rate": float(rate)}, 1, f"rate {rate}x"))
    if long:
        steps += [
            ("CHANGE_VIDEO", {"video_id": "/media/long.webm"}, 20, "2-hour video"),
            ("SEEK", {"timestamp": 7080.0}, 60, "seek 1:58:00"),
        ]
    return steps


async def run_profile(
    browser: Browser,
    port: int,
    profile: str,
    skews: list[float],
    steps: Script,
    log: Callable[[str], None],
) -> Run:
    link, _, _ = profile.partition("@")
    latency_ms, _, jitter_ms = link.partition(":")
    latency, jitter = float(latency_ms) / 1000, float(jitter_ms or 0) / 1000
    server = f"http://127.0.0.1:{port}"
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server}/api/rooms", json={"name": f"sync {profile}"}) as response,
    ):
        room = (await response.json())["id"]
    proxies = [DelayProxy(port, latency, jitter, seed=i) for i in range(len(skews))]
    for proxy in proxies:
        await proxy.start()
    pages = [
        await open_page(browser, f"http://127.0.0.1:{p.port}/r/{room}", f"page{i}", skew)
        for i, (p, skew) in enumerate(zip(proxies, skews, strict=True))
    ]
    states: list[tuple[float, dict[str, Any]]] = []
    controller = socketio.AsyncClient()

    def record(message: dict[str, Any]) -> None:
        states.append((time.time(), message["state"]))

    for event in ("PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO", "SET_RATE"):
        controller.on(event, record, namespace="/rooms")
    await controller.connect(
        server, namespaces=["/rooms"], transports=["websocket"], auth={"room": room, "name": "ctl"}
    )
    await asyncio.sleep(3)  # clock sync settles
    commands: list[Command] = []
    for event, payload, watch, label in steps:
        sent = time.time()
        ack = await controller.call(event, payload, namespace="/rooms", timeout=10)
        if not ack.get("ok"):
            raise SystemExit(f"{event} refused: {ack}")
        states.append((time.time(), ack["state"]))
        commands.append(Command(sent, label))
        log(f"  {profile}: {label}")
        await asyncio.sleep(watch)
    end = time.time()
    samples = [await page.evaluate("window.__samples") for page in pages]
    await controller.disconnect()
    for page in pages:
        await page.context.close()
    for proxy in proxies:
        await proxy.close()
    return Run(profile, samples, states, commands, end)


# --- analysis -----------------------------------------------------------------------------
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


def analyse(run: Run) -> list[Segment]:
    segments = []
    bounds = [c.at for c in run.commands] + [run.end]
    for command, start, end in zip(run.commands, bounds, bounds[1:], strict=False):
        segment = Segment(command.label, start, end, [], [[] for _ in run.pages], [])
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
        segment.settle = settle_time(segment, goals(run.profile)[0])
        segments.append(segment)
    return segments


def goals(profile: str) -> tuple[float, float, float]:
    """Spread p95, spread max and settling goals of a profile (seconds)."""
    return TARGETS.get(profile.partition("@")[0], (FRAME, 2 * FRAME, 1.0))


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
        spread = segment.spread
        begin = segment.start + (segment.settle if segment.settle is not None else 1.5)
        for i, t in enumerate(segment.times):
            if t >= begin and segment.playing[i] and spread[i] != float("inf"):
                settled_spreads.append(spread[i])
                room_offsets.extend(abs(page[i]) for page in segment.offsets)
    settles = [s.settle for s in segments]
    return {
        "profile": run.profile,
        "samples": len(settled_spreads),
        "p50_ms": 1000 * pct(settled_spreads, 50),
        "p95_ms": 1000 * pct(settled_spreads, 95),
        "max_ms": 1000 * max(settled_spreads, default=float("nan")),
        "room_offset_p50_ms": 1000 * pct(room_offsets, 50),
        "settle_s": [(s.label, s.settle) for s in segments],
        "goals_ms": [1000 * goal for goal in goals(run.profile)[:2]],
        "settle_goal_s": goals(run.profile)[2],
        "settle_max_s": None if None in settles else max(x for x in settles if x is not None),
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
        latency, _, jitter = run.profile.partition(":")
        axis.set_title(f"added latency {latency} ms +/- {jitter or 0} ms each way", fontsize=10)
        axis.legend(loc="lower right", fontsize=7)
    axes[-1, 0].set_xlabel("seconds since the first command")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


async def main_async(args: argparse.Namespace) -> None:
    make_media()
    if CHROMIUM is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    process, port = start_server({})
    log = print if args.verbose else (lambda _: None)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--autoplay-policy=no-user-gesture-required",
                    "--disable-background-timer-throttling",
                    "--disable-renderer-backgrounding",
                    "--disable-backgrounding-occluded-windows",
                    "--mute-audio",
                ],
            )
            skews = [float(s) for s in args.skews.split(",")][: args.pages]
            skews += [0.0] * (args.pages - len(skews))
            runs = []
            for profile in args.profiles.split(","):
                steps = script(args.long, profile.partition("@")[2])
                run = await run_profile(browser, port, profile, skews, steps, log)
                runs.append((run, analyse(run)))
            await browser.close()
    finally:
        process.terminate()
        process.wait(10)
    results = [summarise(run, segments) for run, segments in runs]
    print(f"{args.pages} pages, clocks skewed {args.skews} ms; spread = max - min position")
    print(
        "| added latency each way | spread p50 | p95 (goal) | max (goal) "
        "| settled after, worst (goal) |"
    )
    print("|---|---|---|---|---|")
    for result in results:
        latency, _, jitter = result["profile"].partition(":")
        worst = result["settle_max_s"]
        p95_goal, max_goal = result["goals_ms"]
        print(
            f"| {latency} ms +/- {jitter or 0} | {result['p50_ms']:.1f} ms | "
            f"{result['p95_ms']:.1f} ms (<= {p95_goal:.0f}) | "
            f"{result['max_ms']:.1f} ms (<= {max_goal:.0f}) | "
            f"{'never' if worst is None else f'{worst:.2f} s'} "
            f"(< {result['settle_goal_s']:.1f} s) |"
        )
    for result in results:
        settles = ", ".join(
            f"{label} {'never' if s is None else f'{s:.2f}'}" for label, s in result["settle_s"]
        )
        print(
            f"{result['profile']}: settled after (s): {settles}; pages' median distance from "
            f"the room's position {result['room_offset_p50_ms']:.1f} ms; "
            f"{result['samples']} compared instants"
        )
    if args.plot:
        plot(runs, Path(args.plot))
        print(f"plot: {args.plot}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))  # noqa: ASYNC240 (at the end)
    if args.debug:  # the last moments of each segment beyond its goal, every page's offset
        for run, segments in runs:
            for segment in segments:
                spread = segment.spread
                within = goals(run.profile)[0]
                wide = [i for i, value in enumerate(spread) if value > within][-6:]
                for i in wide:
                    offsets = [round(page[i] * 1000, 1) for page in segment.offsets]
                    at = segment.times[i] - segment.start
                    print(f"{run.profile} {segment.label} +{at:.2f} s: {offsets} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument(
        "--profiles",
        default="0,50:10,150:50,50:10@1.5,50:10@change",
        help="added latency:jitter in ms, each way, one run per profile; @1.5 plays the "
        "script at a shared 1.5x, @change changes the rate mid-play",
    )
    parser.add_argument("--skews", default="-3000,0,1500,7000", help="page clock skews, ms")
    parser.add_argument("--long", action="store_true", help="add the 2-hour video")
    parser.add_argument("--plot", default=str(ROOT / "docs" / "sync-precision.png"))
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--debug", action="store_true")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
