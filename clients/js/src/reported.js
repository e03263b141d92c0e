// @ts-check
// The time of a player that only reports it (by events, or by promises): where it last said it
// was, moved on by the local clock while it plays, so the steering can ask at any moment.

/**
 * @param {() => number} [now] seconds on a monotonic clock
 */
export function reportedTime(now = () => performance.now() / 1000) {
  let time = 0;
  let at = now();
  let moving = false;
  return {
    /** The player is at `seconds`, and plays on from there (or not). @param {number} seconds @param {boolean} playing */
    report(seconds, playing) {
      time = seconds;
      at = now();
      moving = playing;
    },
    /** Playing on from where it is now, or stopped there. @param {boolean} playing */
    moving(playing) {
      this.report(this.now(), playing);
    },
    /** Where the player is now, by its last report. */
    now() {
      return moving ? time + (now() - at) : time;
    },
  };
}
