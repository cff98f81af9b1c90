#!/usr/bin/env bash
# Fails when the first dashboard load (the main wasm plus its JS glue, gzipped)
# is over budget. Lazily loaded chunks are listed but not counted: the first
# load does not fetch them. A size check, never a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${WASM_BUDGET_BYTES:-256000}   # 250 KiB
PKG=${1:-target/site/pkg}

gz() { gzip -9 -c "$1" | wc -c; }
main_wasm=$(ls "$PKG"/leadline*.wasm 2>/dev/null | grep -v '\.\(br\|gz\)$' | head -n 1 || true)
main_js=$(ls "$PKG"/leadline*.js 2>/dev/null | grep -v '\.\(br\|gz\)$' | head -n 1 || true)
if [[ -z "$main_wasm" || -z "$main_js" ]]; then
  echo "wasm-budget: no leadline*.wasm / leadline*.js in $PKG; run 'make release' first" >&2
  exit 1
fi
wasm=$(gz "$main_wasm"); js=$(gz "$main_js"); total=$((wasm + js))
printf 'wasm-budget: %s %d B raw, %d B gzipped\n' "$(basename "$main_wasm")" "$(wc -c <"$main_wasm")" "$wasm"
printf 'wasm-budget: %s %d B raw, %d B gzipped\n' "$(basename "$main_js")" "$(wc -c <"$main_js")" "$js"
for chunk in "$PKG"/*.wasm; do
  [[ "$chunk" == "$main_wasm" ]] && continue
  printf 'wasm-budget: lazy chunk %s %d B gzipped (not in the first load)\n' "$(basename "$chunk")" "$(gz "$chunk")"
done
if (( total > BUDGET )); then
  printf 'wasm-budget: FAIL first load %d B gzipped > budget %d B\n' "$total" "$BUDGET" >&2
  exit 1
fi
printf 'wasm-budget: ok, first load %d B gzipped <= budget %d B\n' "$total" "$BUDGET"
