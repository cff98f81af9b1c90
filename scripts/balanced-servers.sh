#!/usr/bin/env bash
# Two release instances on one PostgreSQL behind nginx, as an operator runs
# them: round robin, no sticky sessions, so a form post and the page its
# redirect shows always reach different instances. Serves 127.0.0.1:3000
# until stopped (the balanced Playwright suite starts it as its webServer).
# Needs E2E_DATABASE_URL (scripts/with-postgres.sh) and `make release`.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${E2E_DATABASE_URL:?run through scripts/with-postgres.sh}"
dir=$PWD/target/balanced
rm -rf "$dir" && mkdir -p "$dir/tmp"

export DATABASE_URL=$E2E_DATABASE_URL
export LEADLINE_DEMO=true LEADLINE_DEMO_PASSWORD=demo-password-e2e LEADLINE_DEMO_TOTP_SECRET=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP LEPTOS_SITE_ROOT=target/site LEADLINE_LOG=warn
export LEADLINE_TRUSTED_PROXIES=127.0.0.1/32
# The rig is plain http (nginx on loopback), which a TLS deployment is not.
export LEADLINE_SECURE_COOKIES=false

pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

wait_for() {
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://$1/sign-in" && return 0
    sleep 0.2
  done
  echo "no answer from $1" >&2
  exit 1
}

# One after the other: the first migrates and seeds the demo.
LEPTOS_SITE_ADDR=127.0.0.1:3101 target/release/leadline serve &
pids+=($!)
wait_for 127.0.0.1:3101
LEPTOS_SITE_ADDR=127.0.0.1:3102 target/release/leadline serve &
pids+=($!)
wait_for 127.0.0.1:3102

cat > "$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 512; }
http {
    log_format upstream '\$request_method \$uri \$status \$upstream_addr';
    access_log $dir/access.log upstream;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    upstream leadline {
        server 127.0.0.1:3101;
        server 127.0.0.1:3102;
    }
    server {
        listen 127.0.0.1:3000;
        location / {
            proxy_pass http://leadline;
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            # A post is never sent to the other instance after a failure.
            proxy_next_upstream off;
        }
    }
}
CONF
nginx -c "$dir/nginx.conf" -p "$dir" &
pids+=($!)
wait -n
