#!/usr/bin/env bash
# compare.sh with watchparty as WEB_CONCURRENCY workers (default 2) on one port, sharing the
# room through a redis-server of their own: the several-process figures of docs/scaling.md.
# usage: bench/cluster.sh [compare.sh options, e.g. --clients 200]   (WORKERS=2 by default)
# Like the server, Redis runs on CPU 0 (compare.sh puts the load generator on CPU 1). Its CPU
# time is not in compare.sh's server CPU (Redis is not the server's child): printed apart.
set -euo pipefail
cd "$(dirname "$0")/.."
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
folder=$(mktemp -d)
# exec: the background job *is* redis-server, so that $! is its pid (to stop it and read its CPU)
pin() { if command -v taskset >/dev/null; then exec taskset -c 0 "$@"; else exec "$@"; fi; }
pin redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$folder" \
  >"$folder/redis.log" 2>&1 &
redis=$!
trap 'kill $redis 2>/dev/null; rm -rf "$folder"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
export WATCHPARTY_CMD="env WEB_CONCURRENCY=${WORKERS:-2} REDIS_URL=redis://127.0.0.1:$port/0 python -m watchparty"
../shared/bench/compare.sh "$@"
ticks=$(awk '{print $14 + $15}' "/proc/$redis/stat")
echo "redis-server CPU over the whole run (both servers' turns): $(python3 -c "print(round($ticks / $(getconf CLK_TCK), 2))") s"
