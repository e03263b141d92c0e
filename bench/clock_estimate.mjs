// How far off the page's clock estimate (clients/js/src/sync.js, SyncClock) is, over simulated
// links: each way takes a base latency plus a uniform random share of the jitter, the server's
// clock is the page's plus an offset drifting by some ppm, a ping every 3 s, some answers lost.
// The page's pattern: a burst of eight pings 0.1 s apart on connecting, then one every 3 s.
// Prints, per link, the offset's error half a minute in (what a page that just joined steers
// by), a minute and a half in, and six minutes in: after the last ping (p50, p95, max over 400 seeded runs) and three
// seconds later (just before the next one); the drift's error, and the error the clock
// reports of itself. Not a test: it prints numbers.
//
//   node bench/clock_estimate.mjs                      # the estimator in this checkout
//   node bench/clock_estimate.mjs /tmp/old/sync.js     # another one, for a comparison
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const path = process.argv[2] || new URL("../clients/js/src/sync.js", import.meta.url).pathname;
const { SyncClock } = await import(pathToFileURL(resolve(path)).href);

const LINKS = [
  // [label, base each way, jitter each way, drift, loss]
  ["0 ms +/- 1", 0.0005, 0.001, 0, 0],
  ["50 +/- 10 ms", 0.04, 0.02, 0, 0],
  ["50 +/- 10 ms, 200 ppm", 0.04, 0.02, 200e-6, 0],
  ["50 +/- 10 ms, -150 ppm", 0.04, 0.02, -150e-6, 0],
  ["150 +/- 50 ms", 0.1, 0.1, 0, 0],
  ["150 +/- 50 ms, 200 ppm", 0.1, 0.1, 200e-6, 0],
  ["150 +/- 50 ms, 2 % lost", 0.1, 0.1, 0, 0.02],
];
const TRIPS = 120;  // six minutes of pings
const RUNS = 400;

function run(base, jitter, drift, loss, seed) {
  let state = seed;
  const random = () => { state = (state * 16807) % 2147483647; return state / 2147483647; };
  const clock = new SyncClock();
  const offset = 5 + random();
  const truth = (t) => offset + drift * (t - 1000);
  const at = (t) => (clock.offsetAt ? clock.offsetAt(t) : clock.offset);
  const sends = [...Array.from({ length: 8 }, (_, i) => 1000 + 0.1 * i)];
  for (let i = 1; i <= TRIPS; i++) sends.push(1000 + 3 * i);
  let early = NaN;
  let minute = NaN;
  for (const now of sends) {
    if (now > 1030 && Number.isNaN(early)) early = Math.abs(at(now) - truth(now));
    if (now > 1090 && Number.isNaN(minute)) minute = Math.abs(at(now) - truth(now));
    // a lost packet either way is sent again a retransmission timeout later
    const rto = Math.max(0.2, 4 * base + 4 * jitter);
    const up = base + random() * jitter + (random() < loss ? rto : 0);
    const down = base + random() * jitter + (random() < loss ? rto : 0);
    clock.add(now, now + up + down, now + up + truth(now + up));
  }
  const last = sends[sends.length - 1];
  return {
    early,
    minute,
    now: Math.abs(at(last) - truth(last)),
    later: Math.abs(at(last + 3) - truth(last + 3)),
    drift: Math.abs((clock.skew || 0) - drift),
    reported: clock.error ?? NaN,
  };
}

const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};
const ms = (v) => (1000 * v).toFixed(2);

console.log(`estimator: ${process.argv[2] || "clients/js/src/sync.js"}; ${TRIPS} pings 3 s apart after a burst of 8, ${RUNS} runs per link`);
console.log("| link | at 30 s p50 / p95 | at 90 s p50 / p95 | at 6 min, after a ping p50 / p95 / max | 3 s later p50 / p95 | drift error p50 | reported error p50 |");
console.log("|---|---|---|---|---|---|---|");
for (const [label, base, jitter, drift, loss] of LINKS) {
  const results = Array.from({ length: RUNS }, (_, i) => run(base, jitter, drift, loss, i + 1));
  const field = (name) => results.map((r) => r[name]);
  console.log(
    `| ${label} | ${ms(pct(field("early"), 0.5))} / ${ms(pct(field("early"), 0.95))} ms ` +
      `| ${ms(pct(field("minute"), 0.5))} / ${ms(pct(field("minute"), 0.95))} ms ` +
      `| ${ms(pct(field("now"), 0.5))} / ${ms(pct(field("now"), 0.95))} / ${ms(Math.max(...field("now")))} ms ` +
      `| ${ms(pct(field("later"), 0.5))} / ${ms(pct(field("later"), 0.95))} ms ` +
      `| ${(1e6 * pct(field("drift"), 0.5)).toFixed(0)} ppm | ${ms(pct(field("reported"), 0.5))} ms |`,
  );
}
