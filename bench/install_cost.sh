#!/usr/bin/env bash
# What installing the CLI (and the sandbox) costs a user: a cold `cargo build --release -p <crate>`
# (what `cargo install` does), in a target folder of its own. Prints the wall time, the peak memory
# of the whole build (every rustc at once: the resident memory of the build's process group,
# sampled every 0.2 s) and the size of the binary.
#
#   bash bench/install_cost.sh [crate ...]    # default: shop-api-cli shop-api-sandbox
set -euo pipefail
cd "$(dirname "$0")/.."
crates=("$@")
[ ${#crates[@]} -gt 0 ] || crates=(shop-api-cli shop-api-sandbox)
printf '| %-18s | %10s | %14s | %12s |\n' crate "time (s)" "peak (GiB)" "binary (MB)"
printf '| %-18s | %10s | %14s | %12s |\n' --- ---: ---: ---:
for crate in "${crates[@]}"; do
  target="$(pwd)/target/install-cost"
  rm -rf "$target"
  start=$(date +%s.%N)
  setsid env CARGO_TARGET_DIR="$target" cargo build -q --release -p "$crate" &
  pid=$!
  peak=0
  while kill -0 "$pid" 2>/dev/null; do
    kb=$(ps -o rss= -s "$pid" 2>/dev/null | awk '{s += $1} END {print s + 0}')
    [ "$kb" -gt "$peak" ] && peak=$kb
    sleep 0.2
  done
  wait "$pid"
  end=$(date +%s.%N)
  bin=$(cargo metadata --no-deps --format-version 1 \
    | python3 -c "import json,sys; m=json.load(sys.stdin); print(next(t['name'] for p in m['packages'] if p['name']=='$crate' for t in p['targets'] if 'bin' in t['kind']))")
  size=$(stat -c %s "$target/release/$bin")
  printf '| %-18s | %10.1f | %14.2f | %12.1f |\n' "$crate" \
    "$(awk -v s="$start" -v e="$end" 'BEGIN {print e - s}')" \
    "$(awk -v k="$peak" 'BEGIN {print k / 1048576}')" \
    "$(awk -v b="$size" 'BEGIN {print b / 1e6}')"
  rm -rf "$target"
done
