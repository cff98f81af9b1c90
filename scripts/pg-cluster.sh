#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on a free loopback port.
#   scripts/pg-cluster.sh start   starts one and prints its URL (also in target/pg-cluster/url)
#   scripts/pg-cluster.sh stop    stops it and removes its files
# Durability is off (fsync, synchronous_commit): it holds test data only.
# As root, the server runs as the `postgres` user, since PostgreSQL refuses root.
set -euo pipefail
cd "$(dirname "$0")/.."

STATE=target/pg-cluster
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  if [ -f "$STATE/dir" ]; then
    dir=$(cat "$STATE/dir")
    as_server "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  start)
    stop
    mkdir -p "$STATE"
    dir=$(mktemp -d /tmp/leadline-pg.XXXXXX)
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    echo "$dir" > "$STATE/dir"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_server "$PGBIN/initdb" -D "$dir/data" -U leadline -A trust -E UTF8 --no-locale >/dev/null
    as_server "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    as_server "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U leadline leadline
    url="postgres://leadline@127.0.0.1:$port/leadline"
    echo "$url" > "$STATE/url"
    echo "$url"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
