#!/usr/bin/env bash
# Load figures with wrk against the release server, on SQLite and on PostgreSQL:
#   1. the price of authentication: GET /api/v1/leads/{id} with a valid key
#      against the same read on an unauthenticated route (compiled only with
#      the bench-routes feature, mounted only with LEADLINE_BENCH_ROUTES=true),
#      on each backend;
#   2. throughput of that authenticated read with 1 and with 2 instances on one
#      PostgreSQL (the two instances share the load's connections).
# Rounds alternate and medians are compared, since wrk and the servers share
# this machine's cores and single runs are noisy. PostgreSQL is a throwaway
# cluster (scripts/pg-cluster.sh).
# Usage: scripts/load.sh [seconds] [connections] [rounds]
# LOAD_BACKENDS=sqlite (or postgres) measures one backend only.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
connections="${2:-16}"
rounds="${3:-5}"

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] || SUDO=sudo; ${SUDO:-} apt-get install -y wrk; }
cargo build --release --features ssr,bench-routes --bin leadline

work="$(mktemp -d)"
servers=()
stop_servers() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${servers[@]}"; do wait "$pid" 2>/dev/null || true; done
  servers=()
}
trap 'stop_servers; scripts/pg-cluster.sh stop; rm -rf "$work"' EXIT
export LEADLINE_DEMO=true LEADLINE_DEMO_PASSWORD="load-test-password" LEADLINE_BENCH_ROUTES=true \
  LEADLINE_API_RATE_LIMIT=1000000000 LEADLINE_LOG=warn LEPTOS_SITE_ROOT=target/site

start() { # port database-url
  DATABASE_URL="$2" LEPTOS_SITE_ADDR="127.0.0.1:$1" ./target/release/leadline serve >"$work/server-$1.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$1/api/v1/openapi.json" >/dev/null && return; sleep 0.2; done
  echo "the server on port $1 did not start" >&2; exit 1
}

wrk_rps() { # output of wrk
  awk '/Requests\/sec/ {print $2}' <<<"$1"
}

run() { # label url [header]
  local out rps p50 p99 errors
  if [ $# -eq 3 ]; then out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency -H "$3" "$2")"
  else out="$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$2")"; fi
  rps="$(wrk_rps "$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx/ {print $NF} /Socket errors/ {print}' <<<"$out")"
  printf '%-30s %10s req/s   p50 %-9s p99 %-9s errors: %s\n' "$1" "$rps" "$p50" "$p99" "${errors:-0}"
  echo "$rps" >>"$work/$1.rps"
}

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The price of authentication on one backend; leaves its server running and
# the key in $key.
price() { # backend database-url
  start 3100 "$2"
  key="$(DATABASE_URL="$2" ./target/release/leadline key create --org acme --email dev@acme.test \
    --name "load test" --permissions read 2>/dev/null)"
  # A fresh database: the demo organisation is id 1 and its first lead id 1.
  authed="http://127.0.0.1:3100/api/v1/leads/1"
  plain="http://127.0.0.1:3100/api/v1/_bench/orgs/1/leads/1"
  curl -fs -H "Authorization: Bearer $key" "$authed" >/dev/null
  curl -fs "$plain" >/dev/null
  for _ in $(seq "$rounds"); do
    run "$1 unauthenticated" "$plain"
    run "$1 authenticated" "$authed" "Authorization: Bearer $key"
  done
  local a u
  a="$(median "$work/$1 authenticated.rps")"
  u="$(median "$work/$1 unauthenticated.rps")"
  awk -v b="$1" -v a="$a" -v u="$u" \
    'BEGIN { printf "%s median req/s: authenticated %.0f, unauthenticated %.0f, ratio %.3f (target >= 0.95)\n", b, a, u, a / u }' \
    | tee -a "$work/summary"
}

echo "wrk: ${duration}s x $rounds rounds each, $connections connections, 2 threads, on $(nproc) cores (client, servers and database share them)"
backends="${LOAD_BACKENDS:-sqlite postgres}"
if [[ " $backends " == *" sqlite "* ]]; then
  price sqlite "sqlite://$work/load.db"
  stop_servers
fi
if [[ " $backends " != *" postgres "* ]]; then
  echo "== summary"; cat "$work/summary"; exit 0
fi

pg="$(scripts/pg-cluster.sh start)"
price postgres "$pg"
# A second instance on the same database; the load is split between the two.
start 3101 "$pg"
half=$((connections / 2))
for _ in $(seq "$rounds"); do
  wrk -t1 -c"$half" -d"${duration}s" -H "Authorization: Bearer $key" http://127.0.0.1:3100/api/v1/leads/1 >"$work/a.out" &
  first=$!
  wrk -t1 -c"$half" -d"${duration}s" -H "Authorization: Bearer $key" http://127.0.0.1:3101/api/v1/leads/1 >"$work/b.out"
  wait "$first"
  total="$(awk -v a="$(wrk_rps "$(cat "$work/a.out")")" -v b="$(wrk_rps "$(cat "$work/b.out")")" 'BEGIN { printf "%.2f", a + b }')"
  printf '%-30s %10s req/s\n' "postgres 2 instances" "$total"
  echo "$total" >>"$work/two.rps"
done
awk -v one="$(median "$work/postgres authenticated.rps")" -v two="$(median "$work/two.rps")" \
  'BEGIN { printf "postgres authenticated median req/s: 1 instance %.0f, 2 instances %.0f\n", one, two }' \
  | tee -a "$work/summary"
echo "== summary"
cat "$work/summary"
