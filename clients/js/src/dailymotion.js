// @ts-check
// Dailymotion's Player (its Player Library Script, https://geo.dailymotion.com/libs/...: a
// player from dailymotion.createPlayer()) behind the one player surface. Every event carries
// the player's whole state (videoTime, videoDuration, playerIsPlaying, playerIsBuffering);
// between events the time moves on by the local clock.
import { reportedTime } from "./reported.js";

/** @typedef {import("./follow.js").Player} Player */

/**
 * @param {any} player a Dailymotion player, created
 * @param {Record<string, string>} events dailymotion.events
 * @param {() => number} [now] seconds on a monotonic clock
 * @returns {Player}
 */
export function dailymotionPlayer(player, events, now) {
  const clock = reportedTime(now);
  let paused = true;
  let buffering = false;
  let seeking = false;
  let duration = 0;
  /** @param {any} state */
  const seen = (state) => {
    if (!state) return;
    paused = !state.playerIsPlaying;
    buffering = Boolean(state.playerIsBuffering);
    if (state.videoDuration) duration = state.videoDuration;
    if (typeof state.videoTime === "number") clock.report(state.videoTime, !paused && !buffering && !seeking);
  };
  const names = ["VIDEO_PLAY", "VIDEO_PLAYING", "VIDEO_PAUSE", "VIDEO_END", "VIDEO_TIMECHANGE",
    "VIDEO_DURATIONCHANGE", "VIDEO_BUFFERING"];
  for (const name of names) if (events[name]) player.on(events[name], seen);
  player.on(events.VIDEO_SEEKSTART, () => { seeking = true; clock.moving(false); });
  player.on(events.VIDEO_SEEKEND, (/** @type {any} */ state) => { seeking = false; seen(state); });
  player.getState().then(seen).catch(() => {});
  return {
    tolerance: 0.35,  // no speed to nudge: only sought
    play: async () => { await player.play(); },
    pause: () => { paused = true; clock.moving(false); player.pause(); },
    seek: (t) => { seeking = true; clock.report(t, false); player.seek(t); },
    time: () => clock.now(),
    duration: () => duration,
    paused: () => paused,
    ready: () => true,  // made: createPlayer() has resolved
    busy: () => seeking,
    stalled: () => buffering,
    setRate: () => {},  // a room plays Dailymotion at 1x (core/media.py)
  };
}
