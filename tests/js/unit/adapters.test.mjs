// clients/js/src/{vimeo,twitch,dailymotion}.js over objects that behave as each SDK documents
// (methods, promises, events and their data), and the follower on a live channel.
import { test } from "node:test";
import assert from "node:assert/strict";
import { vimeoPlayer } from "../../../clients/js/src/vimeo.js";
import { twitchPlayer } from "../../../clients/js/src/twitch.js";
import { dailymotionPlayer } from "../../../clients/js/src/dailymotion.js";
import { Follower } from "../../../clients/js/src/follow.js";
import { mediaPlayer } from "../../../clients/js/src/players.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Listeners by event name, and a way to fire them. */
function emitter() {
  const listeners = new Map();
  return {
    on(name, fn) { listeners.set(name, [...(listeners.get(name) || []), fn]); },
    fire(name, data) { for (const fn of listeners.get(name) || []) fn(data); },
  };
}

test("Vimeo: the time between its reports moves on by the clock, and holds while paused", async () => {
  let clock = 100;
  const events = emitter();
  const calls = [];
  const sdk = {
    on: events.on,
    ready: async () => {},
    getDuration: async () => 60,
    play: async () => { calls.push("play"); },
    pause: async () => { calls.push("pause"); },
    setCurrentTime: async (t) => { calls.push(["seek", t]); return t; },
  };
  const player = vimeoPlayer(sdk, () => clock);
  assert.equal(player.ready(), false);
  await tick();
  await tick();
  assert.equal(player.ready(), true);
  assert.equal(player.duration(), 60);
  assert.equal(player.paused(), true);
  await player.play();
  events.fire("timeupdate", { seconds: 10, percent: 0.16, duration: 60 });
  clock += 0.2;
  assert.ok(Math.abs(player.time() - 10.2) < 1e-9);
  player.seek(30);
  assert.equal(player.busy(), true);
  assert.equal(player.time(), 30);
  clock += 0.5;
  assert.equal(player.time(), 30, "no time passes during a seek");
  events.fire("seeked", { seconds: 30, percent: 0.5, duration: 60 });
  assert.equal(player.busy(), false);
  clock += 0.1;
  assert.ok(Math.abs(player.time() - 30.1) < 1e-9);
  events.fire("bufferstart");
  assert.equal(player.stalled(), true);
  clock += 1;
  assert.ok(Math.abs(player.time() - 30.1) < 1e-9, "a stalled player does not move");
  events.fire("bufferend");
  player.pause();
  clock += 1;
  assert.ok(Math.abs(player.time() - 30.1) < 1e-9);
  assert.deepEqual(calls, ["play", ["seek", 30], "pause"]);
});

test("Twitch: its own getters, and a play asked for is loading until it plays", () => {
  const events = { READY: "ready", PLAY: "play", PLAYING: "playing", PAUSE: "pause", ENDED: "ended", SEEK: "seek" };
  const bus = emitter();
  let paused = true;
  const sdk = {
    addEventListener: bus.on,
    play: () => { paused = false; },
    pause: () => { paused = true; },
    seek: () => {},
    getCurrentTime: () => 42.5,
    getDuration: () => 3600,
    isPaused: () => paused,
  };
  const player = twitchPlayer(sdk, events);
  assert.equal(player.ready(), false);
  assert.equal(player.time(), 0);
  bus.fire("ready");
  assert.equal(player.time(), 42.5);
  player.play();
  assert.equal(player.stalled(), true);
  bus.fire("playing");
  assert.equal(player.stalled(), false);
  assert.equal(player.paused(), false);
});

test("Dailymotion: each event's state is where the player is", async () => {
  let clock = 0;
  const bus = emitter();
  const events = {
    VIDEO_PLAY: "video_play", VIDEO_PLAYING: "video_playing", VIDEO_PAUSE: "video_pause",
    VIDEO_END: "video_end", VIDEO_TIMECHANGE: "video_timechange",
    VIDEO_DURATIONCHANGE: "video_durationchange", VIDEO_BUFFERING: "video_buffering",
    VIDEO_SEEKSTART: "video_seekstart", VIDEO_SEEKEND: "video_seekend",
  };
  const sdk = {
    on: bus.on,
    getState: async () => ({ videoTime: 0, videoDuration: 90, playerIsPlaying: false, playerIsBuffering: false }),
    play: () => {}, pause: () => {}, seek: () => {},
  };
  const player = dailymotionPlayer(sdk, events, () => clock);
  await tick();
  assert.equal(player.duration(), 90);
  bus.fire("video_timechange", { videoTime: 12, videoDuration: 90, playerIsPlaying: true, playerIsBuffering: false });
  clock += 0.25;
  assert.equal(player.time(), 12.25);
  assert.equal(player.paused(), false);
  bus.fire("video_buffering", { videoTime: 12.3, videoDuration: 90, playerIsPlaying: true, playerIsBuffering: true });
  assert.equal(player.stalled(), true);
  clock += 1;
  assert.equal(player.time(), 12.3);
});

test("on a live channel the follower only plays and pauses, however far the player is", async () => {
  const calls = [];
  let paused = true;
  const player = {
    tolerance: 0, play: async () => { calls.push("play"); paused = false; },
    pause: () => { calls.push("pause"); paused = true; }, seek: (t) => calls.push(["seek", t]),
    time: () => 5000, duration: () => 0, paused: () => paused, ready: () => true, busy: () => false,
    stalled: () => false, setRate: (r) => calls.push(["rate", r]),
  };
  let state = { video_id: "https://www.twitch.tv/x", live: true, playing: true, position: 0, rate: 1, updated_at: 0, version: 1, queue: [] };
  const source = {
    state: () => state, now: () => 10, local: () => 10, toLocal: (t) => t, clockReady: () => true,
    report: (event) => calls.push(["report", event]),
  };
  const follower = new Follower(source, { seekAbove: 0.15, nudgeAbove: 0.005, maxNudge: 0.05, pausedSeekAbove: 0.002 });
  follower.use(player);
  follower.tick();
  await tick();
  state = { ...state, playing: false, version: 2 };
  follower.tick();
  follower.stop();
  assert.deepEqual(calls, ["play", "pause"]);
});

/**
 * A follower of a room playing since server time 88 (at 12 s into its video at 100, when
 * this starts), on a clock the test moves on in the follower's own 50 ms ticks.
 */
function playingRoom(player) {
  let now = 100;
  const state = { video_id: "/m/a.webm", playing: true, position: 0, rate: 1, updated_at: 88, version: 1, queue: [] };
  const source = {
    state: () => state, now: () => now, local: () => now, toLocal: (t) => t, clockReady: () => true,
    report: () => {},
  };
  const follower = new Follower(source, { seekAbove: 0.15, nudgeAbove: 0.005, maxNudge: 0.05, pausedSeekAbove: 0.002 });
  follower.use(player);
  return {
    follower,
    now: () => now,
    /** @param {number} n @param {() => void} [after] what the player does after each tick */
    ticks(n, after = () => {}) {
      for (let i = 0; i < n; i++) { now += 0.05; follower.tick(); after(); }
    },
  };
}

test("a player waiting for data is not sought until it plays again: then one catch-up", () => {
  const seeks = [];
  let stalled = true;
  let time = 10;  // stuck here while its data does not come; the room is at 12
  const player = {
    tolerance: 0, play: async () => {}, pause: () => {}, seek: (t) => { seeks.push(t); time = t; },
    time: () => time, duration: () => 300, paused: () => false, ready: () => true, busy: () => false,
    stalled: () => stalled, setRate: () => {},
  };
  const room = playingRoom(player);
  try {
    room.ticks(40);  // two seconds without data
    assert.deepEqual(seeks, []);
    stalled = false;  // data flows: one seek to the room, then it is left to settle
    room.ticks(3, () => { time += 0.05; });
  } finally {
    room.follower.stop();
  }
  assert.equal(seeks.length, 1);
  assert.ok(seeks[0] > room.now() - 88 - 0.15, `sought to ${seeks[0]}`);
});

test("a rate change scheduled ahead is set its learnt lag early, and not set back", async () => {
  const rates = [];
  const local = () => performance.now() / 1000;
  const player = {
    tolerance: 0, play: async () => {}, pause: () => {}, seek: () => {},
    time: () => 10, duration: () => 300, paused: () => false, ready: () => true, busy: () => false,
    stalled: () => false, setRate: (r) => rates.push([r, local()]),
  };
  const switchAt = local() + 0.3;
  const state = { video_id: "/m/a.webm", playing: true, position: 10, rate: 1.5, lead_rate: 1, updated_at: switchAt, version: 2, queue: [] };
  const source = {
    state: () => state, now: local, local, toLocal: (t) => t, clockReady: () => true,
    report: () => {},
  };
  const follower = new Follower(source, { seekAbove: 1, nudgeAbove: 1, maxNudge: 0.05, pausedSeekAbove: 0.002 });
  follower.steering.lag.switch = 0.1;
  try {
    follower.use(player);
    await new Promise((resolve) => setTimeout(resolve, 400));
  } finally {
    follower.stop();
  }
  const first = rates.findIndex(([rate]) => rate === 1.5);
  assert.ok(first >= 0, "the new rate was set");
  const at = rates[first][1];
  assert.ok(at >= switchAt - 0.1 - 0.005 && at < switchAt - 0.05, `set ${(switchAt - at).toFixed(3)} s early`);
  assert.deepEqual(rates.slice(first).filter(([rate]) => rate !== 1.5), []);
});

test("a stalled player that holds the media where the room is goes there before it plays again", () => {
  const seeks = [];
  let time = 10;  // stuck here; the room is at 12 and moving
  let buffered = [[0, 10.2]];  // what an HTMLMediaElement's buffered TimeRanges hold
  const media = {
    get currentTime() { return time; }, set currentTime(t) { seeks.push(t); time = t; },
    duration: 300, paused: false, readyState: 2, seeking: false, playbackRate: 1,
    buffered: { get length() { return buffered.length; }, start: (i) => buffered[i][0], end: (i) => buffered[i][1] },
    play: async () => {}, pause: () => {},
  };
  const player = mediaPlayer(/** @type {any} */ (media));
  const room = playingRoom(player);
  try {
    room.ticks(20);  // a second without data
    assert.deepEqual(seeks, []);
    buffered = [[0, 40]];  // the server sends on at full speed; the player has not resumed yet
    room.ticks(10);
  } finally {
    room.follower.stop();
  }
  assert.equal(seeks.length, 1);
  assert.ok(Math.abs(seeks[0] - (13.05 + room.follower.steering.lag.resume)) < 1e-6, `sought to ${seeks[0]}`);
});
