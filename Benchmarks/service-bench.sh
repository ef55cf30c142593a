#!/usr/bin/env bash
# Usage: Benchmarks/service-bench.sh DATA [SECONDS]
# The service's benchmarks (docs/performance.md, "The service"): `clientele serve`
# over DATA/clientele (a store made as in the sections above) and the bare
# Hummingbird route of ../shared/bench/http (`clientele-bench http-floor`), loaded
# by wrk in the same sitting, alternating. Needs wrk (apt-get install wrk) and the
# release binaries: swift build -c release --product clientele && swift build -c release --product clientele-bench
set -euo pipefail
data=$1
seconds=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
bin=${CLIENTELE_BIN:-$here/../.build/release}
floor_lua=$here/../../shared/bench/http/one-decision.lua
config=$data/clientele
key=$("$bin/clientele" key create --config "$config" --as U0001 --service --name "bench-$$" 2> /dev/null)
export CLIENTELE_KEY=$key
"$bin/clientele" serve --config "$config" --bind 127.0.0.1:18080 > /tmp/service-bench.out 2> /tmp/service-bench.err &
service=$!
"$bin/clientele-bench" http-floor --port 18081 > /dev/null 2>&1 &
floor=$!
trap 'kill $service $floor 2> /dev/null; "$bin/clientele" key revoke "bench-$$" --config "$config" --as U0001 > /dev/null 2>&1 || true' EXIT
for _ in $(seq 1 600); do grep -q listening /tmp/service-bench.out && break; sleep 0.1; done
cat /tmp/service-bench.out
echo "resident after start: $(ps -o rss= -p $service) kB"
run() { # title connections script url
  echo "== $1"
  wrk -t1 -c"$2" -d"${seconds}s" --latency -s "$3" "$4" | grep -E "Requests/sec|50%|99%|Non-2xx"
}
for round in $(seq 1 "${ROUNDS:-2}"); do
  echo "---- round $round"
  run "floor: bare Hummingbird route, one decision, c32" 32 "$floor_lua" http://127.0.0.1:18081/v1/decisions
  CLIENTELE_USER=U0001 run "service: one decision, c32" 32 "$floor_lua" http://127.0.0.1:18080/v1/decisions
  run "floor: one decision, c8" 8 "$floor_lua" http://127.0.0.1:18081/v1/decisions
  CLIENTELE_USER=U0001 run "service: one decision, c8" 8 "$floor_lua" http://127.0.0.1:18080/v1/decisions
  run "service: 100 decisions per request, c32" 32 "$here/http/hundred-decisions.lua" http://127.0.0.1:18080/v1/decisions
  for user in U0001 U0002 U0010; do
    CLIENTELE_USER=$user run "service: visible first page, $user, c8" 8 "$here/http/visible.lua" \
      "http://127.0.0.1:18080/v1/visible?limit=100"
  done
done
# PATCH: round robin over 2,000 stored customers (U0001, an admin, edits any).
"$bin/clientele" visible U0001 --config "$config" > /tmp/service-bench.ids
ids=$(head -2000 /tmp/service-bench.ids | paste -sd, -)
CLIENTELE_USER=U0001 CLIENTELE_IDS=$ids run "service: PATCH one field, c32, durable" 32 "$here/http/patch.lua" \
  http://127.0.0.1:18080
curl -s http://127.0.0.1:18080/metrics | grep -E "^clientele_(commits|writes)_total"
echo "resident after the runs: $(ps -o rss= -p $service) kB"
echo "== the command line, a process per request"
for k in 1 2 3; do
  /usr/bin/time -f "can: %e s, %M kB" "$bin/clientele" can --config "$config" U0001 view C0000001 > /dev/null
  /usr/bin/time -f "visible --count: %e s" "$bin/clientele" visible U0002 --count --config "$config" > /dev/null
done
