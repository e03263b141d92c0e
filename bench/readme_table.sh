#!/usr/bin/env bash
# The README's fan-out table: compare.sh for one process, then bench/cluster.sh (two workers
# sharing the room through Redis), at 200 and at 1,000 viewers, back to back; each prints its
# own Node reference, measured in the same run as the row after it.
# usage: bash bench/readme_table.sh      (about two minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${WATCHPARTY_BENCH_CACHE:-$HOME/.cache/watchparty-bench}
echo "| run | clients | p50 / p99 ms (paced) | burst deliveries/s | server CPU per delivery | vs Node: throughput, CPU, p99 |"
echo "|---|---|---|---|---|---|"
for load in "--clients 200" "--clients 1000 --burst 100"; do
  for what in "one process" "two processes + Redis"; do
    # shellcheck disable=SC2086
    if [ "$what" = "one process" ]; then ../shared/bench/compare.sh $load >/dev/null; else bash bench/cluster.sh $load >/dev/null; fi
    python3 - "$cache/reference.json" "$cache/watchparty.json" "$what" <<'PY'
import json, sys
ref, wp = (json.load(open(p)) for p in sys.argv[1:3])
row = lambda name, r: f"| {name} | {r['clients']:,} | {r['p50_ms']} / {r['p99_ms']} | {r['burst_deliveries_per_s']:,} | {r['cpu_us_per_delivery_burst']} µs |"
print(row("Node socket.io", ref) + " |")
ratio = lambda k: wp[k] / ref[k]
print(row(f"watchparty, {sys.argv[3]}", wp) + f" {ratio('burst_deliveries_per_s'):.2f}x, {ratio('cpu_us_per_delivery_burst'):.2f}x, {ratio('p99_ms'):.2f}x |")
PY
  done
done
