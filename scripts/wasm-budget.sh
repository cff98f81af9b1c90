#!/usr/bin/env bash
# The size of a first visit: the JS and wasm a browser fetches before a page
# is interactive, gzipped (-9). The app runs in islands mode: the server
# renders every page and only its islands hydrate, each island loaded as its
# own wasm chunks (`--split`). A page's first load is the main wasm, its JS
# glue, the split loader and manifest, plus the chunks of the islands on that
# page (each chunk counted once). Checked for every page: each must stay
# within 250 KB (256000 B). A size check, never a timing.
set -euo pipefail
cd "$(dirname "$0")/.."
PKG=${PKG:-target/site/pkg}
TARGET=${WASM_BUDGET_BYTES:-256000}

# The islands on each page (the names `#[island]` components get in the
# manifest: snake case). A page without islands still loads the base.
PAGES='
/sign-in
/invite/:token
/reset-password/:token
/leads
/developer              copy_field
/developer/keys/:id
/audit
/account
/members                copy_field
/admin
/docs
/docs/errors
/docs/:endpoint         playground_form
'

gz() { gzip -9 -c "$1" | wc -c; }
pick() { ls "$PKG"/$1 2>/dev/null | grep -v '\.\(br\|gz\)$' | head -n 1 || true; }
main_wasm=$(pick 'leadline.*.wasm')
main_js=$(pick 'leadline.*.js')
split_js=$(pick '__wasm_split.*.js')
manifest=$(pick '__wasm_split_manifest.*.json')
if [[ -z "$main_wasm" || -z "$main_js" || -z "$split_js" || -z "$manifest" ]]; then
  echo "wasm-budget: no split build in $PKG; run 'make release' first" >&2
  exit 1
fi
base=$(( $(gz "$main_wasm") + $(gz "$main_js") + $(gz "$split_js") + $(gz "$manifest") ))
printf 'wasm-budget: %-24s %7d B gzipped (main wasm %d B raw)\n' "every page's base" "$base" "$(wc -c <"$main_wasm")"

worst=0; worst_name=""; failed=0
while read -r page islands; do
  islands=${islands:-}
  [[ -z "$page" ]] && continue
  # The chunks of these islands, each once. Fails on an island the build
  # doesn't have, so this table can't drift from the code unnoticed.
  chunks=$(python3 - "$manifest" ${islands:-} <<'EOF'
import json, re, sys
manifest = json.load(open(sys.argv[1]))
chunks = set()
for island in sys.argv[2:]:
    entries = [k for k in manifest if re.fullmatch(island + r"_loader_\d+", k)]
    if len(entries) != 1:
        sys.exit(f"wasm-budget: island {island!r} is not in the split manifest")
    chunks.update(manifest[entries[0]])
print(" ".join(sorted(chunks)))
EOF
  )
  total=$base
  for chunk in $chunks; do total=$(( total + $(gz "$PKG/$chunk.wasm") )); done
  printf 'wasm-budget: %-24s %7d B gzipped\n' "$page" "$total"
  if (( total > worst )); then worst=$total; worst_name=$page; fi
  if (( total > TARGET )); then
    echo "wasm-budget: FAIL: the first load of $page is over the budget" >&2
    failed=1
  fi
done <<<"$PAGES"

# Every island in the build must be on some page above.
python3 - "$manifest" "$PAGES" <<'EOF'
import json, re, sys
listed = set(sys.argv[2].split())
for entry in json.load(open(sys.argv[1])):
    m = re.fullmatch(r"(\w+?)_loader_\d+", entry)
    if m and m.group(1) not in listed:
        sys.exit(f"wasm-budget: island {m.group(1)!r} is on no page in this script's table")
EOF

printf 'wasm-budget: largest first load %d B (%s); budget %d B\n' "$worst" "$worst_name" "$TARGET"
exit "$failed"
