// @ts-check
// The one small surface the steering needs (follow.js's Player), over the players a page has:
// an HTML <video> or <audio>, and YouTube's IFrame player. The room page builds its players on
// these; a page of one's own hands its element or YT.Player to room.attach().

/** @typedef {import("./follow.js").Player} Player */

/**
 * An HTMLMediaElement (or anything with its properties: currentTime, duration, paused,
 * readyState, seeking, playbackRate, play(), pause()).
 * @param {HTMLMediaElement} media
 * @returns {Player}
 */
export function mediaPlayer(media) {
  const HAVE_FUTURE_DATA = 3;
  return {
    tolerance: 0,
    play: () => media.play(),
    pause: () => media.pause(),
    seek: (t) => { media.currentTime = t; },
    time: () => media.currentTime,
    duration: () => (Number.isFinite(media.duration) ? media.duration : 0),
    paused: () => media.paused,
    ready: () => media.readyState >= 1,
    busy: () => media.seeking,
    stalled: () => media.readyState < HAVE_FUTURE_DATA,
    held: (from) => {
      const ranges = media.buffered;
      for (let i = 0; i < ranges.length; i++) {
        if (ranges.start(i) <= from && from < ranges.end(i)) return ranges.end(i) - from;
      }
      return 0;
    },
    setRate: (rate) => { if (Math.abs(media.playbackRate - rate) > 1e-3) media.playbackRate = rate; },
  };
}

const PLAYING = 1;
const BUFFERING = 3;

/**
 * A YouTube IFrame API player (a YT.Player: `youtube()` gives it, or null while it is being
 * made), called once `ready()` says so (its onReady event; by default, once its methods exist).
 * @param {() => any} youtube
 * @param {() => boolean} [ready]
 * @returns {Player}
 */
export function youtubePlayer(youtube, ready = () => typeof youtube()?.getPlayerState === "function") {
  /** @template T @param {(p: any) => T} fn @returns {T | undefined} */
  const call = (fn) => (ready() ? fn(youtube()) : undefined);
  return {
    // YouTube seeks are slow (it buffers) and it has no fine rates: it only seeks, and not
    // for less than half a second.
    tolerance: 0.5,
    play: async () => call((p) => p.playVideo()),
    pause: () => call((p) => p.pauseVideo()),
    seek: (t) => call((p) => p.seekTo(t, true)),
    time: () => call((p) => p.getCurrentTime()) || 0,
    duration: () => call((p) => p.getDuration()) || 0,
    // playing or buffering: both mean "meant to be playing"
    paused: () => ![PLAYING, BUFFERING].includes(call((p) => p.getPlayerState())),
    ready,
    busy: () => call((p) => p.getPlayerState()) === BUFFERING,
    stalled: () => !ready() || call((p) => p.getPlayerState()) === BUFFERING,
    // YouTube plays only its own steps (the room's rate is one of them): a nudge rounds back
    // to the room's rate, so small drift is corrected by seeking instead.
    setRate: (rate) => call((p) => {
      /** @type {number[]} */
      const steps = p.getAvailablePlaybackRates() || [1];
      const step = steps.reduce((a, b) => (Math.abs(b - rate) < Math.abs(a - rate) ? b : a), steps[0]);
      if (p.getPlaybackRate() !== step) p.setPlaybackRate(step);
    }),
  };
}
