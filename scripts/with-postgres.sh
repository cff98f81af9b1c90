#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster (scripts/pg-cluster.sh),
# removed afterwards whatever the command's outcome:
#   LEADLINE_TEST_POSTGRES  the server on which each cargo test creates its own database;
#   E2E_DATABASE_URL        the database the Playwright server and CLI use.
# Usage: scripts/with-postgres.sh cargo test --features ssr
set -euo pipefail
cd "$(dirname "$0")/.."
url=$(scripts/pg-cluster.sh start)
trap 'scripts/pg-cluster.sh stop' EXIT
LEADLINE_TEST_POSTGRES="$url" E2E_DATABASE_URL="$url" "$@"
