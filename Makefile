# Two commands for a fresh Debian machine with Rust and Node:
#   make run   install what is missing, build, serve on http://127.0.0.1:3000
#   make test  install what the tests need, run cargo tests and Playwright
# Both are idempotent: installed tools are detected and skipped.

SHELL := /bin/bash
CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p;}' Cargo.lock)
APT_UPDATED := target/.apt-updated

.PHONY: run test setup setup-test build lint apt bench load
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

run: setup build
	mkdir -p data
	LEPTOS_SITE_ROOT=target/site ./target/debug/leadline serve

test: setup setup-test build
	cargo test --features ssr
	cd end2end && npx playwright test

build:
	cargo leptos build

# Benchmarks (not part of `make test`): criterion, then wrk against the release server.
bench:
	cargo bench --features ssr --bench keys

load:
	scripts/load.sh

lint:
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings

setup:
	@rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)" || cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	@wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)" || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)
	@command -v mold >/dev/null || $(MAKE) --no-print-directory apt PKGS="mold"

setup-test:
	@command -v chromium >/dev/null || $(MAKE) --no-print-directory apt PKGS="chromium"
	@command -v curl >/dev/null || $(MAKE) --no-print-directory apt PKGS="curl"
	@test -d end2end/node_modules/@playwright/test || (cd end2end && npm ci --no-audit --no-fund)

# apt-get update once per checkout, then install.
apt:
	@mkdir -p target
	@test -f $(APT_UPDATED) || ($(SUDO) apt-get update && touch $(APT_UPDATED))
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $(PKGS)
