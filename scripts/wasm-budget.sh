#!/usr/bin/env bash
# The size of a first visit: the JS and wasm a browser fetches before a page
# is interactive, gzipped (-9). With `--split`, that is the main wasm, its JS
# glue, the split loader and manifest, plus the lazy chunks of the page's
# route. Checked for every route; fails above the ceiling. A size check,
# never a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=${PKG:-target/site/pkg}
# The goal is 250 KB (256000 B), not met yet (docs/optimized-build.md). The
# ceiling catches growth nobody decided on: it sits just above the largest
# first load measured at the last deliberate change (2026-11-28: 551,446 B,
# /developer, after the key lifecycle and key usage). Lower it as the bundle shrinks;
# raising it is a decision to record in docs/optimized-build.md.
TARGET=256000
CEILING=${WASM_CEILING_BYTES:-555000}

gz() { gzip -9 -c "$1" | wc -c; }
pick() { ls "$PKG"/$1 2>/dev/null | grep -v '\.\(br\|gz\)$' | head -n 1 || true; }
main_wasm=$(pick 'leadline.*.wasm')
main_js=$(pick 'leadline.*.js')
if [[ -z "$main_wasm" || -z "$main_js" ]]; then
  echo "wasm-budget: no leadline.*.wasm / leadline.*.js in $PKG; run 'make release' first" >&2
  exit 1
fi
base=$(( $(gz "$main_wasm") + $(gz "$main_js") ))
split_js=$(pick '__wasm_split.*.js'); manifest=$(pick '__wasm_split_manifest.*.json')
[[ -n "$split_js" ]] && base=$(( base + $(gz "$split_js") ))
[[ -n "$manifest" ]] && base=$(( base + $(gz "$manifest") ))
printf 'wasm-budget: %-28s %7d B gzipped (main wasm %d B raw)\n' "main bundle (sign-in, leads)" "$base" "$(wc -c <"$main_wasm")"
worst=$base; worst_name="main bundle"
if [[ -n "$manifest" ]]; then
  while IFS=$'\t' read -r route chunks; do
    total=$base
    for chunk in $chunks; do total=$(( total + $(gz "$PKG/$chunk.wasm") )); done
    printf 'wasm-budget: %-28s %7d B gzipped\n' "$route" "$total"
    if (( total > worst )); then worst=$total; worst_name=$route; fi
  done < <(python3 -c '
import json, sys, re
for route, chunks in sorted(json.load(open(sys.argv[1])).items()):
    print(re.sub(r"^__(.*)_route_view_\d+$", r"/\1 (lazy)", route) + "\t" + " ".join(chunks))
' "$manifest")
fi
printf 'wasm-budget: largest first load %d B (%s); goal %d B; ceiling %d B\n' "$worst" "$worst_name" "$TARGET" "$CEILING"
if (( worst > CEILING )); then
  echo "wasm-budget: FAIL: a first load grew past the ceiling" >&2
  exit 1
fi
