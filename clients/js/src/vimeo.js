// @ts-check
// Vimeo's Player SDK (https://player.vimeo.com/api/player.js: a Vimeo.Player) behind the one
// player surface. Its getters answer by promises, so this keeps what its events last said
// (timeupdate comes about four times a second) and moves the time on between them.
import { reportedTime } from "./reported.js";

/** @typedef {import("./follow.js").Player} Player */

/**
 * @param {any} vimeo a Vimeo.Player
 * @param {() => number} [now] seconds on a monotonic clock
 * @returns {Player}
 */
export function vimeoPlayer(vimeo, now) {
  const clock = reportedTime(now);
  let ready = false;
  let paused = true;
  let buffering = false;
  let seeking = false;
  let duration = 0;
  vimeo.ready().then(() => { ready = true; return vimeo.getDuration(); })
    .then((/** @type {number} */ length) => { duration = length || duration; })
    .catch(() => {});
  /** @param {{seconds?: number, duration?: number} | undefined} data */
  const seen = (data) => {
    if (data && typeof data.seconds === "number") clock.report(data.seconds, !paused && !buffering && !seeking);
    if (data && data.duration) duration = data.duration;
  };
  vimeo.on("play", (/** @type {any} */ data) => { paused = false; seen(data); });
  vimeo.on("playing", (/** @type {any} */ data) => { paused = false; buffering = false; seen(data); });
  vimeo.on("pause", (/** @type {any} */ data) => { paused = true; seen(data); });
  vimeo.on("ended", (/** @type {any} */ data) => { paused = true; seen(data); });
  vimeo.on("timeupdate", seen);
  vimeo.on("seeking", () => { seeking = true; clock.moving(false); });
  vimeo.on("seeked", (/** @type {any} */ data) => { seeking = false; seen(data); });
  vimeo.on("bufferstart", () => { buffering = true; clock.moving(false); });
  vimeo.on("bufferend", () => { buffering = false; clock.moving(!paused); });
  return {
    // It seeks by a round trip to its frame, and its speed is not ours to nudge (only some
    // owners' videos may change it): it is only sought, and not for less than this.
    tolerance: 0.35,
    play: () => vimeo.play().then(() => { paused = false; clock.moving(!buffering && !seeking); }),
    pause: () => {
      paused = true;
      clock.moving(false);
      vimeo.pause().catch(() => {});
    },
    seek: (t) => {
      seeking = true;
      clock.report(t, false);
      vimeo.setCurrentTime(t).catch(() => { seeking = false; });
    },
    time: () => clock.now(),
    duration: () => duration,
    paused: () => paused,
    ready: () => ready,
    busy: () => seeking,
    stalled: () => !ready || buffering,
    setRate: () => {},  // a room plays a Vimeo video at 1x (core/media.py)
  };
}
