#!/usr/bin/env bash
# Fuzz the spec loader and the response decoders for a bounded time each (default 60 s).
# Not run in CI. Exits non-zero on a crash and says where the crashing input is.
# The machine has stable Rust only: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
status=0
for target in spec_load decode_response; do
  mkdir -p "corpus/$target"
  cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
  echo "== $target, $secs s"
  if ! cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$secs" -rss_limit_mb=4096 2>&1 | tail -n 25; then
    echo "CRASH in $target: see fuzz/artifacts/$target/" >&2
    status=1
  fi
done
exit $status
