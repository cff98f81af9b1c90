#!/usr/bin/env bash
# The public API's contract, checked with tools we did not write, against a
# freshly started server on a fresh database:
#   1. openapi-spec-validator: the served document is valid OpenAPI;
#   2. schemathesis: every check, all phases (stateful included), fixed seed;
#   3. openapi-python-client: a generated client does a full round trip;
#   4. prometheus_client's parser reads the metrics the run left.
# Usage: scripts/contract.sh [path to the leadline binary]
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-target/release/leadline}
PORT=${CONTRACT_PORT:-3107}
BASE="http://127.0.0.1:$PORT"
VENV=.tools/contract
WORK=target/contract
# Examples per operation and phase: enough to run in about two minutes on 2 cores.
EXAMPLES=${CONTRACT_EXAMPLES:-1000}
SEED=20261128

# Tools, pinned; reinstalled when the pins change.
STAMP="$VENV/.requirements"
if ! cmp -s scripts/contract/requirements.txt "$STAMP" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/contract/requirements.txt
  cp scripts/contract/requirements.txt "$STAMP"
fi

rm -rf "$WORK" && mkdir -p "$WORK"
export DATABASE_URL="sqlite://$WORK/leadline.db"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT"
export LEPTOS_SITE_ROOT=target/site
export LEADLINE_LOG=warn
export LEADLINE_PUBLIC_URL="$BASE"
# The generated requests exceed the default limits within seconds; the
# limits have their own HTTP tests.
export LEADLINE_API_RATE_LIMIT=1000000
export LEADLINE_API_AUTH_FAILURE_LIMIT=1000000
export LEADLINE_LEAK_REPORT_LIMIT=1000000
METRICS_URL="http://127.0.0.1:$((PORT + 1))/metrics"
export LEADLINE_METRICS_ADDR="127.0.0.1:$((PORT + 1))"

# One organisation with the Developer API, one developer, two keys.
"$BIN" migrate
printf 'contract-password-1' | "$BIN" user create --email contract@example.com --password-stdin >/dev/null
ORG=$("$BIN" org create --name "Contract")
"$BIN" org add-member --org "$ORG" --email contract@example.com --developer >/dev/null
"$BIN" org set-flag --org "$ORG" --flag developer-api --on >/dev/null
FULL_KEY=$("$BIN" key create --org "$ORG" --email contract@example.com --name "contract full" --permissions read,create,update,delete)
READ_KEY=$("$BIN" key create --org "$ORG" --email contract@example.com --name "contract read" --permissions read)

"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "$BASE/api/v1/openapi.json" -o "$WORK/openapi.json" && break
  sleep 0.1
done

echo "== openapi-spec-validator"
"$VENV/bin/openapi-spec-validator" "$WORK/openapi.json"

echo "== schemathesis (seed $SEED, $EXAMPLES examples per operation)"
"$VENV/bin/schemathesis" run "$BASE/api/v1/openapi.json" \
  --checks all \
  --phases examples,coverage,fuzzing,stateful \
  --header "Authorization: Bearer $FULL_KEY" \
  --seed "$SEED" \
  --max-examples "$EXAMPLES" \
  --workers 1 \
  --report junit --report-dir "$WORK/schemathesis"

echo "== generated client (openapi-python-client)"
"$VENV/bin/openapi-python-client" generate --path "$WORK/openapi.json" \
  --output-path "$WORK/leadline_client" --meta none --config scripts/contract/client-config.yaml >/dev/null
PYTHONPATH="$WORK" BASE="$BASE" FULL_KEY="$FULL_KEY" READ_KEY="$READ_KEY" \
  "$VENV/bin/python" scripts/contract/client_round_trip.py

echo "== metrics (prometheus_client's parser)"
METRICS_URL="$METRICS_URL" BASE="$BASE" "$VENV/bin/python" scripts/contract/metrics_check.py

if grep -q " ERROR \| panicked" "$WORK/server.log"; then
  echo "The server logged errors:" && grep " ERROR \| panicked" "$WORK/server.log" && exit 1
fi
echo "Contract checks passed."
