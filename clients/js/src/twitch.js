// @ts-check
// Twitch's embedded player (https://player.twitch.tv/js/embed/v1.js: a Twitch.Player, for a
// live channel or a past broadcast) behind the one player surface. Its getters answer at once.
// A live channel has no position to share: the room only plays and pauses it (STATE.live).

/** @typedef {import("./follow.js").Player} Player */

/**
 * @param {any} twitch a Twitch.Player
 * @param {{READY: string, PLAY: string, PLAYING: string, PAUSE: string, ENDED: string, SEEK: string}} events
 *   Twitch.Player's event names
 * @returns {Player}
 */
export function twitchPlayer(twitch, events) {
  let ready = false;
  let playing = false;  // playing, not only asked to
  twitch.addEventListener(events.READY, () => { ready = true; });
  twitch.addEventListener(events.PLAYING, () => { playing = true; });
  twitch.addEventListener(events.PAUSE, () => { playing = false; });
  twitch.addEventListener(events.ENDED, () => { playing = false; });
  return {
    tolerance: 0.35,  // no speed to nudge: only sought
    play: async () => { twitch.play(); },
    pause: () => twitch.pause(),
    seek: (t) => twitch.seek(t),
    time: () => (ready ? twitch.getCurrentTime() || 0 : 0),
    duration: () => (ready ? twitch.getDuration() || 0 : 0),
    paused: () => !ready || twitch.isPaused(),
    ready: () => ready,
    busy: () => false,
    // asked to play, and not playing yet: loading
    stalled: () => !ready || (!twitch.isPaused() && !playing),
    setRate: () => {},  // a room plays Twitch at 1x (core/media.py)
  };
}
