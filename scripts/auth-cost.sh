#!/usr/bin/env bash
# The price of authentication in CPU instructions, which (unlike req/s on
# two shared cores, see scripts/load.sh) is the same from run to run: the
# release server runs under valgrind's callgrind on SQLite, and the user-space
# instructions of a fixed span of GET /api/v1/leads/{id} with a key are
# compared with those of the same read on the unauthenticated bench route.
# Kernel time (sockets, scheduling) is not counted, so the ratio printed is
# lower than the req/s ratio; it moves when the code does, not with the
# machine's mood.
#
# The request log writes about a tenth of its rows, as under the load
# script's overload (2,000 rows/s of about 18,000 requests/s).
# Usage: scripts/auth-cost.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"

need() { command -v "$1" >/dev/null || { [ "$(id -u)" = 0 ] || SUDO=sudo; ${SUDO:-} apt-get install -y "$2"; }; }
need wrk wrk
need callgrind_control valgrind
cargo build --release --features ssr,bench-routes --bin leadline

work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
export LEADLINE_DEMO=true LEADLINE_DEMO_PASSWORD="load-test-password" LEADLINE_BENCH_ROUTES=true \
  LEADLINE_API_RATE_LIMIT=1000000000 LEADLINE_LOG=warn LEPTOS_SITE_ROOT=target/site \
  LEADLINE_REQUEST_LOG_ROWS_PER_SEC=50 DATABASE_URL="sqlite://$work/cost.db"
port=3190
LEPTOS_SITE_ADDR="127.0.0.1:$port" valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" \
  ./target/release/leadline serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/api/v1/openapi.json" >/dev/null && break; sleep 0.5; done
key="$(./target/release/leadline key create --org acme --email dev@acme.test --name "cost" --permissions read 2>/dev/null)"
authed="http://127.0.0.1:$port/api/v1/leads/1"
plain="http://127.0.0.1:$port/api/v1/_bench/orgs/1/leads/1"

# Warm both routes (caches, prepared statements), then measure each span.
wrk -t1 -c4 -d4s "$plain" >/dev/null
wrk -t1 -c4 -d4s -H "Authorization: Bearer $key" "$authed" >/dev/null
measure() { # label url [header]
  callgrind_control -z "$server" >/dev/null
  local out
  if [ $# -eq 3 ]; then out="$(wrk -t1 -c4 -d"${duration}s" -H "$3" "$2")"
  else out="$(wrk -t1 -c4 -d"${duration}s" "$2")"; fi
  callgrind_control -d "$1" "$server" >/dev/null
  awk '/requests in/ {print $1}' <<<"$out" >"$work/$1.requests"
}
measure unauthenticated "$plain"
measure authenticated "$authed" "Authorization: Bearer $key"
per_request() { # label: instructions per request
  local file
  file="$(grep -l "^desc: Trigger: dump $1" "$work"/cg.*)"
  awk -v n="$(cat "$work/$1.requests")" '/^summary:/ { printf "%.0f", $2 / n }' "$file"
}
a="$(per_request authenticated)"
u="$(per_request unauthenticated)"
awk -v a="$a" -v u="$u" 'BEGIN { printf "instructions per request: authenticated %d, unauthenticated %d, authentication %d (ratio %.3f)\n", a, u, a - u, u / a }'
