// @ts-check
// Steering a player onto the room: what to do each tick (nothing, a rate, a catch-up seek,
// a hold), and learning how far ahead each kind of catch-up must aim. Pure (the player is
// observed, not touched; times are arguments), tested by tests/js/unit/steering.test.mjs;
// room/player.js carries out what it answers.
import { rateAt, steer } from "./sync.js";

/**
 * @typedef {import("./sync.js").RoomState} RoomState
 * @typedef {import("./sync.js").Tuning} Tuning
 * @typedef {"start" | "seek" | "fetch" | "resume" | "switch"} Kind
 * @typedef {{time: number, duration: number, paused: boolean, busy: boolean, tolerance: number,
 *   held?: (from: number) => number}} Seen
 * @typedef {{kind: "none"}
 *   | {kind: "catch-up", to: number, play: boolean}
 *   | {kind: "rate", rate: number}
 *   | {kind: "hold", rate: number, pause: boolean, seek: number | null}} Action
 */

const SETTLE_SECONDS = 0.15;
// The narrowest dead band: a well-known clock lets the steering hold a player this close
// (two of them 4 ms apart at most) before the rate changes ever more often for less.
const MIN_BAND = 0.002;
// The smallest rate change whose effect on the error tells how late it was heard.
const MIN_LEARNT_CHANGE = 0.1;
// The most a player may be nudged from a catch-up's landing until it is first within the
// dead band: a catch-up that lands 40 ms off (a lag not yet learnt) is brought within 10 ms
// in about 0.35 s instead of 0.55 s at the steady 5 %, once, just after the player jumped.
// Past 10 % (1.7 semitones, pitch not kept) the gain, not the bound, sets the pace.
const LANDING_NUDGE = 0.1;
// How much media a stalled player must hold where the room is before it goes straight
// there: enough to play on after the seek's decode rather than stall again at once.
const HELD_TO_SKIP = 1;
// A seek to media the player does not hold asks for it anew (round trips, then decoding:
// 0.47 s on a 100 ms link, against 20-35 ms within what it holds). While the media flows in
// over AWAIT_INFLOW times as fast as it plays (a server sending on at full speed after a
// pause), waiting for it to arrive where the room is, then seeking there, is sooner: for
// at most AWAIT_SECONDS, judged after AWAIT_JUDGE of watching it come.
const AWAIT_SECONDS = 0.5;
const AWAIT_JUDGE = 0.1;
const AWAIT_INFLOW = 2;
/** @type {{kind: "none"}} */
const NONE = { kind: "none" };

export class Steering {
  /** @param {Tuning & {pausedSeekAbove: number}} tuning */
  constructor(tuning) {
    this.tuning = tuning;
    // A player takes a moment to get going, and the room moves on meanwhile: after play()
    // its audio output starts (~80 ms in Chromium), after a seek it decodes. So each way of
    // getting a player to the room aims that much ahead, and learns the amount from how far
    // off the player was 0.15 s later (seconds): start: play() before a scheduled start;
    // seek: a seek while playing; resume: a paused player joining a room that plays. A new
    // rate, too, is heard late (the audio already queued plays out at the old one): switch:
    // how much earlier to set a rate change scheduled ahead.
    /** @type {Record<Kind, number>} */
    // fetch: a seek to media the player does not hold (when it can tell).
    this.lag = { start: 0.08, seek: 0.05, fetch: 0.25, resume: 0.12, switch: 0.04 };
    /** @type {{since: number, end: number} | null} watching media flow in (AWAIT_SECONDS) */
    this.awaiting = null;
    /**
     * @type {{kind: Kind, at: number, version: number, free: number | null,
     *   before?: number, change?: number} | null}
     */
    this.settling = null;
    this.nudging = false;
    this.landing = false;  // a catch-up landed and the player is not yet within the band
    this.farLanding = false;  // the last seek landed beyond the seek threshold
    /** @type {number | null} when decide() last ran (server time) */
    this.decidedAt = null;
  }

  /**
   * A catch-up of `kind` began at server time `at`: leave the player alone until it settles,
   * then learn from where it landed.
   * @param {Kind} kind @param {number} at @param {number} version
   */
  began(kind, at, version) {
    this.settling = { kind, at, version, free: null };
    this.awaiting = null;
    this.landing = false;
  }

  /**
   * A rate change scheduled for server time `at` was set on the player `lag.switch` early,
   * `before` (seconds) off the room, from rate `from` to `to`: leave it alone until 0.15 s
   * after `at`, then learn from how far the error moved.
   * @param {number} at @param {number} version @param {number} before
   * @param {number} from @param {number} to
   */
  switched(at, version, before, from, to) {
    this.settling = { kind: "switch", at, version, free: null, before, change: to - from };
  }

  /** The player is seeking or loading: a settling catch-up starts its wait again. */
  busy() {
    if (this.settling) this.settling.free = null;
  }

  /**
   * What to do now about a player that plays with no data where it is (its media server
   * paused, say). A catch-up now would only ask for data elsewhere and start the wait over,
   * so it waits; unless the data where the room is has come already (the server sent on
   * faster than the player resumes): then one catch-up goes straight there, rather than
   * playing on from where it stopped and seeking after it has. Never a second one while
   * one settles.
   * @param {RoomState} state @param {number} now server time
   * @param {number} position where the room is at `now`
   * @param {{time: number, duration: number, held?: (from: number) => number}} seen the
   *   player, and the seconds of media it holds from a time on (if it can tell)
   * @returns {Action}
   */
  stalled(state, now, position, seen) {
    this.busy();
    const { time, duration, held } = seen;
    if (!held || (this.settling && this.settling.version === state.version)) return NONE;
    const rate = rateAt(state, now);
    const goal = goalOf(position, duration);
    if (rate <= 0 || (duration && goal >= duration - HELD_TO_SKIP)) return NONE;
    if (Math.abs(time - goal) <= this.tuning.seekAbove) return NONE;  // playing on is closer
    const to = goal + this.lag.resume * rate;
    if (held(to) < HELD_TO_SKIP) return NONE;
    return this._catchUp("resume", goal, state, now, false, rate);
  }

  /**
   * What to do now about a ready, idle player.
   * @param {RoomState} state
   * @param {number} now server time
   * @param {number} position where the room is at `now`
   * @param {Seen} seen the player
   * @param {boolean} blocked the browser refused to play without a click
   * @param {number} [clockError] how far the clock estimate may be off (seconds)
   * @returns {Action}
   */
  decide(state, now, position, seen, blocked, clockError = Infinity) {
    const decidedAt = this.decidedAt;
    this.decidedAt = now;
    const goal = goalOf(position, seen.duration);
    const error = seen.time - goal;
    if (this._settling(state, now, error, seen.paused)) return NONE;
    const ended = seen.duration && goal >= seen.duration - 0.05;
    const rate = rateAt(state, now);  // the shared rate, or the old one until a change
    if (rate > 0 && !ended) {
      if (seen.paused) {
        if (blocked) return NONE;  // wait for the click the page asks for
        return this._catchUp("resume", goal, state, now, true, rate);
      }
      // A nudge lasts until the next tick: ticks far apart (a hidden page's timers run once
      // a second) must not carry the player past the room (it swung 12-16 ms about it).
      const interval = decidedAt === null ? 0 : now - decidedAt;
      const bound = this.landing ? Math.max(this.tuning.maxNudge, LANDING_NUDGE) : this.tuning.maxNudge;
      const tuning = {
        ...this.tuning,
        seekAbove: Math.max(this.tuning.seekAbove, seen.tolerance || 0),
        nudgeAbove: deadBand(this.tuning.nudgeAbove, clockError),
        maxNudge: interval > 0 ? Math.min(bound, Math.abs(error) / (interval * rate)) : bound,
      };
      const steering = steer(error, rate, tuning, this.nudging);
      this.nudging = steering.nudging;
      this.landing = this.landing && steering.nudging;
      if (!steering.seek) {
        this.awaiting = null;
        return { kind: "rate", rate: steering.rate };
      }
      const held = seen.held;
      const to = goal + this.lag.seek * rate;
      // Near the end there is less than HELD_TO_SKIP left to hold: all of it will do.
      const enough = seen.duration ? Math.min(HELD_TO_SKIP, seen.duration - to) : HELD_TO_SKIP;
      if (!held || held(to) >= enough) {
        return this._catchUp("seek", goal, state, now, false, rate);
      }
      // Media that flows in comes ahead of the player: worth waiting for only there.
      if (goal > seen.time && this._awaiting(seen.time + held(seen.time), rate, now)) return NONE;
      return this._catchUp("fetch", goal, state, now, false, rate);
    }
    const far = Math.abs(error) > Math.max(this.tuning.pausedSeekAbove, seen.tolerance / 10);
    return { kind: "hold", rate: state.rate, pause: !seen.paused, seek: far ? goal : null };
  }

  /**
   * Whether to hold a seek back while the media flows in (AWAIT_SECONDS).
   * @param {number} end where the media the player holds ends @param {number} rate
   * @param {number} now
   */
  _awaiting(end, rate, now) {
    if (!this.awaiting) this.awaiting = { since: now, end };
    const waited = now - this.awaiting.since;
    if (waited < AWAIT_JUDGE) return true;
    if (waited < AWAIT_SECONDS && end - this.awaiting.end > AWAIT_INFLOW * rate * waited) return true;
    return false;
  }

  /**
   * @param {Kind} kind @param {number} goal @param {RoomState} state @param {number} now
   * @param {boolean} play @param {number} rate the room's rate now
   * @returns {Action}
   */
  _catchUp(kind, goal, state, now, play, rate) {
    this.began(kind, now, state.version);
    return { kind: "catch-up", to: goal + this.lag[kind] * rate, play };
  }

  /**
   * While a catch-up settles (until it has played 0.15 s, and 0.15 s since any seek
   * finished), the player is left alone; then its lag is learnt from the error.
   * @param {RoomState} state @param {number} now @param {number} error @param {boolean} paused
   */
  _settling(state, now, error, paused) {
    const settling = this.settling;
    if (!settling) return false;
    if (settling.version !== state.version) {
      this.settling = null;
      return false;
    }
    if (settling.free === null) settling.free = now;
    if (now - settling.at < SETTLE_SECONDS || now - settling.free < SETTLE_SECONDS) return true;
    // A seek that lands beyond the seek threshold may have met something rare (the file's
    // index fetched on its first seek: 0.23 s on a 100 ms link), and learning from it would
    // throw the next seek as far off the other way: it is learnt from only if the one before
    // landed that far off too (then it is how seeks go here).
    const far = settling.kind === "seek" && Math.abs(error) > this.tuning.seekAbove;
    if (!paused && (!far || this.farLanding)) {
      this.lag[settling.kind] = learnt(this.lag[settling.kind], settling, error);
    }
    if (settling.kind === "seek") this.farLanding = far;
    this.landing = settling.kind !== "switch";
    this.settling = null;
    return false;
  }
}

// Where the player should be: the room's position, or the end if the room is past it.
/** @param {number} position @param {number} duration 0: not known @returns {number} */
function goalOf(position, duration) {
  return duration ? Math.min(position, duration) : position;
}

// A lag learnt from the error a settled catch-up or switch left: 0.7 of the way to what it
// should have been. A catch-up that landed e ahead aimed e too far; a switch from rate r0 to
// r1 that was effectively d late moved the error by (r0 - r1) * d. A small rate change says
// too little about d to learn from.
/**
 * @param {number} lag
 * @param {{kind: Kind, before?: number, change?: number}} settling
 * @param {number} error
 * @returns {number}
 */
function learnt(lag, settling, error) {
  let late = error;
  if (settling.kind === "switch") {
    const change = settling.change || 0;
    if (Math.abs(change) < MIN_LEARNT_CHANGE) return lag;
    late = (error - (settling.before || 0)) / change;
  }
  return Math.max(0, Math.min(1, lag - 0.7 * late));
}

// The error the steering leaves alone: the server's setting, narrowed down to MIN_BAND as the
// clock estimate allows (chasing an error smaller than twice the clock's own would only
// follow the estimate's noise).
/** @param {number} nudgeAbove @param {number} clockError @returns {number} */
export function deadBand(nudgeAbove, clockError) {
  return Math.min(nudgeAbove, Math.max(MIN_BAND, 2 * clockError));
}
