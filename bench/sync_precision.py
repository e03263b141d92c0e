"""Sync precision in real browsers: how far apart K pages of one room play, under latency,
loss, a slow CPU and drifting clocks.

K headless Chromium pages (default 4) join one room on local videos. Each page reaches the
server through its own delaying TCP proxy (latency +/- jitter on every chunk, each way, order
kept; optionally losing chunks to a retransmission timeout) and has its wall clock and
monotonic clock skewed by a different amount (an init script), so no page can lean on a clock
it shares with the server. A controller runs a script of play / pause / seek / change-video
commands; every page samples its video's ``currentTime`` against one common clock every 20 ms.
For each profile this prints the spread between pages (p50/p95/max) while playing and settled,
how long settling took after each command, and draws each page's offset from the room's
position over time (PNG).

A profile is ``LATENCY[:JITTER]`` in ms each way, optionally ``@CONDITION``:

- ``@1.5`` (any number): the script at that shared rate; ``@change``: 1x, 1.5x and 0.75x
  mid-play;
- ``@loss2``: 2 % of chunks lost once (head-of-line blocked for an RTO, as TCP would be);
- ``@cpu4``: page 1 on a 4x slower CPU (CDP ``Emulation.setCPUThrottlingRate``);
- ``@drift``: page clocks running 200 ppm fast or slow (and in between) over
  ``--drift-minutes`` of play;
- ``@hidden``: page 1 hidden for 30 s as Chromium hides a background tab (bench/sync_pages.py:
  what is emulated and what not), then shown;
- ``@stall``: page 1's video comes down at twice its bitrate (so it holds little ahead), then
  stops until the page has been stalled for 2 s (a media server that pauses), then flows
  again at full speed.

    python bench/sync_precision.py                       # the default profiles, plot in docs/
    python bench/sync_precision.py --profiles 150:50@loss2,0@cpu4
    python bench/sync_precision.py --profiles 50:10@drift --drift-minutes 20

Not a test: it prints numbers and never fails on them. Needs ffmpeg (to make the test
videos), Debian's chromium, and the bench extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from playwright.async_api import Browser, async_playwright
from sync_analysis import (
    Command,
    Run,
    analyse,
    describe,
    goals,
    long_play,
    plot,
    summarise,
)
from sync_net import MEDIA, DelayProxy, make_media, start_server
from sync_pages import CURRENT_TIME, open_page, print_events

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = next(
    (p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium")) if p and Path(p).exists()),
    None,
)
DRIFTS_PPM = (200.0, -200.0, 80.0, -120.0)  # each page's clock rate, off the real one
DEFAULT_PROFILES = (
    "0,50:10,150:50,150:50@loss2,0@cpu4,50:10@1.5,50:10@change,50:10@stall,50:10@hidden,50:10@drift"
)


def long_video_rate() -> float:
    """The 2-hour test video's bytes per second."""
    return (MEDIA / "long.webm").stat().st_size / 7200


# --- the run ------------------------------------------------------------------------------
Script = list[tuple[str, dict[str, Any], float, str]]


def script(long: bool, condition: str = "", drift_minutes: float = 20) -> Script:
    """(event, payload, seconds to watch afterwards, label). ``condition``: "" (1x
    throughout), a number (the whole script at that shared rate), "change" (1x, then 1.5x
    mid-play), "drift" (one long play); others play the usual script."""
    if condition == "change":
        return [
            ("CHANGE_VIDEO", {"video_id": "/media/a.webm"}, 3, "video A"),
            ("PLAY", {}, 6, "play"),
            ("SET_RATE", {"rate": 1.5}, 8, "rate 1.5x"),
            ("SEEK", {"timestamp": 12.0}, 6, "seek 12"),
            ("SET_RATE", {"rate": 0.75}, 8, "rate 0.75x"),
        ]
    if condition == "stall":  # STALL and FLOW are the bench's own steps
        return [
            ("CHANGE_VIDEO", {"video_id": "/media/long.webm"}, 3, "2-hour video"),
            ("PLAY", {}, 12, "play"),
            ("STALL", {}, 2, "page 1's video stops coming"),
            ("FLOW", {}, 10, "page 1's video flows again"),
        ]
    if condition == "hidden":  # HIDE and SHOW are the bench's own steps
        return [
            ("CHANGE_VIDEO", {"video_id": "/media/long.webm"}, 3, "2-hour video"),
            ("PLAY", {}, 6, "play"),
            ("HIDE", {}, 30, "page 1 hidden"),
            ("SHOW", {}, 10, "page 1 shown"),
        ]
    if condition == "drift":
        return [
            ("CHANGE_VIDEO", {"video_id": "/media/long.webm"}, 3, "2-hour video"),
            ("PLAY", {}, 60 * drift_minutes, f"play {drift_minutes:g} min"),
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
    if _is_rate(condition):
        steps.insert(1, ("SET_RATE", {"rate": float(condition)}, 1, f"rate {condition}x"))
    if long:
        steps += [
            ("CHANGE_VIDEO", {"video_id": "/media/long.webm"}, 20, "2-hour video"),
            ("SEEK", {"timestamp": 7080.0}, 60, "seek 1:58:00"),
        ]
    return steps


def _is_rate(condition: str) -> bool:
    try:
        float(condition)
    except ValueError:
        return False
    return True


async def run_profile(
    browser: Browser,
    port: int,
    profile: str,
    skews: list[float],
    steps: Script,
    log: Callable[[str], None],
    events: bool = False,
) -> Run:
    link, _, condition = profile.partition("@")
    latency_ms, _, jitter_ms = link.partition(":")
    latency, jitter = float(latency_ms) / 1000, float(jitter_ms or 0) / 1000
    loss = float(condition.removeprefix("loss")) / 100 if condition.startswith("loss") else 0.0
    drifts = [
        DRIFTS_PPM[i % len(DRIFTS_PPM)] if condition == "drift" else 0.0 for i in range(len(skews))
    ]
    server = f"http://127.0.0.1:{port}"
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server}/api/rooms", json={"name": f"sync {profile}"}) as response,
    ):
        room = (await response.json())["id"]
    proxies = [
        DelayProxy(
            port,
            latency,
            jitter,
            seed=i,
            loss=loss,
            media_rate=2 * long_video_rate() if condition == "stall" and i == 1 else None,
        )
        for i in range(len(skews))
    ]
    for proxy in proxies:
        await proxy.start()
    pages = [
        await open_page(browser, f"http://127.0.0.1:{p.port}/r/{room}", f"page{i}", skew, drift)
        for i, (p, skew, drift) in enumerate(zip(proxies, skews, drifts, strict=True))
    ]
    if condition.startswith("cpu"):
        cdp = await pages[1].context.new_cdp_session(pages[1])
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": float(condition[3:])})
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
        if event in ("STALL", "FLOW"):
            stalled = event == "STALL"
            ahead = 0.0
            if stalled:  # what it holds: more than its demuxer's buffered ranges say (cache)
                position = await pages[1].evaluate(CURRENT_TIME)
                ahead = proxies[1].media_bytes / long_video_rate() - position
            commands.append(Command(time.time(), label, counted=not stalled))
            if stalled:
                proxies[1].media_flowing.clear()
            else:  # the server is back, at full speed
                proxies[1].media_rate = None
                proxies[1].media_flowing.set()
            log(f"  {profile}: {label}" + (f" ({ahead:.1f} s buffered)" if stalled else ""))
            await asyncio.sleep(ahead + watch)  # plays out what it holds, then stalls
            continue
        if event in ("HIDE", "SHOW"):
            commands.append(Command(time.time(), label, counted=event == "SHOW"))
            await pages[1].evaluate(f"window.__hide({str(event == 'HIDE').lower()})")
            log(f"  {profile}: {label}")
            await asyncio.sleep(watch)
            continue
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
    if events:
        print_events([await page.evaluate("window.__events") for page in pages], commands)
    await controller.disconnect()
    for page in pages:
        await page.context.close()
    for proxy in proxies:
        await proxy.close()
    if loss:
        log(f"  {profile}: {sum(p.lost for p in proxies)} chunks lost and sent again")
    return Run(profile, samples, states, commands, end)


# --- the table ----------------------------------------------------------------------------
def settled(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.2f} s"


def print_table(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"{args.pages} pages, clocks skewed {args.skews} ms; spread = max - min position")
    print(
        "| condition | spread p50 | p95 (goal) | max (goal) | settled after, worst (goal) "
        "| of which after the start |"
    )
    print("|---|---|---|---|---|---|")
    for result in results:
        worst = result["settle_max_s"]
        after_start = result["settle_after_start_max_s"]
        p95_goal, max_goal = result["goals_ms"]
        settling = f"{settled(worst)} (< {result['settle_goal_s']:.1f} s) | {settled(after_start)}"
        if long_play(result["profile"]):
            settling = "(no goal) | "
        print(
            f"| {describe(result['profile'])} | {result['p50_ms']:.1f} ms | "
            f"{result['p95_ms']:.1f} ms (<= {p95_goal:.0f}) | "
            f"{result['max_ms']:.1f} ms (<= {max_goal:.0f}) | {settling} |"
        )
    for result in results:
        settles = ", ".join(
            f"{label} {'never' if s is None else f'{s:.2f}'} (lead {lead:.2f})"
            for (label, s), lead in zip(result["settle_s"], result["leads_s"], strict=True)
        )
        print(
            f"{result['profile']}: settled after (s): {settles}; pages' median distance from "
            f"the room's position {result['room_offset_p50_ms']:.1f} ms; "
            f"{result['samples']} compared instants"
        )


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
                condition = profile.partition("@")[2]
                steps = script(args.long, condition, args.drift_minutes)
                run = await run_profile(browser, port, profile, skews, steps, log, args.events)
                runs.append((run, analyse(run)))
            await browser.close()
    finally:
        process.terminate()
        process.wait(10)
    results = [summarise(run, segments) for run, segments in runs]
    print_table(results, args)
    if args.plot:
        plot(runs, Path(args.plot))
        print(f"plot: {args.plot}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))  # noqa: ASYNC240 (at the end)
    if args.debug:  # the last moments of each segment beyond its goal, every page's offset
        for run, segments in runs:
            for segment in segments:
                within = goals(run.profile)[0]
                wide = [i for i, value in enumerate(segment.spread) if value > within][-6:]
                for i in wide:
                    offsets = [round(page[i] * 1000, 1) for page in segment.offsets]
                    at = segment.times[i] - segment.start
                    print(f"{run.profile} {segment.label} +{at:.2f} s: {offsets} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=4)
    parser.add_argument(
        "--profiles",
        default=DEFAULT_PROFILES,
        help="latency:jitter ms each way, @1.5, change, loss2, cpu4, stall, hidden or drift",
    )
    parser.add_argument("--skews", default="-3000,0,1500,7000", help="page clock skews, ms")
    parser.add_argument("--long", action="store_true", help="add the 2-hour video")
    parser.add_argument(
        "--drift-minutes", type=float, default=20, help="how long @drift plays (minutes)"
    )
    parser.add_argument("--plot", default=str(ROOT / "docs" / "sync-precision.png"))
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--events", action="store_true", help="media events after each command")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
