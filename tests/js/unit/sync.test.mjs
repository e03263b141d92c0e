// clients/js/src/sync.js, the page's clock and drift arithmetic, exactly as the browser runs it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SyncClock, roomPosition, steer, rateAt } from "../../../clients/js/src/sync.js";

// A simulated link: the server's clock is ours plus `offset`, drifting `drift` seconds per
// second; each trip takes `base` plus a random share of `jitter`, drawn separately each way
// (seeded, so runs repeat); a share `loss` of the pings is never answered. Returns the local
// time after the last ping, and the true offset then.
function simulate(clock, { offset, base, jitter, trips, seed = 7, drift = 0, loss = 0, start = 1000 }) {
  let state = seed;
  const random = () => { state = (state * 16807) % 2147483647; return state / 2147483647; };
  let now = start;
  for (let i = 0; i < trips; i++) {
    const up = base + random() * jitter;
    const down = base + random() * jitter;
    if (random() >= loss) clock.add(now, now + up + down, now + up + offset + drift * (now + up - start));
    now += 3;
  }
  return { now, truth: offset + drift * (now - start) };
}

test("the clock finds a skewed offset through a slow, jittery link", () => {
  const clock = new SyncClock();
  const { now, truth } = simulate(clock, { offset: 7.25, base: 0.1, jitter: 0.1, trips: 20 });
  // Each way 100-200 ms: a single round trip could be 50 ms off; the bounds of twenty meet
  // within a few milliseconds, and the clock says how far off it may be.
  const off = Math.abs(clock.offsetAt(now) - truth);
  assert.ok(off < 0.01, `offset off by ${off}`);
  assert.ok(clock.error >= off && clock.error < 0.05, `error ${clock.error}, off by ${off}`);
  assert.ok(clock.rtt > 0.2 && clock.rtt < 0.3, `rtt ${clock.rtt}`);
  assert.ok(Math.abs(clock.localTime(clock.serverTime(10)) - 10) < 1e-9);
});

test("the clock follows a drifting server clock, between pings too", () => {
  // 200 ppm apart (12 ms a minute), 50 +/- 10 ms each way, over six minutes
  for (const drift of [200e-6, -150e-6, 0]) {
    const clock = new SyncClock();
    const { now, truth } = simulate(clock, { offset: -3, base: 0.04, jitter: 0.02, trips: 120, drift });
    assert.ok(Math.abs(clock.skew - drift) < 40e-6, `skew ${clock.skew} for ${drift}`);
    assert.ok(Math.abs(clock.offsetAt(now) - truth) < 0.003, `drift ${drift}: off by ${clock.offsetAt(now) - truth}`);
    // three seconds on, before the next ping: still within the estimate's error
    const later = truth + drift * 3;
    assert.ok(Math.abs(clock.offsetAt(now + 3) - later) < clock.error + 0.001);
    assert.ok(Math.abs(clock.serverTime(now + 3) - (now + 3 + later)) < clock.error + 0.001);
    assert.ok(Math.abs(clock.localTime(clock.serverTime(now + 3)) - (now + 3)) < 1e-9);
  }
  // An estimate with no drift believes none: a short span shows none.
  const fresh = new SyncClock();
  simulate(fresh, { offset: 2, base: 0.04, jitter: 0.02, trips: 3 });
  assert.equal(fresh.skew, 0);
});

test("the clock's error tracks the link, and lost answers cost little", () => {
  const errors = [];
  for (const jitter of [0.002, 0.02, 0.1]) {
    const clock = new SyncClock();
    const { now, truth } = simulate(clock, { offset: 1, base: 0.05, jitter, trips: 40, loss: 0.3, seed: 3 });
    assert.ok(clock.samples.length < 40 && clock.samples.length > 20);
    assert.ok(Math.abs(clock.offsetAt(now) - truth) <= clock.error, `jitter ${jitter}`);
    errors.push(clock.error);
  }
  assert.ok(errors[0] < errors[1] && errors[1] < errors[2], `errors ${errors}`);
  assert.ok(errors[0] <= 0.002, `a quiet link: error ${errors[0]}`);
});

test("the clock keeps only recent round trips and survives a server clock step", () => {
  const clock = new SyncClock({ keep: 5 });
  simulate(clock, { offset: -3, base: 0.01, jitter: 0.02, trips: 5 });
  assert.ok(Math.abs(clock.offset + 3) < 0.02);
  // The server's clock steps 2 s: the first answer after it contradicts the estimate, which
  // starts afresh from it at once.
  simulate(clock, { offset: -1, base: 0.01, jitter: 0.02, trips: 1, seed: 11, start: 1100 });
  assert.equal(clock.samples.length, 1);
  assert.ok(Math.abs(clock.offset + 1) < 0.02, `offset ${clock.offset}`);
  simulate(clock, { offset: -1, base: 0.01, jitter: 0.02, trips: 6, seed: 13, start: 1103 });
  assert.equal(clock.samples.length, 5);
  assert.ok(Math.abs(clock.offset + 1) < 0.02, `offset ${clock.offset}`);
  // Nonsense (a negative round trip, an endless time) is ignored.
  clock.add(10, 9, 5);
  clock.add(10, 11, Infinity);
  assert.equal(clock.samples.length, 5);
  clock.reset();
  assert.equal(clock.offset, null);
  assert.equal(clock.serverTime(5), 5);
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
  // 10 ms behind: 4 % faster; ahead: slower; far: capped at 5 %.
  const behind = steer(-0.01, 1, tuning);
  assert.equal(behind.nudging, true);
  assert.ok(Math.abs(behind.rate - 1.04) < 1e-9);
  assert.ok(Math.abs(steer(0.01, 1, tuning).rate - 0.96) < 1e-9);
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
