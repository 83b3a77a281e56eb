#!/usr/bin/env bash
# Fuzz the spec loader and the response decoders for a bounded time each (default 60 s).
# Not run in CI. Exits non-zero on a crash, a hang or a build failure, and says where the input is.
#
#   bash fuzz/run.sh [SECONDS] [TARGET...]      # targets: spec_load decode_response (default both)
#
# The machine has stable Rust only: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags.
set -uo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(spec_load decode_response)

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked || exit 2
export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

mkdir -p target/logs
status=0
summary=""
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  for seed in seeds/"$target"/*; do
    [ -e "corpus/$target/$(basename "$seed")" ] || cp "$seed" "corpus/$target/"
  done
  before=$(ls "artifacts/$target" | sort)
  log="target/logs/$target.log"
  echo "== $target: $secs s (log: fuzz/$log)"
  # -timeout: an input taking over 20 s counts as a hang (a crash), so the run stays bounded.
  # spec_load writes its spec tree under TMPDIR: keep it in target/, removed after the run.
  mkdir -p target/tmp
  TMPDIR="$PWD/target/tmp" cargo fuzz run "$target" "corpus/$target" -- \
    -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1
  rc=$?
  rm -rf target/tmp
  if [ $rc -eq 0 ]; then
    tail -n 6 "$log"
  else
    grep -E "panicked at|ERROR: libFuzzer|==ERROR|SUMMARY:|Test unit written|^error" "$log" | head -n 20
  fi
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1)
  new=$(comm -13 <(echo "$before") <(ls "artifacts/$target" | sort) | sed '/^$/d')
  if [ $rc -ne 0 ] || [ -n "$new" ]; then
    status=1
    echo "CRASH in $target (exit $rc). Inputs:" >&2
    for f in $new; do
      echo "  fuzz/artifacts/$target/$f" >&2
      echo "  reproduce: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run $target artifacts/$target/$f)" >&2
    done
    [ -n "$new" ] || echo "  no input written: see fuzz/$log (a build failure?)" >&2
    summary+="$target: CRASH (exit $rc) ${done_line:-}"$'\n'
  else
    summary+="$target: ok, ${done_line:-no final line}, 0 crashes, corpus $(ls "corpus/$target" | wc -l) files"$'\n'
  fi
done
echo "== summary"
printf '%s' "$summary"
exit $status
