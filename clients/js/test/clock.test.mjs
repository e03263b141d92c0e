// The clock estimate (src/sync.js) under a simulated offset and jitter: round trips whose two
// ways take different, random times, as on a real network.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncClock } from "../src/sync.js";

/** A seeded generator, so that a failure can be run again. */
function random(seed) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

for (const [base, jitter] of [[0.02, 0.005], [0.05, 0.01], [0.15, 0.05]]) {
  test(`offset found within 10 ms at ${base * 1000} +/- ${jitter * 1000} ms each way`, () => {
    const next = random(42);
    const offset = 1_795_540_000.123;  // server time minus client time
    const clock = new SyncClock();
    let now = 100;
    for (let i = 0; i < 30; i++) {
      const up = base + (next() * 2 - 1) * jitter;
      const down = base + (next() * 2 - 1) * jitter;
      const t0 = now;
      const server = t0 + up + offset;
      clock.add(t0, t0 + up + down, server);
      now += 3;
    }
    assert.ok(Math.abs(clock.offset - offset) < 0.01, `${clock.offset - offset} s off`);
    assert.ok(Math.abs(clock.rtt - 2 * base) <= 2 * jitter);
  });
}

test("a round trip that makes no sense is ignored", () => {
  const clock = new SyncClock();
  clock.add(10, 9, 1000);  // received before it was sent
  clock.add(10, 11, Number.NaN);
  assert.equal(clock.offset, null);
});
