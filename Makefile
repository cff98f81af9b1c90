# Commands for a fresh Debian machine with Rust and Node:
#   make run   install what is missing, build the optimized site, serve it on http://127.0.0.1:3000
#   make dev   the debug build, rebuilt and restarted on every change
#   make test  install what the tests need, run cargo tests, the API contract checks, then
#              Playwright against the optimized build, then two instances on
#              PostgreSQL behind nginx
# All are idempotent: installed tools are detected and skipped.

SHELL := /bin/bash
# binaryen's wasm-opt from npm (tools/binaryen) and tools installed by
# `cargo install` come first, so that they win over older Debian ones (see
# docs/optimized-build.md).
export PATH := $(CURDIR)/tools/binaryen/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
CARGO_LEPTOS_VERSION := 0.3.10
# binaryen 132, compiled to wasm and run by node: installs in seconds, where
# building binaryen from source (the wasm-opt crate) took 12 minutes.
WASM_OPT_BINARYEN := 132
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p;}' Cargo.lock)
APT_UPDATED := target/.apt-updated

.PHONY: run dev test setup setup-test build release release-with-test-clock budget contract lint apt bench load auth-cost scale
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

run: setup release
	mkdir -p data
	LEADLINE_DEMO=true LEPTOS_SITE_ROOT=target/site ./target/release/leadline serve

dev: setup
	mkdir -p data
	LEADLINE_DEMO=true cargo leptos watch

# The stress test of revocation (ignored by a plain `cargo test`) runs on its
# own, since it keeps every core busy.
STRESS := cargo test --features ssr --test it -- --ignored stress_

# The browser tests move the server's clock: their build has the test clock.
test: setup setup-test release-with-test-clock
	cargo test --features ssr
	$(STRESS)
	scripts/wasm-budget.sh
	scripts/contract.sh target/release/leadline
	cd end2end && npx playwright test
	# The same cargo tests on PostgreSQL; then the flows that span two
	# requests through two instances on it, behind nginx (round robin).
	scripts/with-postgres.sh sh -c 'cargo test --features ssr && $(STRESS)'
	scripts/with-postgres.sh sh -c 'cd end2end && npx playwright test --config balanced.config.ts'

# The debug build (server and wasm).
build: setup
	cargo leptos build

# The optimized build that users run: release server, size-optimized wasm,
# content-hashed file names, gzip and brotli copies of every static file.
release: setup
	cargo leptos build --release --precompress --split

# The same, with LEADLINE_TEST_CLOCK_FILE compiled in (`make test` only).
release-with-test-clock: setup
	cargo leptos build --release --precompress --split --bin-features ssr,test-clock

budget:
	scripts/wasm-budget.sh

# The API contract alone: OpenAPI validator, schemathesis, a generated client.
contract: setup-test release-with-test-clock
	scripts/contract.sh target/release/leadline

# Benchmarks (not part of `make test`): criterion, then wrk against the release server.
bench:
	cargo bench --features ssr --bench keys

load:
	scripts/load.sh

# What authentication costs in instructions (callgrind): steady where req/s
# on shared cores is not.
auth-cost:
	scripts/auth-cost.sh

# Lists at 1k and 1M leads on SQLite, then on a throwaway PostgreSQL
# (not part of `make test`; about 15 minutes). Figures: docs/benchmarks.md.
scale:
	cargo bench --features ssr --bench scale
	scripts/with-postgres.sh sh -c 'LEADLINE_SCALE_POSTGRES="$$E2E_DATABASE_URL" cargo bench --features ssr --bench scale' 

lint:
	python3 scripts/layers.py --self-test
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

setup:
	@rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" || cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@wasm-opt --version 2>/dev/null | grep -q "version $(WASM_OPT_BINARYEN)" || npm ci --prefix tools/binaryen --no-audit --no-fund
	@command -v mold >/dev/null || $(MAKE) --no-print-directory apt PKGS="mold"

setup-test:
	@command -v chromium >/dev/null || $(MAKE) --no-print-directory apt PKGS="chromium"
	@command -v curl >/dev/null || $(MAKE) --no-print-directory apt PKGS="curl"
	@python3 -c "import ensurepip, venv" 2>/dev/null || $(MAKE) --no-print-directory apt PKGS="python3 python3-venv"
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || $(MAKE) --no-print-directory apt PKGS="postgresql"
	@command -v nginx >/dev/null || $(MAKE) --no-print-directory apt PKGS="nginx-light"
	@test -d end2end/node_modules/@playwright/test -a -d end2end/node_modules/@axe-core/playwright || (cd end2end && npm ci --no-audit --no-fund)
	@cmp -s scripts/test-tools/requirements.txt .tools/test/.requirements 2>/dev/null || \
	  (python3 -m venv .tools/test && .tools/test/bin/pip install --quiet --disable-pip-version-check -r scripts/test-tools/requirements.txt \
	   && cp scripts/test-tools/requirements.txt .tools/test/.requirements)

# apt-get update once per checkout, then install.
apt:
	@mkdir -p target
	@test -f $(APT_UPDATED) || ($(SUDO) apt-get update && touch $(APT_UPDATED))
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(PKGS)
