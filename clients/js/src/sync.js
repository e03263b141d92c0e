// @ts-check
// The page's sync arithmetic, with no DOM and no clock reads of its own (times are arguments),
// so that Node tests it (tests/js/unit/sync.test.mjs) exactly as the browser runs it.
//
//  - SyncClock: the offset from this page's monotonic clock to the server's. The server read
//    its clock somewhere between our send (t0) and our receipt (t1), so each TIME round trip
//    bounds the offset: server - t1 <= offset <= server - t0. The bounds of the last `keep`
//    round trips intersect in a narrower interval (the fastest trip *each way* sets one end,
//    even when they were different trips), and the estimate is its middle. Were the
//    intersection empty (the server's clock stepped), the mean offset of the `best`
//    lowest-RTT samples stands in, NTP-style.
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
/** @typedef {{rtt: number, offset: number, low: number, high: number}} Sample */

export class SyncClock {
  /** @param {{keep?: number, best?: number}} [options] */
  constructor({ keep = 20, best = 3 } = {}) {
    this.keep = keep;
    this.best = best;
    /** @type {Sample[]} */
    this.samples = [];
    /** @type {number | null} server time minus local time, seconds; null until a sample */
    this.offset = null;
    /** @type {number | null} round trip of the best samples, seconds */
    this.rtt = null;
  }

  // t0, t1: local send and receive times; server: the server's time in the answer.
  /** @param {number} t0 @param {number} t1 @param {number} server */
  add(t0, t1, server) {
    const rtt = t1 - t0;
    if (!(rtt >= 0) || !Number.isFinite(server)) return;
    this.samples.push({ rtt, offset: server - (t0 + rtt / 2), low: server - t1, high: server - t0 });
    if (this.samples.length > this.keep) this.samples.shift();
    const fastest = [...this.samples].sort((a, b) => a.rtt - b.rtt).slice(0, this.best);
    this.rtt = fastest.reduce((sum, s) => sum + s.rtt, 0) / fastest.length;
    const low = Math.max(...this.samples.map((s) => s.low));
    const high = Math.min(...this.samples.map((s) => s.high));
    this.offset = low <= high
      ? (low + high) / 2
      : fastest.reduce((sum, s) => sum + s.offset, 0) / fastest.length;
  }

  reset() {
    this.samples = [];
    this.offset = null;
    this.rtt = null;
  }

  /** @param {number} local */
  serverTime(local) {
    return local + (this.offset || 0);
  }

  /** @param {number} server */
  localTime(server) {
    return server - (this.offset || 0);
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
// 2 closes half of it in 0.35 s), at most maxNudge either way, kept up until the error is
// under `settle` (hysteresis: a player does not sit at the edge of the dead band).
/**
 * @param {number} error
 * @param {number} rate
 * @param {Tuning} tuning
 * @param {boolean} [nudging]
 * @returns {{seek: boolean, rate: number, nudging: boolean}}
 */
export function steer(error, rate, { seekAbove, nudgeAbove, maxNudge, gain = 2, settle = 0.001 }, nudging = false) {
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
