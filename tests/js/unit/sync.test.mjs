// clients/js/src/sync.js, the page's clock and drift arithmetic, exactly as the browser runs it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SyncClock, roomPosition, steer, rateAt } from "../../../clients/js/src/sync.js";

// A simulated link: the server's clock is ours plus `offset`; each trip takes `base` plus
// a random share of `jitter`, drawn separately each way (seeded, so runs repeat).
function simulate(clock, { offset, base, jitter, trips, seed = 7 }) {
  let state = seed;
  const random = () => { state = (state * 16807) % 2147483647; return state / 2147483647; };
  let now = 1000;
  for (let i = 0; i < trips; i++) {
    const up = base + random() * jitter;
    const down = base + random() * jitter;
    clock.add(now, now + up + down, now + up + offset);
    now += 3;
  }
}

test("the clock finds a skewed offset through a slow, jittery link", () => {
  const clock = new SyncClock();
  simulate(clock, { offset: 7.25, base: 0.1, jitter: 0.1, trips: 20 });
  // Each way 100-200 ms: a single round trip could be 50 ms off; the bounds of twenty meet
  // within a few milliseconds.
  assert.ok(Math.abs(clock.offset - 7.25) < 0.01, `offset ${clock.offset}`);
  assert.ok(clock.rtt > 0.2 && clock.rtt < 0.3, `rtt ${clock.rtt}`);
  assert.equal(clock.serverTime(10), 10 + clock.offset);
  assert.equal(clock.localTime(clock.serverTime(10)), 10);
});

test("the clock keeps only recent round trips and survives a server clock step", () => {
  const clock = new SyncClock({ keep: 5, best: 2 });
  simulate(clock, { offset: -3, base: 0.01, jitter: 0.02, trips: 5 });
  assert.ok(Math.abs(clock.offset + 3) < 0.02);
  // The server's clock steps 2 s: the old bounds contradict the new, the fastest round trips
  // stand in, and once the old ones are gone the estimate is exact again.
  simulate(clock, { offset: -1, base: 0.01, jitter: 0.02, trips: 2, seed: 11 });
  assert.ok(Number.isFinite(clock.offset));
  simulate(clock, { offset: -1, base: 0.01, jitter: 0.02, trips: 5, seed: 13 });
  assert.equal(clock.samples.length, 5);
  assert.ok(Math.abs(clock.offset + 1) < 0.02, `offset ${clock.offset}`);
  // Nonsense (a negative round trip) is ignored.
  clock.add(10, 9, 5);
  assert.equal(clock.samples.length, 5);
});

test("the room's position, before and after a scheduled start", () => {
  const playing = { playing: true, position: 10, updated_at: 100, rate: 1 };
  assert.equal(roomPosition(playing, 99.5), 10);  // held until the start
  assert.equal(roomPosition(playing, 102), 12);
  assert.equal(roomPosition({ ...playing, playing: false }, 102), 10);
  assert.equal(roomPosition(null, 5), 0);
});

test("steering: a seek when far off, a nudge in proportion, nothing when close", () => {
  const tuning = { seekAbove: 0.15, nudgeAbove: 0.005, maxNudge: 0.05 };
  assert.deepEqual(steer(0.3, 1, tuning), { seek: true, rate: 1, nudging: false });
  assert.deepEqual(steer(-0.3, 1, tuning), { seek: true, rate: 1, nudging: false });
  assert.deepEqual(steer(0.004, 1, tuning), { seek: false, rate: 1, nudging: false });
  // 10 ms behind: 2 % faster; ahead: slower; far: capped at 5 %.
  const behind = steer(-0.01, 1, tuning);
  assert.equal(behind.nudging, true);
  assert.ok(Math.abs(behind.rate - 1.02) < 1e-9);
  assert.ok(Math.abs(steer(0.01, 1, tuning).rate - 0.98) < 1e-9);
  assert.ok(Math.abs(steer(-0.1, 1, tuning).rate - 1.05) < 1e-9);
  // Hysteresis: once nudging, it goes on below the dead band, down to a millisecond.
  assert.equal(steer(-0.003, 1, tuning, true).nudging, true);
  assert.deepEqual(steer(-0.0005, 1, tuning, true), { seek: false, rate: 1, nudging: false });
});

test("a rate change still to come keeps the old rate until its instant, then the new", () => {
  // Playing at 1x; at server time 100 (position 20) everyone switches to 1.5x.
  const state = { video_id: "v", position: 20, playing: true, rate: 1.5, lead_rate: 1, updated_at: 100, version: 4, queue: [] };
  assert.equal(roomPosition(state, 99.5), 19.5);
  assert.equal(roomPosition(state, 100), 20);
  assert.equal(roomPosition(state, 102), 23);
  assert.equal(rateAt(state, 99.9), 1);
  assert.equal(rateAt(state, 100), 1.5);
  // A start still to come holds (lead_rate 0, or absent from an older server).
  const start = { ...state, lead_rate: 0 };
  assert.equal(roomPosition(start, 99), 20);
  assert.equal(rateAt({ ...state, lead_rate: undefined }, 99), 0);
  assert.equal(rateAt({ ...state, playing: false }, 101), 0);
});
