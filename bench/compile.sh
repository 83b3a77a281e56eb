#!/usr/bin/env bash
# Compile time of the generated crate for users: a build from clean with every feature, and with
# one module (`doudian-order`), in a target folder of its own. Prints seconds and the ratio, for
# the whole build (dependencies included) and for the shop-api crate alone.
set -euo pipefail
cd "$(dirname "$0")/.."
target="$(pwd)/target/bench-compile"
build() { # features -> seconds
  local start end
  start=$(date +%s.%N)
  CARGO_TARGET_DIR="$target" cargo build -q -p shop-api --no-default-features --features "$1"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}'
}
crate_only() { # features -> seconds for shop-api alone, dependencies already built
  CARGO_TARGET_DIR="$target" cargo build -q -p shop-api --no-default-features --features "$1"
  CARGO_TARGET_DIR="$target" cargo clean -q -p shop-api
  build "$1"
}
rm -rf "$target"
full_clean=$(build full)
rm -rf "$target"
one_clean=$(build doudian-order)
full_crate=$(crate_only full)
one_crate=$(crate_only doudian-order)
endpoints=$(grep -c "^  [a-zA-Z][a-zA-Z0-9_.]*:$" spec/*/*.yaml | awk -F: '{s+=$2} END {print s}')
printf '%-28s %10s %16s %8s\n' "dev build, 2 cores" "full (s)" "doudian-order (s)" ratio
printf '%-28s %10s %16s %7.1fx\n' "from clean (with deps)" "$full_clean" "$one_clean" "$(awk -v a="$full_clean" -v b="$one_clean" 'BEGIN {print a/b}')"
printf '%-28s %10s %16s %7.1fx\n' "shop-api crate alone" "$full_crate" "$one_crate" "$(awk -v a="$full_crate" -v b="$one_crate" 'BEGIN {print a/b}')"
echo "(spec keys counted: about $endpoints endpoint and type entries)"
