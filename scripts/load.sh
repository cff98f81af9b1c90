#!/usr/bin/env bash
# The price of authentication, measured with wrk against the release server
# on SQLite: GET /api/v1/leads/{id} with a valid key, against the same read on
# an unauthenticated route (compiled only with the bench-routes feature, mounted only with LEADLINE_BENCH_ROUTES=true).
# The two alternate for [rounds] rounds and the medians are compared, since
# wrk and the server share this machine's cores and single runs are noisy.
# Usage: scripts/load.sh [seconds] [connections] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
connections="${2:-16}"
rounds="${3:-3}"
port=3100
base="http://127.0.0.1:$port"

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] || SUDO=sudo; ${SUDO:-} apt-get install -y wrk; }
cargo build --release --features ssr,bench-routes --bin leadline

work="$(mktemp -d)"
export DATABASE_URL="sqlite://$work/load.db" LEADLINE_DEMO_PASSWORD="load-test-password" \
  LEADLINE_BENCH_ROUTES=true LEADLINE_API_RATE_LIMIT=1000000000 LEADLINE_LOG=warn \
  LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT=target/site
./target/release/leadline serve >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -fs "$base/api/v1/openapi.json" >/dev/null && break; sleep 0.2; done

key="$(./target/release/leadline key create --org acme --email dev@acme.test --name "load test" --permissions read 2>/dev/null)"
# A fresh database: the demo organisation is id 1 and its first lead id 1.
authed="$base/api/v1/leads/1"
plain="$base/api/v1/_bench/orgs/1/leads/1"
curl -fs -H "Authorization: Bearer $key" "$authed" >/dev/null
curl -fs "$plain" >/dev/null

run() { # label url [header]
  local out
  if [ $# -eq 3 ]; then out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency -H "$3" "$2")"
  else out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$2")"; fi
  local rps p50 p99 errors
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {print $NF} /Socket errors/ {print}' <<<"$out")"
  printf '%-16s %10s req/s   p50 %-9s p99 %-9s errors: %s\n' "$1" "$rps" "$p50" "$p99" "${errors:-0}"
  echo "$rps" >>"$work/$1.rps"
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "wrk: ${duration}s x $rounds rounds each, $connections connections, 2 threads, on $(nproc) cores (client and server share them)"
for _ in $(seq "$rounds"); do
  run unauthenticated "$plain"
  run authenticated "$authed" "Authorization: Bearer $key"
done
a="$(median "$work/authenticated.rps")"
u="$(median "$work/unauthenticated.rps")"
awk -v a="$a" -v u="$u" 'BEGIN { printf "median req/s: authenticated %.0f, unauthenticated %.0f, ratio %.3f (target >= 0.9)\n", a, u, a / u }'
