// @ts-check
// Keeping one player on the room: scheduled starts on the server's clock, a steering tick
// (steering.js decides, this carries it out), and the reports a player owes the room (it
// stalled, it is ready again, the video ended). The room page and the client library's
// attach() both run it; it touches no DOM, only the player and timers.
import { Steering } from "./steering.js";
import { roomPosition } from "./sync.js";

/**
 * @typedef {import("./sync.js").RoomState} RoomState
 * @typedef {import("./sync.js").Tuning} Tuning
 * @typedef {{play(): Promise<unknown>, pause(): void, seek(seconds: number): void,
 *   time(): number, duration(): number, paused(): boolean, ready(): boolean, busy(): boolean,
 *   stalled(): boolean, setRate(rate: number): void, tolerance: number,
 *   held?: (from: number) => number}} Player
 *   held: seconds of media held from a time on (0: none there); left out by a player that
 *   cannot tell.
 * @typedef {{state(): RoomState | null, now(): number, local(): number,
 *   toLocal(server: number): number, clockReady(): boolean, clockError?: () => number,
 *   report(event: string, payload: object): void}} Source
 *   now: server time; local: this side's monotonic clock (seconds); toLocal: a server time on
 *   it; clockError: how far the clock estimate may be off (seconds); report: a room event
 *   for which no answer is awaited (BUFFERING, READY, ENDED).
 * @typedef {{blocked?: () => boolean, played?: (ok: boolean) => void}} Hooks
 *   blocked: the browser refused to play without a click (wait for it); played: whether a
 *   play() was allowed.
 */

// The server's defaults (WATCHPARTY_SYNC_*, docs/sync.md), for a client not told others.
export const DEFAULT_TUNING = { seekAbove: 0.15, nudgeAbove: 0.005, maxNudge: 0.05, pausedSeekAbove: 0.002 };
const TICK_MS = 50;
const STALL_SECONDS = 0.5;  // a short hiccup is not worth holding the room for
const PLAY_RETRY_SECONDS = 1;  // a live player asked to play takes a moment to say it does

export class Follower {
  /**
   * @param {Source} source @param {Tuning & {pausedSeekAbove: number}} tuning
   * @param {Hooks} [hooks]
   */
  constructor(source, tuning, hooks = {}) {
    this.source = source;
    this.steering = new Steering(tuning);  // lives as long as the page: its lags are learnt
    this.blocked = hooks.blocked || (() => false);
    this.played = hooks.played || (() => {});
    /** @type {Player | null} */
    this.player = null;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.startTimer = undefined;
    /** @type {number | null} */
    this.stalledSince = null;
    /** @type {string | null} the video this side said it is stuck on */
    this.reportedStall = null;
    /** @type {number | null} the state version whose end was reported */
    this.reportedEnd = null;
    /** @type {number} when a live player was last asked to play (local seconds) */
    this.askedToPlay = -Infinity;
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Where the room is now (seconds into the video). */
  target() {
    return roomPosition(this.source.state(), this.source.now());
  }

  /** Steer this player from now on (null: none). @param {Player | null} player */
  use(player) {
    this.player = player;
    this.update();
  }

  /** A new state, or a first clock estimate: schedule its start, and steer at once. */
  update() {
    this._schedule();
    this.tick();
  }

  stop() {
    clearInterval(this.timer);
    clearTimeout(this.startTimer);
    this.player = null;
  }

  // A start scheduled ahead (STATE.updated_at later than now): hold at the position, then
  // start with everyone else at that server time, less the start lag. A rate change
  // scheduled ahead (lead_rate > 0) is set the switch lag before that time.
  _schedule() {
    clearTimeout(this.startTimer);
    const state = this.source.state();
    if (!state || !state.playing || !this.source.clockReady()) return;
    const switching = (state.lead_rate || 0) > 0;
    const lead = switching ? this.steering.lag.switch : this.steering.lag.start;
    const wait = this.source.toLocal(state.updated_at) - lead - this.source.local();
    if (wait > 0) {
      this.startTimer = setTimeout(() => (switching ? this._switchRate() : this._startOnTime()), wait * 1000);
    }
  }

  _switchRate() {
    const state = this.source.state();
    const player = this.player;
    if (!state || !player || !player.ready() || player.paused() || player.busy()) return;
    const before = player.time() - this.target();
    player.setRate(state.rate);
    this.steering.switched(state.updated_at, state.version, before, state.lead_rate || 0, state.rate);
  }

  _startOnTime() {
    const state = this.source.state();
    const player = this.player;
    if (!state || !player || !player.ready() || player.busy() || !state.playing) return;  // late: steering catches up
    this._play(player, state.rate);
    this.steering.began("start", state.updated_at, state.version);
  }

  /** @param {Player} player @param {number} rate */
  _play(player, rate) {
    player.setRate(rate);
    player.play().then(() => this.played(true), () => this.played(false));
  }

  tick() {
    const state = this.source.state();
    const player = this.player;
    if (!state || !player) return;
    this._reportStall(state, player);
    if (!player.ready()) return;
    if (state.live) {
      this._followLive(state, player);
      return;
    }
    if (player.busy()) {
      this.steering.busy();
      return;
    }
    const held = player.held ? player.held.bind(player) : undefined;
    if (!player.paused() && player.stalled()) {
      const seen = { time: player.time(), duration: player.duration(), held };
      const action = this.steering.stalled(state, this.source.now(), this.target(), seen);
      if (action.kind === "catch-up") player.seek(action.to);
      return;
    }
    const duration = player.duration();
    this._reportEnd(state, duration);
    const seen = {
      time: player.time(),
      duration,
      paused: player.paused(),
      busy: false,
      tolerance: player.tolerance,
      held,
    };
    const clockError = this.source.clockError ? this.source.clockError() : Infinity;
    const action = this.steering.decide(state, this.source.now(), this.target(), seen, this.blocked(), clockError);
    if (action.kind === "catch-up") {
      player.seek(action.to);
      if (player.paused()) this._play(player, state.rate);
    } else if (action.kind === "rate") {
      player.setRate(action.rate);
    } else if (action.kind === "hold") {
      if (action.pause) player.pause();
      player.setRate(action.rate);
      if (action.seek !== null) player.seek(action.seek);
    }
  }

  // A live channel has no position to share: it plays when the room plays, and pauses when
  // it pauses (where in the stream each viewer is, is the service's business).
  /** @param {RoomState} state @param {Player} player */
  _followLive(state, player) {
    if (!state.playing) {
      if (!player.paused()) player.pause();
      return;
    }
    const now = this.source.local();
    if (player.paused() && !this.blocked() && now - this.askedToPlay > PLAY_RETRY_SECONDS) {
      this.askedToPlay = now;
      player.play().then(() => this.played(true), () => this.played(false));
    }
  }

  // A player that stalls while the room plays says so (the room may wait for it:
  // docs/protocol.md, BUFFERING), and says when it can play again.
  /** @param {RoomState} state @param {Player} player */
  _reportStall(state, player) {
    const stuck = (state.playing || state.waiting) && player.stalled();
    const now = this.source.local();
    if (!stuck) {
      this.stalledSince = null;
      if (this.reportedStall !== null) {
        this.source.report("READY", { video_id: this.reportedStall });
        this.reportedStall = null;
      }
      return;
    }
    if (this.stalledSince === null) this.stalledSince = now;
    if (this.reportedStall === null && now - this.stalledSince > STALL_SECONDS && state.video_id) {
      this.reportedStall = state.video_id;
      this.source.report("BUFFERING", { video_id: state.video_id });
    }
  }

  // When the room does not know the video's length, the players say when it ends: the first
  // report moves the room on (the server ignores the rest), so report once per state.
  /** @param {RoomState} state @param {number} duration */
  _reportEnd(state, duration) {
    if (!state.playing || state.duration || !duration || this.reportedEnd === state.version) return;
    if (this.target() < duration - 0.25) return;
    this.reportedEnd = state.version;
    this.source.report("ENDED", { video_id: state.video_id, duration });
  }
}
