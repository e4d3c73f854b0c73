#!/usr/bin/env bash
# Proof under load (issue #13), on this machine's loopback only; not part of scripts/test.sh.
# Serves a synthetic county from a release build and runs four wrk clients at once for
# DURATION seconds with CONNECTIONS connections in all: map tiles (60%), clicks by
# signed-in staff (20%, each audited), searches (10%) and planners' grid edits (10%).
# Prints per endpoint the requests per second, p50/p99 latency, socket errors and answers
# by status (409 is an edit that lost a race, as it must be), the server's memory (RSS)
# after a warm-up and at the end, and whether SIGTERM stopped it cleanly.
#
#   scripts/load.sh                         # 10 minutes at 500 connections, 20,000 households
#   DURATION=60 CONNECTIONS=200 scripts/load.sh
#   KEEP=1 scripts/load.sh                  # keep the work directory (server log, wrk output)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
duration="${DURATION:-600}"
connections="${CONNECTIONS:-500}"
households="${HOUSEHOLDS:-20000}"
warmup="${WARMUP:-120}"

if ! command -v wrk >/dev/null; then
  echo "==> installing wrk"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -qq --no-install-recommends wrk >/dev/null
fi
bash scripts/setup.sh >/dev/null
cargo build --release -p gridmap --locked
bin="${CARGO_TARGET_DIR:-$root/target}/release/gridmap"

work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then
    echo "  kept: $work (serve.err is the server's log)"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
db="$work/load.db"
echo "==> a county of $households households"
"$bin" -q --db "$db" synth --households "$households" --seed 5 >/dev/null
"$bin" -q --db "$db" partition --all >/dev/null
"$bin" -q --db "$db" user add load --role admin --scope all >/dev/null
token="$("$bin" -q --db "$db" user token load --label load | grep '^gm_')"
"$bin" -q --db "$db" export roster -o "$work/roster.csv" >/dev/null
tail -n +2 "$work/roster.csv" | cut -d, -f1 | tr -d '\r\357\273\277' >"$work/grids.txt"

# Each connection is a file descriptor: room for all of them and the store's.
ulimit -n "$((connections * 2 + 1024))"
"$bin" --db "$db" serve --bind 127.0.0.1:0 --max-connections "$((connections + 64))" \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 120); do
  grep -q "listening on" "$work/serve.out" 2>/dev/null && break
  sleep 1
done
base="$(grep -o 'http://[0-9.:]*' "$work/serve.out" | head -1)"
[ -n "$base" ] || { echo "the server did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }
bounds="$(curl -s "$base/tiles/grids.json" | python3 -c 'import json,sys; print(*json.load(sys.stdin)["bounds"])')"
rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
threads() { awk '/Threads/ {print $2}' "/proc/$server/status"; }
# The tile cache's bytes (bounded by --cache-mb): memory it fills is not a leak.
cache_kb() { curl -s -m 5 "$base/metrics" | awk '/^gridmap_tile_cache_bytes / {printf "%d\n", $2 / 1024}'; }

# Four wrk clients at once for $1 seconds, results in $work/<script>$2.txt.
share() { echo $(( (connections * $1 + 99) / 100 )); }
mix() {
  local seconds="$1" suffix="$2" clients=()
  run() {
    wrk -t1 -c"$2" -d"${seconds}s" --timeout 10s -s "scripts/load/$1.lua" "$base" \
      -- $bounds "$token" "$work/grids.txt" >"$work/$1$suffix.txt" 2>&1
  }
  run tiles "$(share 60)" & clients+=($!)
  run lookups "$(share 20)" & clients+=($!)
  run search "$(share 10)" & clients+=($!)
  run edits "$(share 10)" & clients+=($!)
  wait "${clients[@]}"
}

# The same mix until the caches are full, so the memory measured after it is the
# server's working size and growth after it would be a leak.
echo "==> warm-up (${warmup} s of the same mix)"
mix "$warmup" .warmup
rss_start="$(rss)"
cache_start="$(cache_kb)"
(while kill -0 "$server" 2>/dev/null; do rss >>"$work/rss.txt"; threads >>"$work/threads.txt"; sleep 5; done) &
sampler=$!

echo "==> ${duration} s at ${connections} connections"
mix "$duration" ""
rss_end="$(rss)"
cache_end="$(cache_kb)"
kill "$sampler" 2>/dev/null || true
rss_max="$(sort -n "$work/rss.txt" | tail -1)"
threads_max="$(sort -n "$work/threads.txt" | tail -1)"

grep -h '^RESULT' "$work"/{tiles,lookups,search,edits}.txt | sed 's/^RESULT /  /'
python3 - "$rss_start" "$rss_end" "$rss_max" "${cache_start:-0}" "${cache_end:-0}" <<'PY'
import sys
start, end, peak, cache_start, cache_end = (int(x) for x in sys.argv[1:])
print(f"  rss_kb start={start} end={end} peak={peak} growth={100 * (end - start) / start:.1f}%")
print(f"  tile_cache_kb start={cache_start} end={cache_end}; rss growth besides the cache's:"
      f" {100 * ((end - start) - (cache_end - cache_start)) / start:.1f}%")
PY
echo "  threads at most: $threads_max (async workers, blocking pool, store connections)"
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
echo "  SIGTERM: exit $status (0 = drained and stopped cleanly)"
errors="$(grep -ciE 'error|panicked' "$work/serve.err" || true)"
echo "  server log lines with error/panic: $errors"
# Which store steps requests waited on for over a second (see service::access::SLOW_STEP).
grep -o 'slow store step: [a-z ]*' "$work/serve.err" | sed 's/ ms$//' | sort | uniq -c | sed 's/^/  /' || true
