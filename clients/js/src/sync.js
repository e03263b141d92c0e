// @ts-check
// The page's sync arithmetic, with no DOM and no clock reads of its own (times are arguments),
// so that Node tests it (tests/js/unit/sync.test.mjs) exactly as the browser runs it.
//
//  - SyncClock: the offset from this page's monotonic clock to the server's, and how fast it
//    drifts. The server read its clock somewhere between our send (t0) and our receipt (t1),
//    so each TIME round trip bounds the offset: server - t1 <= offset <= server - t0. Carried
//    along the drift to the newest round trip, the bounds of the last `keep` meet in a narrow
//    interval (the fastest trip *each way* sets one end, even when they were different
//    trips), and the estimate is its middle. The drift is the one under which they meet most
//    widely; what the fastest trip leaves unexplained is the estimate's own error, which the
//    steering respects. A round trip that contradicts the estimate (the server's clock
//    stepped) starts it afresh. docs/sync.md, "Clock".
//  - steer: what the player should do about its error against the room (a seek, a playback
//    rate, or nothing), from thresholds the server's settings give (docs/sync.md).
/**
 * @typedef {{video_id: string|null, video_kind?: string, position: number, playing: boolean,
 *   rate: number, lead_rate?: number, rates?: number[]|null, updated_at: number,
 *   version: number, waiting?: boolean, duration?: number|null, title?: string|null, queue: QueueItem[],
 *   subtitles?: Track[], live?: boolean}} RoomState
 * @typedef {{id: string, video_id: string, kind?: string, title?: string|null,
 *   duration?: number|null, subtitles?: Track[], added_by?: string|null}} QueueItem
 * @typedef {{id: string, label: string, lang: string, url: string, kind: string,
 *   default: boolean}} Track
 * @typedef {{seekAbove: number, nudgeAbove: number, maxNudge: number, gain?: number,
 *   settle?: number}} Tuning
 */
/** @typedef {{at: number, rtt: number, offset: number}} Sample */

const MIN_DRIFT_SPAN = 60;  // seconds of round trips before a drift is believed (a minute)
const FLOOR = 0.0005;  // seconds: what even the fastest trip may be off (timers, scheduling)

export class SyncClock {
  /** @param {{keep?: number, maxSkew?: number}} [options] */
  constructor({ keep = 100, maxSkew = 0.001 } = {}) {
    this.keep = keep;
    this.maxSkew = maxSkew;
    /** @type {Sample[]} */
    this.samples = [];
    /** @type {number | null} server time minus local time at local time `at`, seconds; null until a sample */
    this.offset = null;
    /** local time the offset is for */
    this.at = 0;
    /** how much the offset grows per second of local time (1e-6: 1 ppm) */
    this.skew = 0;
    /** @type {number | null} round trip of the fastest recent samples, seconds */
    this.rtt = null;
    /** @type {number} how far the offset may be off, seconds (Infinity until a sample) */
    this.error = Infinity;
  }

  // t0, t1: local send and receive times; server: the server's time in the answer.
  /** @param {number} t0 @param {number} t1 @param {number} server */
  add(t0, t1, server) {
    const rtt = t1 - t0;
    if (!(rtt >= 0) || !Number.isFinite(server) || !Number.isFinite(t0)) return;
    const sample = { at: t0 + rtt / 2, rtt, offset: server - (t0 + rtt / 2) };
    if (this.offset !== null && this._contradicts(sample)) this.samples = [];
    this.samples.push(sample);
    if (this.samples.length > this.keep) this.samples.shift();
    this._fit();
  }

  // The server read its clock within the trip: its offset then lies within half the trip of
  // the midpoint, whatever the path. Outside that (and the estimate's error), the clock stepped.
  /** @param {Sample} sample */
  _contradicts(sample) {
    const predicted = this.offsetAt(sample.at);
    return Math.abs(sample.offset - predicted) > sample.rtt / 2 + 3 * this.error + 0.005;
  }

  _fit() {
    const samples = this.samples;
    const newest = samples[samples.length - 1];
    const quick = [...samples].sort((a, b) => a.rtt - b.rtt).slice(0, 3);
    const fastest = quick[0].rtt;
    this.rtt = quick.reduce((sum, s) => sum + s.rtt, 0) / quick.length;
    this.at = newest.at;
    this.skew = this._drift();
    const { low, high } = this._meet(this.skew);
    this.offset = (low + high) / 2;
    // Its error: the part of the fastest trip the meeting could not pin down (the excess
    // either way is still unknown), never below the timers' resolution.
    this.error = Math.max(FLOOR, (fastest - Math.max(0, high - low)) / 2);
  }

  // Each trip bounds the offset at its midpoint within half the trip; carried to the newest
  // sample along a drift `skew`, the bounds of all meet in [low, high], whose ends the fastest
  // trip each way set, even when they were different trips (empty: low > high).
  /** @param {number} skew */
  _meet(skew) {
    let low = -Infinity;
    let high = Infinity;
    for (const s of this.samples) {
      const carried = s.offset + skew * (this.at - s.at);
      low = Math.max(low, carried - s.rtt / 2);
      high = Math.min(high, carried + s.rtt / 2);
    }
    return { low, high };
  }

  // The drift: the one under which the bounds meet most widely (only the true drift lets
  // every trip's bounds line up; the width is concave in it, so a search finds its top), and
  // of the drifts within FLOOR of that, the nearest to none: no drift is believed unshown,
  // nor over less than MIN_DRIFT_SPAN.
  _drift() {
    const samples = this.samples;
    if (samples[samples.length - 1].at - samples[0].at < MIN_DRIFT_SPAN) return 0;
    const width = (/** @type {number} */ skew) => {
      const { low, high } = this._meet(skew);
      return high - low;
    };
    let left = -this.maxSkew;
    let right = this.maxSkew;
    for (let i = 0; i < 60; i++) {
      const a = left + (right - left) / 3;
      const b = right - (right - left) / 3;
      if (width(a) < width(b)) left = a;
      else right = b;
    }
    const best = (left + right) / 2;
    const top = width(best) - FLOOR;
    if (width(0) >= top) return 0;
    // the width falls from its top toward no drift: the last drift still near the top
    let near = best;
    let far = 0;
    for (let i = 0; i < 50; i++) {
      const middle = (near + far) / 2;
      if (width(middle) >= top) near = middle;
      else far = middle;
    }
    return near;
  }

  /** The offset at local time `local` (seconds; 0 before any sample). @param {number} local */
  offsetAt(local) {
    return this.offset === null ? 0 : this.offset + this.skew * (local - this.at);
  }

  reset() {
    this.samples = [];
    this.offset = null;
    this.at = 0;
    this.skew = 0;
    this.rtt = null;
    this.error = Infinity;
  }

  /** @param {number} local */
  serverTime(local) {
    return local + this.offsetAt(local);
  }

  /** @param {number} server */
  localTime(server) {
    if (this.offset === null) return server;
    // server = local + offset + skew * (local - at), solved for local
    return (server - this.offset + this.skew * this.at) / (1 + this.skew);
  }
}

// Where the room is at server time `now` (the protocol's formula): before `updated_at` the
// position moves at `lead_rate` (0: a start to come holds it; the old rate while a rate
// change is still to come), after it at `rate`.
/**
 * @param {RoomState | null} state
 * @param {number} now server time, seconds
 * @returns {number}
 */
export function roomPosition(state, now) {
  if (!state || !state.playing) return state ? state.position : 0;
  if (now < state.updated_at) {
    return Math.max(0, state.position - (state.updated_at - now) * (state.lead_rate || 0));
  }
  return state.position + (now - state.updated_at) * state.rate;
}

// How fast the room's position moves at server time `now` (0 when it holds).
/** @param {RoomState} state @param {number} now @returns {number} */
export function rateAt(state, now) {
  if (!state.playing) return 0;
  return now >= state.updated_at ? state.rate : (state.lead_rate || 0);
}

// error: player position minus the room's (seconds; > 0 ahead); nudging: whether the last
// answer was a nudge. Returns {seek, rate, nudging}. Beyond seekAbove, a seek. Beyond
// nudgeAbove, a playback rate off the room's in proportion to the error (`gain` per second:
// 4 closes half of it in 0.17 s), at most maxNudge either way, kept up until the error is
// under `settle` (hysteresis: a player does not sit at the edge of the dead band).
/**
 * @param {number} error
 * @param {number} rate
 * @param {Tuning} tuning
 * @param {boolean} [nudging]
 * @returns {{seek: boolean, rate: number, nudging: boolean}}
 */
export function steer(error, rate, { seekAbove, nudgeAbove, maxNudge, gain = 4, settle = 0.001 }, nudging = false) {
  const size = Math.abs(error);
  if (size > seekAbove) return { seek: true, rate, nudging: false };
  if (size <= (nudging ? settle : nudgeAbove)) return { seek: false, rate, nudging: false };
  const nudge = Math.max(-maxNudge, Math.min(maxNudge, error * gain));
  return { seek: false, rate: rate * (1 - nudge), nudging: true };
}

// One TIME round trip (docs/protocol.md, "Clock sync"): `emit(payload, onAck)` sends it; the
// answer becomes a sample of `clock`, and `done(first)` says whether it was the first one.
// Our round trip goes along, so that the room schedules its starts far enough ahead for us.
/**
 * @param {SyncClock} clock @param {() => number} local the monotonic clock, seconds
 * @param {(payload: {client_time: number, rtt?: number}, onAck: (ack: any) => void) => void} emit
 * @param {(first: boolean) => void} [done]
 */
export function ping(clock, local, emit, done = () => {}) {
  const t0 = local();
  /** @type {{client_time: number, rtt?: number}} */
  const payload = { client_time: t0 };
  if (clock.rtt !== null) payload.rtt = Math.min(10, clock.rtt);
  emit(payload, (ack) => {
    if (!ack || !ack.ok) return;
    const first = clock.offset === null;
    clock.add(t0, local(), ack.server_time);
    done(first);
  });
}
