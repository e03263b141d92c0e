#!/usr/bin/env bash
# Two revisions of this project under ../shared/bench/compare.sh, alternating (before, after,
# before, after, ...), `runs` times each at 200 and at 1,000 viewers. Each run's ratios are
# against Node's socket.io measured in that same run; prints every run, then per revision and
# load the median and range of each ratio. Nothing else should run on the machine meanwhile.
# usage: bash bench/ab.sh BEFORE AFTER [runs]      (git revisions; about a minute per run)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
compare=$(cd "$root/../shared/bench" && pwd)/compare.sh
runs=${3:-3}
# Revisions whose bench/bench.env predates the limit on new guests per address (every load
# client is a new guest from one address) get it raised here.
export WATCHPARTY_GUEST_RATE_LIMIT=${WATCHPARTY_GUEST_RATE_LIMIT:-1000000/hour}
cache=${WATCHPARTY_BENCH_CACHE:-$HOME/.cache/watchparty-bench}
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/before" 2>/dev/null; git -C "$root" worktree remove --force "$work/after" 2>/dev/null; rm -rf "$work"' EXIT
git -C "$root" worktree add --detach --quiet "$work/before" "$1"
git -C "$root" worktree add --detach --quiet "$work/after" "$2"
results=$work/results.jsonl
for load in "--clients 200" "--clients 1000 --burst 100"; do
  for i in $(seq "$runs"); do
    for rev in before after; do
      # shellcheck disable=SC2086
      (cd "$work/$rev" && "$compare" $load >/dev/null)
      python3 - "$cache/reference.json" "$cache/watchparty.json" "$rev" "$load" "$i" >>"$results" <<'PY'
import json, sys
ref, wp = (json.load(open(p)) for p in sys.argv[1:3])
ratio = lambda k: round(wp[k] / ref[k], 3)
print(json.dumps({"rev": sys.argv[3], "load": sys.argv[4], "run": int(sys.argv[5]),
  "throughput": ratio("burst_deliveries_per_s"), "cpu": ratio("cpu_us_per_delivery_burst"),
  "p99": ratio("p99_ms"), "complete": f"{wp['complete']}/{wp['commands']}"}))
PY
      tail -1 "$results"
    done
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print("\nwatchparty / Node, per revision and load: median [min, max] over the runs")
print("(throughput: higher is better; CPU per delivery and paced p99: lower is better)")
for load in dict.fromkeys(r["load"] for r in rows):
    for rev in ("before", "after"):
        got = [r for r in rows if r["load"] == load and r["rev"] == rev]
        cells = []
        for key in ("throughput", "cpu", "p99"):
            values = [r[key] for r in got]
            cells.append(f"{key} {statistics.median(values):.2f} [{min(values):.2f}, {max(values):.2f}]")
        print(f"{load:28} {rev:6} " + "; ".join(cells))
PY
