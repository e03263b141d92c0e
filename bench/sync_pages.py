"""The bench's pages: each one's skewed, drifting clocks, its samples of the player, its media
events, and a way to hide it as Chromium hides a background tab (bench/sync_precision.py)."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Browser, Page
from sync_analysis import Command

SAMPLE_MS = 20
CURRENT_TIME = 'document.querySelector("#player video").currentTime'

INIT_SCRIPT = """
(() => {
  const skew = %(skew)f;  // ms
  const drift = %(drift)f * 1e-6;  // how much faster this page's clocks run
  const perfNow = performance.now.bind(performance);
  const origin = performance.timeOrigin;
  // The common clock every page samples against: the real one, kept before the skew.
  const realNow = () => origin + perfNow();
  const skewed = () => realNow() + skew + perfNow() * drift;
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) { if (args.length) super(...args); else super(skewed()); }
    static now() { return Math.floor(skewed()); }
  }
  window.Date = SkewedDate;
  performance.now = () => perfNow() * (1 + drift) + skew;
  localStorage.setItem("watchparty:name", %(name)s);
  // Hiding (@hidden, window.__hide), as Chromium hides a background tab of a page that
  // makes no sound (--mute-audio): document.hidden, a visibilitychange, and the page's timers
  // run at most once a second, on the second. Playwright's Chromium keeps every page visible
  // (a minimised window, a tab behind another, headful under Xvfb: all stayed "visible").
  // Not emulated: Chromium may also stop decoding a hidden video's picture.
  const realInterval = window.setInterval.bind(window);
  const realTimeout = window.setTimeout.bind(window);
  let hidden = false;
  Object.defineProperty(Document.prototype, "hidden", { get: () => hidden });
  const state = () => (hidden ? "hidden" : "visible");
  Object.defineProperty(Document.prototype, "visibilityState", { get: state });
  const onTheSecond = () => 1000 - (perfNow() %% 1000);
  window.setInterval = (fn, ms, ...args) => {
    let last = -Infinity;
    return realInterval(() => {
      if (hidden && perfNow() - last < 1000) return;
      last = perfNow();
      fn(...args);
    }, ms);
  };
  window.setTimeout = (fn, ms, ...args) => realTimeout(
    () => (hidden ? realTimeout(() => fn(...args), onTheSecond()) : fn(...args)), ms);
  window.__hide = (on) => { hidden = on; document.dispatchEvent(new Event("visibilitychange")); };
  window.__samples = [];
  // Media events (--events): what a player did, and where the media it holds ends.
  window.__events = [];
  const heard = new WeakSet();
  const held = (v) => [...Array(v.buffered.length).keys()].map((i) => v.buffered.end(i))
    .find((end, i) => v.buffered.start(i) <= v.currentTime && v.currentTime <= end) ?? -1;
  realInterval(() => {
    const v = document.querySelector("#player video");
    if (!v) return;
    if (!heard.has(v)) {
      heard.add(v);
      for (const type of ["waiting", "playing", "seeking", "seeked", "stalled", "ratechange"]) {
        v.addEventListener(type, () => window.__events.push(
          [realNow() / 1000, type, v.currentTime, v.readyState, held(v), v.playbackRate]));
      }
    }
    window.__samples.push([realNow() / 1000, v.currentTime, v.paused, v.getAttribute("src")]);
  }, %(every)d);
})();
"""


async def open_page(browser: Browser, url: str, name: str, skew_ms: float, drift: float) -> Page:
    context = await browser.new_context(viewport={"width": 1000, "height": 700})
    await context.add_init_script(
        INIT_SCRIPT
        % {"skew": skew_ms, "drift": drift, "name": json.dumps(name), "every": SAMPLE_MS}
    )
    page = await context.new_page()
    await page.goto(url)
    await page.locator("#status.ok").wait_for(timeout=20_000)
    return page


def print_events(events: list[list[list[Any]]], commands: list[Command]) -> None:
    """Each page's media events in the 2.5 s after each command (what a recovery spent its
    time on: a fetch, a seek, a landing nudged away)."""
    for command in commands:
        print(f"  {command.label}:")
        for index, page in enumerate(events):
            for at, kind, position, ready, held, rate in page:
                if command.at <= at < command.at + 2.5:
                    print(
                        f"    page {index} +{at - command.at:.3f} s {kind} at {position:.3f}"
                        f" ready {ready} held to {held:.2f} rate {rate:.3f}"
                    )
